# One handler for INT, TERM and EXIT; the INT from kill -INT $$ is handled, then the
# handler exits, which runs it once more as the EXIT trap.
handled=0
trap 'handled=$((handled + 1)); echo "handler run $handled"' INT TERM EXIT
kill -INT $$
echo "continues after INT, handled=$handled"
sh -c 'kill -INT $$; echo "child: the trap is not inherited, so INT is fatal"'
echo "child status $?"
trap 'echo "exiting from handler"; exit 9' INT TERM EXIT
kill -INT $$
echo "not reached"

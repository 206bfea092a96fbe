# trap '' ignores a signal, and ignored signals stay ignored across fork and exec.
trap '' INT TERM
kill -INT $$
kill -TERM $$
echo "still alive after INT and TERM"
sh -c 'kill -TERM $$; echo "child ignores TERM too"'
echo "child status $?"
trap - TERM
{ sh -c 'kill -TERM $$; echo not printed'; } 2>/dev/null
echo "after trap -, the child dies: $?"
trap 'echo "USR1 handler"' USR1
sh -c 'kill -USR1 $PPID'
echo "handler ran for a signal from a child"
trap '' HUP
(kill -HUP $$) ; echo "ignored HUP from a subshell"

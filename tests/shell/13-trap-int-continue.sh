# trap on INT and TERM: kill -INT $$ runs the handler and the script carries on.
count=0
trap 'count=$((count + 1)); echo "caught signal, count=$count"' INT TERM
kill -INT $$
echo "after INT"
kill -TERM $$
echo "after TERM"
kill -INT $$
echo "count is $count"
trap - INT
trap 'echo "EXIT trap, status $?"' EXIT
echo "end of script"

# $? after a child dies of a signal is 128+N, for foreground and background children.
# (bash reports such deaths with the child's pid on stderr: the groups silence that.)
{ sh -c 'kill -TERM $$'; } 2>/dev/null
echo "TERM: $?"
{ sh -c 'kill -KILL $$'; } 2>/dev/null
echo "KILL: $?"
{ sh -c 'kill -USR1 $$'; } 2>/dev/null
echo "USR1: $?"
{ sh -c 'kill -HUP $$'; } 2>/dev/null
echo "HUP: $?"
{
    sleep 5 &
    pid=$!
    kill -TERM $pid
    wait $pid
    echo "background TERM: $?"
    sleep 5 &
    pid=$!
    kill -9 $pid
    wait $pid
    echo "background KILL: $?"
} 2>/dev/null
sh -c 'kill -INT $$' &
wait $!
echo "background self-INT (SIGINT ignored in async lists): $?"

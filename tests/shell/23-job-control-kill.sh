# Job specs inside a script: kill %1, wait %1, and the statuses they leave.
sleep 10 &
kill %1
wait
echo "wait after kill %1: $?"
sleep 10 &
kill -TERM %1
wait %1
echo "wait %1 after kill: $?"
sleep 0.1 &
wait %1
echo "wait %1 for a job that finished normally: $?"
sleep 10 &
sleep 10 &
kill %1 %2
wait
echo "two jobs killed, wait: $?"
{
    sleep 10 &
    pid=$!
    kill -0 $pid && echo "kill -0 sees the running job"
    kill -KILL $pid
    wait $pid
    echo "after SIGKILL: $?"
} 2>/dev/null

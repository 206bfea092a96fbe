# wait with nothing to wait for, for a pid that is not a child, and kill errors.
wait
echo "wait with no children: $?"
sh -c 'exit 4' &
p=$!
wait $p
echo "first wait: $?"
wait $p 2>/dev/null
echo "second wait for the same pid: $?"
wait 1 2>/dev/null
echo "wait for init (not our child): $?"
sleep 5 &
kill -0 $! && echo "kill -0 on a live child: $?"
kill $!
wait $!
echo "after kill: $?"
kill -s TERM 999999 2>/dev/null
echo "kill a missing pid: $?"
kill -l 15
kill -l 9

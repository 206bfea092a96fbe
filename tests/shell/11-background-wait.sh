# &, $!, wait, wait $pid and their statuses.
sleep 0.05 &
pid=$!
wait $pid
echo "sleep status $?"
( exit 3 ) &
p3=$!
( exit 5 ) &
p5=$!
wait $p5
echo "second job: $?"
wait $p3
echo "first job: $?"
for i in 1 2 3 4; do (echo "job $i" > job$i.out) & done
wait
echo "wait all: $?"
cat job1.out job2.out job3.out job4.out
sh -c 'exit 42' &
wait $!
echo "sh -c in background: $?"
true &
wait
echo "bare wait after true: $?"

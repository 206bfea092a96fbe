# Many background children with distinct statuses, collected pid by pid.
pids=""
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
    sh -c "exit $n" &
    pids="$pids $!"
done
sum=0
for p in $pids; do
    wait $p
    s=$?
    printf '%s ' $s
    sum=$((sum + s))
done
echo
echo "sum of statuses $sum"
for n in 1 2 3 4 5 6; do (sleep 0.0$n; exit $n) & done
wait
echo "all reaped: $?"

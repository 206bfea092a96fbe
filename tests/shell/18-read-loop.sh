# while read over a pipe: field splitting, the last field takes the rest, IFS.
printf '1 one uno\n2 two dos\n3 three tres extra\n' | while read n word rest; do
    echo "n=$n word=$word rest=[$rest]"
done
seq 1 10 | while read n; do
    if [ $((n % 3)) -eq 0 ]; then echo "fizz $n"; fi
done
printf 'a:b:c\nd:e:f\n' | while IFS=: read x y z; do echo "$z$y$x"; done
total=0
for n in $(seq 1 100); do total=$((total + n)); done
echo "total $total"
printf 'no newline at end' | { read line; echo "read status $? line [$line]"; }
printf 'x\\y\n' | { read -r raw; echo "raw [$raw]"; }
printf '  padded  \n' | { IFS= read -r keep; echo "kept [$keep]"; }

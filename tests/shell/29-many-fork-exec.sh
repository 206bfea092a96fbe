# Loops that fork and exec external commands many times.
# (true and false are builtins: env makes them external commands)
i=0
while [ $i -lt 30 ]; do
    env true || echo "true failed at $i"
    i=$((i + 1))
done
echo "30 x env true: done"
out=""
for n in $(seq 1 25); do out="$out$(echo $n | tr 0-9 a-j)"; done
echo "$out"
fails=0
for n in $(seq 1 15); do env false && fails=$((fails + 1)); done
echo "false never succeeded: $fails"
for n in 1 2 3 4 5 6 7 8 9 10; do sh -c "exit $n"; printf '%s ' $?; done
echo
for n in $(seq 1 10); do expr $n \* 2 > /dev/null; done; echo "10 x expr"

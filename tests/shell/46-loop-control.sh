# for, while, until with break, continue and nested levels.
for i in 1 2 3 4 5 6 7 8 9; do
    [ $i -eq 2 ] && continue
    [ $i -eq 6 ] && break
    printf '%s ' $i
done
echo
n=0
until [ $n -ge 5 ]; do n=$((n + 1)); done
echo "until stopped at $n"
for a in 1 2 3; do
    for b in 1 2 3; do
        [ $b -eq 2 ] && continue 2
        [ $a -eq 3 ] && break 2
        echo "a=$a b=$b"
    done
done
i=0
while :; do
    i=$((i + 1))
    if [ $i -gt 3 ]; then break; fi
done
echo "while : ran $i times"
for x in; do echo never; done
for w in $(echo a b c | tr ' ' '\n' | sort -r); do printf '%s' $w; done
echo
seq 1 5 | while read v; do [ $v -eq 3 ] && break; echo "read $v"; done

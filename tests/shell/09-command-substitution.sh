# $(...) and backticks, nested, with trailing newlines stripped and status kept.
a=$(echo one)
b=`echo two`
echo "$a $b"
echo "nested: $(echo "outer $(echo "middle $(echo inner)")")"
echo "backticks nested: `echo x \`echo y\``"
echo "mixed: $(echo `echo from-backtick`)"
c=$(printf 'trail\n\n\n')
echo "[$c]"
d=$(exit 3)
echo "status of assignment: $?"
lines=$(seq 1 5)
echo "$lines" | wc -l
echo $(seq 1 5)
count=$(seq 1 200 | wc -l)
echo "count=$count"
echo "arith from subst: $(( $(echo 6) * $(echo 7) ))"
words=$(echo "a   b    c")
echo "$words"
x=$(cd / && pwd)
echo "subst cwd: $x"

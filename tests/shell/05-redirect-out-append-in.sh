# > truncates, >> appends, < reads, and a redirection on a compound command.
echo first > out.txt
echo second >> out.txt
echo third >> out.txt
cat out.txt
echo replaced > out.txt
cat < out.txt
wc -l < out.txt
{ echo a; echo b; } > group.txt
cat group.txt
for i in 1 2 3; do echo "line $i"; done > loop.txt
tail -1 < loop.txt
: > empty.txt
wc -c < empty.txt

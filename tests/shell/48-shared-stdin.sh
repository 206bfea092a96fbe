# Commands reading in turn from one redirected stdin share its file offset.
seq 1 10 > ten.txt
{ read a; read b; echo "builtin read: $a $b"; } < ten.txt
{ read first; cat; } < ten.txt | wc -l
{ head -c 4 > /dev/null; cat; } < ten.txt | head -2
while read line; do
    case $line in 3) break ;; esac
done < ten.txt
echo "loop stopped at $line"
exec 3< ten.txt
read x <&3
read y <&3
rest=$(cat <&3 | wc -l)
echo "fd 3: $x $y then $rest more lines"
exec 3<&-

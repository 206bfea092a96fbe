# A pipeline and a compound command in the background, then their output.
seq 1 500 | grep 9 | wc -l > bg-count.txt &
p1=$!
{ for i in 1 2 3; do echo "block $i"; done; } > bg-block.txt &
p2=$!
(sort -r | head -2) < bg-input.txt > bg-sorted.txt 2>/dev/null &
p3=$!
wait $p1; echo "pipeline job: $?"
wait $p2; echo "block job: $?"
wait $p3; echo "job with missing input: $?"
cat bg-count.txt bg-block.txt
seq 1 5 > bg-input.txt
(sort -r | head -2) < bg-input.txt > bg-sorted.txt &
wait $!
cat bg-sorted.txt

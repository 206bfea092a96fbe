# Four-stage pipelines.
seq 1 1000 | grep 5 | sort -r | head -4
printf '%s\n' one two three four five six | tr 'a-z' 'A-Z' | sort | tail -2
seq 1 50 | awk '{ s += $1 } END { print s }' | sed 's/$/ total/' | cat

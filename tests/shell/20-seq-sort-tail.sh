# A big sort: 20000 numbers through sort -n, reverse, and uniq.
seq 1 20000 | sort -n | tail -1
seq 1 20000 | sort -rn | tail -1
seq 1 20000 | sort | head -3
seq 1 20000 | sort -n | uniq | wc -l

# Five-stage pipelines, and a builtin loop as a middle stage.
seq 1 300 | grep 1 | sort -n | tail -5 | wc -l
seq 1 20 | while read n; do echo $((n * n)); done | sort -n | tail -3 | tr '\n' ' '
echo
printf 'c\nb\na\nb\nc\n' | sort | uniq | nl | sed 's/[[:space:]]\+/:/g'

# Three-stage pipelines.
seq 1 100 | grep 7 | wc -l
printf '%s\n' b a c a b a | sort | uniq -c
echo "Hello World" | tr 'a-z' 'A-Z' | rev
seq 10 | sed 's/^/n=/' | tail -3

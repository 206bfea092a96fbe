# A pipe opened again by name: /dev/fd/N, /dev/stdin and /proc/self/fd/N of a pipe give
# the same pipe (what bash's process substitution relies on).
echo hi | cat /dev/fd/0
printf 'one\ntwo\n' | { read first; echo "first $first"; cat /dev/stdin; }
echo via-proc | cat /proc/self/fd/0
exec 3<&-
{ echo to-fd-3 > /dev/fd/3; } 3>&1 | cat
seq 1 5000 | wc -l /dev/fd/0 | tr -s ' '

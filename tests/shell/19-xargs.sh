# xargs: batching, -n, -I, and exit statuses of the command it runs.
seq 1 10 | xargs echo
seq 1 10 | xargs -n 3 echo
printf 'a\nb\nc\n' | xargs -I {} echo "item {}"
seq 1 2000 | xargs echo | wc -w
seq 1 5 | xargs sh -c 'echo "args: $#"' argv0
echo "x y" | xargs sh -c 'exit 1'
echo "xargs status when command fails: $?"
printf 'one\0two words\0' | xargs -0 -n 1 echo
touch f1 f2 f3
ls f1 f2 f3 | xargs rm
ls f1 2>/dev/null || echo "files removed"

# Large argument lists and environments through fork and exec.
set -- $(seq 1 5000)
echo "positional: $#"
echo $(seq 1 5000) | wc -c
/bin/busybox echo $(seq 1 5000) | wc -c
sh -c 'echo "$# args in child"' sh $(seq 1 3000)
big=$(head -c 20000 /dev/zero | tr '\0' x)
export big
sh -c 'echo "env var of ${#big} bytes"'
env | grep -c '^big='
printf '%s\n' $(seq 1 3000) | xargs -n 1000 sh -c 'echo $#' sh

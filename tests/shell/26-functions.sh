# Functions: arguments, return status, local scope, recursion, output capture.
greet() { echo "hello, $1 ($# args)"; }
greet world
greet a b c
status() { return $1; }
status 7; echo "return 7 -> $?"
counter=0
bump() { counter=$((counter + 1)); }
bump; bump; bump
echo "counter=$counter"
scoped() { local counter=100; counter=$((counter + 1)); echo "local $counter"; }
scoped
echo "global still $counter"
fact() {
    if [ "$1" -le 1 ]; then echo 1; return; fi
    echo $(( $1 * $(fact $(( $1 - 1 ))) ))
}
echo "10! = $(fact 10)"
fib() { if [ $1 -lt 2 ]; then echo $1; else echo $(( $(fib $(( $1 - 1 ))) + $(fib $(( $1 - 2 ))) )); fi; }
echo "fib 8 = $(fib 8)"
args() { for a in "$@"; do printf '<%s>' "$a"; done; echo; }
args "one two" three "" four
pipe_fn() { tr a-z A-Z; }
echo piped | pipe_fn

# set -e: which failures end the script.
set -e
false || echo "|| protects"
if false; then echo no; else echo "if condition protects"; fi
! true
echo "! protects"
while false; do :; done
echo "while condition protects"
f() { false; echo "set -e is off inside the left side of ||"; }
( f ) || echo "function failure inside subshell: status $?"
x=$(false) || echo "failed substitution: $?"
false && echo never
echo "&& list left side protects"
sh -c 'set -e; echo inner; false; echo unreachable'
echo "unreachable: inner sh failure ends the script"

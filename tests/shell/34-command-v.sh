# command -v: builtins, functions, external commands from PATH, and failures.
myfunc() { :; }
for c in cd echo myfunc; do command -v "$c"; done
p=$(command -v seq)
echo "seq: ${p##*/}"
command -v no-such-command-gk
echo "missing: $?"
command -v sort > /dev/null && echo "sort exists"
command echo "command runs the builtin"
command true; echo "command true: $?"
if command -v tac >/dev/null 2>&1; then echo "tac available"; fi

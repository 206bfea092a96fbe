# eval builds commands at run time; . runs a file in the current shell.
cmd='echo "eval says $((1 + 1))"'
eval "$cmd"
for v in a b c; do eval "var_$v=value_$v"; done
eval echo "\$var_a \$var_b \$var_c"
eval 'f() { echo "function made by eval"; }'
f
cat > lib.sh <<'EOF'
libvar="set by lib"
libfn() { echo "libfn called with $1"; }
return 3
echo "after return: not reached"
EOF
. ./lib.sh
echo "dot status $?"
echo "$libvar"
libfn arg
eval 'exit_status_test() { return 4; }'; exit_status_test; echo "eval'd function status $?"
x=5; eval "x=\$((x * 3))"; echo "x=$x"

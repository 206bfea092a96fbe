# Two-stage pipelines: builtin into external, external into external.
echo "alpha beta gamma" | wc -w
printf '%s\n' pear apple fig | sort
seq 1 5 | tac
printf 'x\ny\nz\n' | wc -l
echo done "$?"

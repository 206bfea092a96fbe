# exec COMMAND replaces the shell: its status becomes the script's, nothing after runs.
echo "before exec"
out=$(exec sh -c 'echo "replaced in subst"; exit 3')
echo "subst: $out status $?"
( exec false ); echo "exec false in subshell: $?"
( exec sh -c 'kill -TERM $$' ); echo "exec'd child killed: $?"
exec 2>/dev/null
exec sh -c 'echo "final exec, exiting 6"; exit 6'
echo "not reached"

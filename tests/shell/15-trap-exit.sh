# EXIT traps: in the main shell on `exit N`, in subshells, and reset in $(...).
( trap 'echo "subshell EXIT trap"' EXIT; echo "in subshell"; exit 6 )
echo "subshell status $?"
( trap 'echo "trap in normal end"' EXIT; echo "falls off the end" )
out=$(trap 'echo from-trap' EXIT; echo body)
echo "captured: $out"
trap 'echo "main EXIT trap sees status $?"' EXIT
sh -c 'trap "echo nested shell trap" EXIT; exit 2'
echo "nested status $?"
exit 4

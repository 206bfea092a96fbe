# A TERM handler that exits: the EXIT trap still runs and the status is the handler's.
trap 'echo "cleanup on EXIT"' EXIT
trap 'echo "got TERM"; exit 3' TERM
echo "before"
kill -TERM $$
echo "not reached"

# A CHLD trap runs when a child ends; a foreground child is reaped before it runs.
trap 'echo "CHLD trap"' CHLD
sh -c 'exit 0'
echo "after first child"
env true
echo "after second child"
trap - CHLD
sh -c 'exit 1'
echo "trap removed, status $?"

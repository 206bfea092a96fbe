# timeout kills a command that runs too long; a quick one keeps its own status.
timeout 1 sleep 5
echo "timed out: $?"
timeout 5 sh -c 'exit 3'
echo "finished in time: $?"
{ timeout -s KILL 1 sleep 5; } 2>/dev/null       # (bash names the pid of a KILLed job)
echo "killed with KILL: $?"

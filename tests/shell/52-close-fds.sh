# Closing descriptors with >&- and <&-: writes and reads then fail.
echo "stdout closed" >&- 2>/dev/null
echo "echo with stdout closed: status $?"
cat <&- 2>/dev/null
echo "cat with stdin closed: status $?"
( exec 1>&-; echo x 2>/dev/null; echo "status inside $?" >&2 ) 2>&1
ls . >&- 2>/dev/null
echo "ls with closed stdout: $?"
{ echo visible; echo hidden >&3; } 3>&- 2>/dev/null
echo "group status $?"
exec 3>keep.txt
sh -c 'echo "child inherits fd 3" >&3'
sh -c 'echo "child without fd 3" >&3' 3>&- 2>/dev/null; echo "closed for the child: $?"
exec 3>&-
cat keep.txt

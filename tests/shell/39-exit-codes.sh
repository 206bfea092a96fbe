# Exit statuses: !, not found (127), not executable (126), and exit's wrap-around.
true; echo "true $?"
false; echo "false $?"
! true; echo "! true $?"
! false; echo "! false $?"
no-such-command-gk 2>/dev/null; echo "not found $?"
./also-missing 2>/dev/null; echo "missing path $?"
echo 'echo hi' > notexec.sh
chmod 644 notexec.sh
./notexec.sh 2>/dev/null; echo "not executable $?"
mkdir adir
./adir 2>/dev/null; echo "a directory $?"
sh -c 'exit 255'; echo "exit 255 -> $?"
sh -c 'exit 256'; echo "exit 256 -> $?"
( exit 1 ) && echo no || echo "subshell 1 -> $?"
{ false; } ; echo "group -> $?"
f() { return 9; }; f; echo "function -> $?"
sh -c 'false; exit'; echo "bare exit keeps last status -> $?"

# Names that go away under open files: /proc/PID/exe and /proc/self/fd/N keep naming the
# object and say " (deleted)"; the object itself is still reachable through them.
mkdir -p q
echo data > q/file
exec 4< q/file
rm q/file
readlink /proc/self/fd/4 | sed 's|.*/q/|q/|'
cat /proc/self/fd/4
echo more > q/other
exec 3< q/other
mv q q2
readlink /proc/self/fd/3 | sed 's|.*/q2/|q2/|'
cat /proc/self/fd/3
cp /proc/$$/exe q2/shell
q2/shell -c 'rm q2/shell; readlink /proc/$$/exe | sed "s|.*/q2/|q2/|"'
exec 3<&- 4<&-
rm -r q2

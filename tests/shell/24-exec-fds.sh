# exec with redirections only: open, use and close descriptors in the current shell.
exec 3> fd3.txt
echo "via fd 3" >&3
echo "again via fd 3" >&3
exec 3>&-
cat fd3.txt
echo "closed fd 3" 2>/dev/null >&3 || echo "writing to a closed fd fails"
exec 4< fd3.txt
read -r first <&4
read -r second <&4
exec 4<&-
echo "first=[$first] second=[$second]"
exec 5>> fd3.txt
echo "appended via fd 5" >&5
exec 5>&-
tail -1 fd3.txt
exec 6> dup.txt
exec 7>&6
echo "through 7" >&7
echo "through 6" >&6
exec 6>&- 7>&-
cat dup.txt
exec 8< fd3.txt
wc -l <&8
exec 8<&-

# <> opens a file for reading and writing without truncating it.
printf 'abcdefgh\n' > rw.txt
exec 3<> rw.txt
read -r line <&3
echo "read: $line"
echo "XY" >&3
exec 3>&-
cat rw.txt
echo "12345" 1<> rw.txt
cat rw.txt
: <> created-by-rw.txt
[ -f created-by-rw.txt ] && echo "<> created the file"

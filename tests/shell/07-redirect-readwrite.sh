# <> opens a file for reading and writing without truncating it.
# The file is shown with show(), which copies it through a pipe that is drained
# before the script goes on: a plain `cat rw.txt` to the test's stdout pipe lets
# the host kernel splice page-cache pages into that pipe, and the in-place
# overwrite below would then change what the (slower) test reader sees.
show() { cat "$1" | cat; }
printf 'abcdefgh\n' > rw.txt
exec 3<> rw.txt
read -r line <&3
echo "read: $line"
echo "XY" >&3
exec 3>&-
show rw.txt
echo "12345" 1<> rw.txt
show rw.txt
: <> created-by-rw.txt
[ -f created-by-rw.txt ] && echo "<> created the file"

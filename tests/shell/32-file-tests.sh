# test / [ ]: file types, sizes, permissions, and string/number tests.
mkdir adir
touch empty
echo data > full
ln -s full link
ln -s missing dangling
chmod 755 full
mkfifo fifo
for p in adir empty full link dangling fifo nowhere; do
    printf '%-8s' "$p"
    [ -e "$p" ] && printf ' e'
    [ -f "$p" ] && printf ' f'
    [ -d "$p" ] && printf ' d'
    [ -s "$p" ] && printf ' s'
    [ -L "$p" ] && printf ' L'
    [ -h "$p" ] && printf ' h'
    [ -p "$p" ] && printf ' p'
    [ -r "$p" ] && printf ' r'
    [ -w "$p" ] && printf ' w'
    [ -x "$p" ] && printf ' x'
    echo
done
[ -z "" ] && echo "-z empty"
[ -n "x" ] && echo "-n nonempty"
[ "abc" = "abc" ] && echo "string equal"
[ "abc" != "abd" ] && echo "string differ"
[ 10 -gt 9 ] && [ 3 -le 3 ] && [ 2 -ne 5 ] && echo "numbers"
[ ! -d full ] && echo "negation"
[ -d adir -a -f full ] && echo "-a"
[ -d nowhere -o -f full ] && echo "-o"
test -f full; echo "test -f status $?"
test -d full; echo "test -d status $?"

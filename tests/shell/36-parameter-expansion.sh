# ${...}: defaults, alternatives, lengths, prefix/suffix removal.
path=/usr/local/lib/file.tar.gz
echo "${path#*/}"
echo "${path##*/}"
echo "${path%.*}"
echo "${path%%.*}"
echo "length ${#path}"
unset missing
empty=
echo "[${missing-default}] [${empty-default}] [${empty:-default}]"
echo "[${missing+alt}] [${empty+alt}] [${empty:+alt}] [${path:+alt}]"
echo "[${assigned:=now-set}] [$assigned]"
( : "${required:?is required}" ) 2>/dev/null || echo "?: fails when unset"
n=12345
echo "${n#12} ${n%45}"
name=file.txt
echo "${name%.txt}.md"
set -- a b c
echo "${#}"
echo "${3} ${1}"
s="spaces   inside"
echo $s
echo "$s"

# Positional parameters: set --, shift, "$@" vs "$*", IFS.
set -- "one two" three "" four
echo "count $#"
for a in "$@"; do echo "at: [$a]"; done
for a in "$*"; do echo "star: [$a]"; done
for a in $*; do echo "unquoted: [$a]"; done
IFS=,
echo "joined: $*"
IFS=' 	
'
shift
echo "after shift: $# first [$1]"
shift 2
echo "after shift 2: $# first [$1]"
shift 5 2>/dev/null || echo "shift past the end fails"
set -- $(seq 1 12)
echo "twelve: $# tenth ${10} last ${12}"
IFS=:
line="a:b::d"
set -- $line
echo "split on colon: $#"
for f in "$@"; do printf '[%s]' "$f"; done
echo

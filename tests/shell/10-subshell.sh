# ( ... ): a copy of the shell; variables, cwd, traps and exit do not leak out.
v=outer
( v=inner; echo "inside: $v" )
echo "after: $v"
( exit 7 )
echo "subshell status: $?"
mkdir -p sub/dir
( cd sub/dir && echo "sub cwd ends with: ${PWD##*/}" )
echo "parent cwd unchanged: ${PWD##*/}"
( ( ( echo three deep; exit 4 ) ; echo "inner status $?"; exit 5 ) ; echo "middle status $?" )
echo "outer status $?"
(echo piped; echo subshell) | wc -l
x=$( (echo a; echo b) | tr '\n' ',')
echo "$x"
( set -e; false; echo "not printed" )
echo "set -e subshell status: $?"

# sh -c inside sh -c: arguments, quoting, exit statuses and $0 through the levels.
sh -c 'echo "level 1"; sh -c "echo level 2; sh -c '\''echo level 3; exit 3'\''; echo level 2 saw \$?; exit 2"; echo "level 1 saw $?"'
echo "top saw $?"
sh -c 'echo "\$0=$0 \$1=$1 \$2=$2 #=$#"' name first "second arg"
sh -c 'for a in "$@"; do echo "[$a]"; done' zero "a b" c
v=exported sh -c 'echo "env var: $v"'
export EXPORTED=yes
sh -c 'sh -c "echo nested sees EXPORTED=\$EXPORTED"'
unexported=no
sh -c 'echo "unexported is [${unexported-unset}]"'
echo 'echo "script on stdin, arg count $#"' | sh
sh -c 'exit 300'
echo "exit 300 wraps to $?"

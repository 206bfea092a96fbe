# cd and pwd: relative paths, .., cd -, OLDPWD, symlinked directories, -P.
start=$PWD
mkdir -p a/b/c real
ln -s real alias
cd a/b/c
echo "${PWD#$start}"
cd ..
echo "${PWD#$start}"
cd ../..
[ "$PWD" = "$start" ] && echo "back at start"
cd a/b
cd - > /dev/null
[ "$PWD" = "$start" ] && echo "cd - returned"
echo "OLDPWD=${OLDPWD#$start}"
cd alias
echo "logical: ${PWD#$start}"
echo "physical: $(pwd -P | sed "s|^$(cd "$start" && pwd -P)||")"
cd "$start"
cd nowhere 2>/dev/null || echo "cd to a missing dir fails: status 1"
cd /
pwd
cd "$start"
( cd a; touch made-in-a )
ls a
HOME=$start/a/b
cd
echo "cd with no args goes HOME: ${PWD#$start}"

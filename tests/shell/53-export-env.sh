# export, unset, per-command assignments and env.
export A=1
B=2
sh -c 'echo "A=$A B=${B-unset}"'
B=3 sh -c 'echo "per-command B=$B"'
echo "B in parent still $B"
unset A
sh -c 'echo "A after unset: ${A-unset}"'
env -i C=4 /bin/busybox sh -c 'echo "env -i leaves only C=$C, PATH=${PATH-unset}"'
env D=5 sh -c 'echo "env adds D=$D"'
export E="with spaces"
env | grep '^E='
env -u E sh -c 'echo "env -u: ${E-unset}"'
echo "GK_TEST_VAR from the test: $GK_TEST_VAR"

# tar czf: tar vforks and execs gzip, then feeds it through a pipe (the vfork parent must
# run again at the child's exec, not at its exit).
mkdir -p d/sub
seq 1 20000 > d/sub/numbers
echo hello > d/greeting
tar czf d.tgz d
tar tzf d.tgz | sort
rm -rf d
tar xzf d.tgz
wc -l < d/sub/numbers
cat d/greeting

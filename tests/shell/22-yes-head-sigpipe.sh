# yes | head -1: head exits, yes dies of SIGPIPE (141 under pipefail).
yes | head -1
echo "status $?"
yes hello | head -3
set -o pipefail
yes | head -1
echo "pipefail status $?"
seq 1 1000000 | head -2
echo "seq killed by SIGPIPE: $?"
set +o pipefail
yes | sed 5q | wc -l

# 2>&1 and friends: order of redirections matters.
err() { echo "to stderr" >&2; echo "to stdout"; }
err 2>&1 | sort
err 2>/dev/null
err 2>err.txt >out.txt
echo "err: $(cat err.txt) out: $(cat out.txt)"
err > both.txt 2>&1
sort both.txt
err 2>&1 > only-out.txt | sed 's/^/piped: /'
cat only-out.txt
ls /nonexistent-gk-dir >/dev/null 2>&1
echo "ls status $?"

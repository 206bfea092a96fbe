"""strace's output: each syscall with its arguments decoded, as `strace -f` prints it."""

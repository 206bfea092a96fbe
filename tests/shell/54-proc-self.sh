# /proc through the shell's eyes: our own entries, the descriptors a command sees.
readlink /proc/self/exe
tr '\0' ' ' < /proc/self/cmdline; echo
[ -d /proc/$$ ] && echo "/proc/\$\$ is a directory"
[ "$(readlink /proc/self/cwd)" = "$(pwd -P)" ] && echo "cwd link matches pwd -P"
ls /proc/self/fd | sort -n | tr '\n' ' '; echo
exec 7< /proc/self/cmdline
ls /proc/self/fd | sort -n | tr '\n' ' '; echo
exec 7<&-
cut -d' ' -f3 /proc/self/stat
grep -c '^State:' /proc/self/status
sh -c 'grep "^Name:" /proc/$$/status'
head -1 /proc/self/maps | grep -c r-

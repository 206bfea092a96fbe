"""How many arguments each x86-64 syscall takes (the n of its SYSCALL_DEFINEn).

strace prints that many hex arguments for a call it has no decoder for (strace's
``printargs``); the counts were taken from strace 6.1's own table by tracing every number.
"""
from types import MappingProxyType

SYSCALL_NARGS = MappingProxyType({
    # 0 arguments
    "rt_sigreturn": 0, "sched_yield": 0, "pause": 0, "getpid": 0, "fork": 0, "vfork": 0,
    "getuid": 0, "getgid": 0, "geteuid": 0, "getegid": 0, "getppid": 0, "getpgrp": 0,
    "setsid": 0, "munlockall": 0, "vhangup": 0, "sync": 0, "gettid": 0, "inotify_init": 0,
    # 1 argument
    "close": 1, "brk": 1, "pipe": 1, "dup": 1, "alarm": 1, "exit": 1, "uname": 1, "shmdt": 1,
    "fsync": 1, "fdatasync": 1, "chdir": 1, "fchdir": 1, "rmdir": 1, "unlink": 1, "umask": 1,
    "sysinfo": 1, "times": 1, "syslog": 1, "setuid": 1, "setgid": 1, "getpgid": 1,
    "setfsuid": 1, "setfsgid": 1, "getsid": 1, "uselib": 1, "personality": 1,
    "sched_getscheduler": 1, "sched_get_priority_max": 1, "sched_get_priority_min": 1,
    "mlockall": 1, "_sysctl": 1, "adjtimex": 1, "chroot": 1, "acct": 1, "swapoff": 1,
    "iopl": 1, "get_kernel_syms": 1, "time": 1, "set_thread_area": 1, "io_destroy": 1,
    "get_thread_area": 1, "epoll_create": 1, "set_tid_address": 1, "restart_syscall": 1,
    "timer_getoverrun": 1, "timer_delete": 1, "exit_group": 1, "mq_unlink": 1, "unshare": 1,
    "eventfd": 1, "epoll_create1": 1, "inotify_init1": 1, "syncfs": 1, "userfaultfd": 1,
    "pkey_free": 1, "memfd_secret": 1,
    # 2 arguments
    "open": 2, "stat": 2, "fstat": 2, "lstat": 2, "munmap": 2, "access": 2, "dup2": 2,
    "nanosleep": 2, "getitimer": 2, "shutdown": 2, "listen": 2, "kill": 2, "msgget": 2,
    "flock": 2, "truncate": 2, "ftruncate": 2, "getcwd": 2, "rename": 2, "mkdir": 2,
    "creat": 2, "link": 2, "symlink": 2, "chmod": 2, "fchmod": 2, "gettimeofday": 2,
    "getrlimit": 2, "getrusage": 2, "setpgid": 2, "setreuid": 2, "setregid": 2, "getgroups": 2,
    "setgroups": 2, "capget": 2, "capset": 2, "rt_sigpending": 2, "rt_sigsuspend": 2,
    "sigaltstack": 2, "utime": 2, "mknod": 2, "ustat": 2, "statfs": 2, "fstatfs": 2,
    "getpriority": 2, "sched_setparam": 2, "sched_getparam": 2, "sched_rr_get_interval": 2,
    "mlock": 2, "munlock": 2, "pivot_root": 2, "prctl": 2, "arch_prctl": 2, "setrlimit": 2,
    "settimeofday": 2, "umount2": 2, "swapon": 2, "sethostname": 2, "setdomainname": 2,
    "create_module": 2, "delete_module": 2, "removexattr": 2, "lremovexattr": 2,
    "fremovexattr": 2, "tkill": 2, "io_setup": 2, "timer_gettime": 2, "clock_settime": 2,
    "clock_gettime": 2, "clock_getres": 2, "utimes": 2, "mq_open": 2, "mq_notify": 2,
    "keyctl": 2, "ioprio_get": 2, "inotify_rm_watch": 2, "set_robust_list": 2,
    "timerfd_create": 2, "timerfd_gettime": 2, "eventfd2": 2, "pipe2": 2, "fanotify_init": 2,
    "clock_adjtime": 2, "setns": 2, "memfd_create": 2, "membarrier": 2, "pkey_alloc": 2,
    "io_uring_setup": 2, "fsopen": 2, "pidfd_open": 2, "clone3": 2,
    "landlock_restrict_self": 2, "process_mrelease": 2,
    # 3 arguments
    "read": 3, "write": 3, "poll": 3, "lseek": 3, "mprotect": 3, "ioctl": 3, "readv": 3,
    "writev": 3, "msync": 3, "mincore": 3, "madvise": 3, "shmget": 3, "shmat": 3, "shmctl": 3,
    "setitimer": 3, "socket": 3, "connect": 3, "accept": 3, "sendmsg": 3, "recvmsg": 3,
    "bind": 3, "getsockname": 3, "getpeername": 3, "execve": 3, "semget": 3, "semop": 3,
    "msgctl": 3, "fcntl": 3, "getdents": 3, "readlink": 3, "chown": 3, "fchown": 3,
    "lchown": 3, "setresuid": 3, "getresuid": 3, "setresgid": 3, "getresgid": 3,
    "rt_sigqueueinfo": 3, "sysfs": 3, "setpriority": 3, "sched_setscheduler": 3,
    "modify_ldt": 3, "reboot": 3, "ioperm": 3, "init_module": 3, "nfsservctl": 3, "tuxcall": 3,
    "security": 3, "readahead": 3, "listxattr": 3, "llistxattr": 3, "flistxattr": 3,
    "sched_setaffinity": 3, "sched_getaffinity": 3, "io_submit": 3, "io_cancel": 3,
    "lookup_dcookie": 3, "getdents64": 3, "timer_create": 3, "tgkill": 3, "set_mempolicy": 3,
    "mq_getsetattr": 3, "ioprio_set": 3, "inotify_add_watch": 3, "openat": 3, "mkdirat": 3,
    "mknodat": 3, "futimesat": 3, "unlinkat": 3, "symlinkat": 3, "fchmodat": 3, "faccessat": 3,
    "get_robust_list": 3, "signalfd": 3, "dup3": 3, "open_by_handle_at": 3, "getcpu": 3,
    "kcmp": 3, "finit_module": 3, "sched_setattr": 3, "seccomp": 3, "getrandom": 3, "bpf": 3,
    "mlock2": 3, "open_tree": 3, "fsmount": 3, "fspick": 3, "close_range": 3, "pidfd_getfd": 3,
    "landlock_create_ruleset": 3,
    # 4 arguments
    "rt_sigaction": 4, "rt_sigprocmask": 4, "pread64": 4, "pwrite64": 4, "mremap": 4,
    "sendfile": 4, "socketpair": 4, "wait4": 4, "semctl": 4, "msgsnd": 4, "ptrace": 4,
    "rt_sigtimedwait": 4, "quotactl": 4, "getxattr": 4, "lgetxattr": 4, "fgetxattr": 4,
    "epoll_ctl_old": 4, "epoll_wait_old": 4, "semtimedop": 4, "fadvise64": 4,
    "timer_settime": 4, "clock_nanosleep": 4, "epoll_wait": 4, "epoll_ctl": 4, "kexec_load": 4,
    "request_key": 4, "migrate_pages": 4, "newfstatat": 4, "renameat": 4, "readlinkat": 4,
    "tee": 4, "sync_file_range": 4, "vmsplice": 4, "utimensat": 4, "fallocate": 4,
    "timerfd_settime": 4, "accept4": 4, "signalfd4": 4, "preadv": 4, "pwritev": 4,
    "rt_tgsigqueueinfo": 4, "prlimit64": 4, "sendmmsg": 4, "sched_getattr": 4,
    "pkey_mprotect": 4, "rseq": 4, "pidfd_send_signal": 4, "io_uring_register": 4,
    "openat2": 4, "faccessat2": 4, "quotactl_fd": 4, "landlock_add_rule": 4,
    "set_mempolicy_home_node": 4,
    # 5 arguments
    "select": 5, "setsockopt": 5, "getsockopt": 5, "clone": 5, "msgrcv": 5, "mount": 5,
    "query_module": 5, "getpmsg": 5, "putpmsg": 5, "afs_syscall": 5, "setxattr": 5,
    "lsetxattr": 5, "fsetxattr": 5, "io_getevents": 5, "remap_file_pages": 5, "vserver": 5,
    "get_mempolicy": 5, "mq_timedsend": 5, "mq_timedreceive": 5, "waitid": 5, "add_key": 5,
    "fchownat": 5, "linkat": 5, "ppoll": 5, "perf_event_open": 5, "recvmmsg": 5,
    "fanotify_mark": 5, "name_to_handle_at": 5, "renameat2": 5, "kexec_file_load": 5,
    "execveat": 5, "preadv2": 5, "pwritev2": 5, "statx": 5, "move_mount": 5, "fsconfig": 5,
    "process_madvise": 5, "mount_setattr": 5, "futex_waitv": 5,
    # 6 arguments
    "mmap": 6, "sendto": 6, "recvfrom": 6, "futex": 6, "mbind": 6, "pselect6": 6, "splice": 6,
    "move_pages": 6, "epoll_pwait": 6, "process_vm_readv": 6, "process_vm_writev": 6,
    "copy_file_range": 6, "io_pgetevents": 6, "io_uring_enter": 6, "epoll_pwait2": 6,
})


def syscall_nargs(name: str) -> int:
    """Argument count of a named syscall; 6 (all registers) for unknown ones, as strace does."""
    return SYSCALL_NARGS.get(name, 6)

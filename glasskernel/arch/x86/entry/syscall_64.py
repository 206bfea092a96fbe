"""The x86-64 system call table (arch/x86/entry/syscalls/syscall_64.tbl).

One declarative row per implemented number: the handler, and whether it is complete
("supported") or "partial" with a note saying what is missing. Numbers absent here return
ENOSYS with a single warning per number. Names come from uapi/unistd_64.py.
"""
from glasskernel.arch.x86.entry.common import SyscallEntry
from glasskernel.arch.x86.kernel import process_64
from glasskernel.arch.x86.kernel import signal as arch_signal
from glasskernel.fs import exec as fs_exec
from glasskernel.fs import pipe, statfs
from glasskernel.fs import namespace_mount
from glasskernel.fs import eventfd, signalfd, timerfd
from glasskernel.fs.notify.inotify import inotify_user
from glasskernel.fs import eventpoll, select as fs_select
from glasskernel.fs import (d_path, fcntl, file, ioctl, locks, namei_dir, open, read_write, readdir,
                            stat, sync, utimes, xattr)
from glasskernel.kernel import exit as kexit
from glasskernel.drivers.char import random
from glasskernel.ipc import msg, sem, shm
from glasskernel.kernel import capability
from glasskernel.kernel import (exec_domain, fork, pidfd, posix_timers, rseq, signal_syscalls,
                                sys, sys_pgrp, sys_prctl, time, time_itimer, time_ntp)
from glasskernel.kernel import nsproxy, utsname
from glasskernel.kernel.sched import syscalls as sched_syscalls
from glasskernel.kernel.futex import core as futex_core
from glasskernel.kernel.futex import syscalls as futex
from glasskernel.mm import (fadvise, madvise, memfd, mempolicy, mincore, mlock, mmap, mprotect, mremap,
                           msync)
from glasskernel.net import socket, socket_msg
from glasskernel.uapi.unistd_64 import NR, SYSCALL_NAMES

P = "partial"
SLOW = "slow"            # may sleep or switch tasks: runs outside the emulator hook

# (number, handler, support, note[, SLOW])
_ROWS = [
    # files: data (fs/read_write.c)
    (NR.read, read_write.sys_read, "supported", ""),
    (NR.write, read_write.sys_write, "supported", ""),
    (NR.readv, read_write.sys_readv, "supported", ""),
    (NR.writev, read_write.sys_writev, "supported", ""),
    (NR.pread64, read_write.sys_pread64, "supported", ""),
    (NR.pwrite64, read_write.sys_pwrite64, "supported", ""),
    (NR.preadv, read_write.sys_preadv, "supported", ""),
    (NR.pwritev, read_write.sys_pwritev, "supported", ""),
    (NR.lseek, read_write.sys_lseek, "supported", ""),
    (NR.sendfile, read_write.sys_sendfile64, "supported", ""),
    (NR.copy_file_range, read_write.sys_copy_file_range, "supported", ""),
    (NR.pipe, pipe.sys_pipe, "supported", ""),
    (NR.pipe2, pipe.sys_pipe2, P, "O_DIRECT (packet mode) is EINVAL"),
    # files: waiting on many descriptors (fs/select.c, fs/eventpoll.c); they leave the
    # emulator hook (SlowPathRequired) only when they must sleep or were interrupted
    (NR.poll, fs_select.sys_poll, "supported", ""),
    (NR.ppoll, fs_select.sys_ppoll, "supported", ""),
    (NR.select, fs_select.sys_select, "supported", ""),
    (NR.pselect6, fs_select.sys_pselect6, "supported", ""),
    (NR.epoll_create, eventpoll.sys_epoll_create, "supported", ""),
    (NR.epoll_create1, eventpoll.sys_epoll_create1, "supported", ""),
    (NR.epoll_ctl, eventpoll.sys_epoll_ctl, P, "EPOLLEXCLUSIVE wakes every waiter; no wakeup-path limits"),
    (NR.epoll_wait, eventpoll.sys_epoll_wait, "supported", ""),
    (NR.epoll_pwait, eventpoll.sys_epoll_pwait, "supported", ""),
    (NR.epoll_pwait2, eventpoll.sys_epoll_pwait2, "supported", ""),
    # files: event, timer and signal descriptors (fs/eventfd.c, fs/timerfd.c,
    # fs/signalfd.c); their reads sleep through read(2)'s slow path
    (NR.eventfd, eventfd.sys_eventfd, "supported", ""),
    (NR.eventfd2, eventfd.sys_eventfd2, "supported", ""),
    (NR.timerfd_create, timerfd.sys_timerfd_create, "supported", ""),
    (NR.timerfd_settime, timerfd.sys_timerfd_settime, "supported", ""),
    (NR.timerfd_gettime, timerfd.sys_timerfd_gettime, "supported", ""),
    (NR.signalfd, signalfd.sys_signalfd, "supported", ""),
    (NR.signalfd4, signalfd.sys_signalfd4, "supported", ""),
    # files: inotify (fs/notify/inotify/inotify_user.c); dnotify is fcntl's F_NOTIFY
    (NR.inotify_init, inotify_user.sys_inotify_init, "supported", ""),
    (NR.inotify_init1, inotify_user.sys_inotify_init1, "supported", ""),
    (NR.inotify_add_watch, inotify_user.sys_inotify_add_watch, P,
     "no IN_UNMOUNT; DELETE_SELF of an inode still open waits for the last close"),
    (NR.inotify_rm_watch, inotify_user.sys_inotify_rm_watch, "supported", ""),
    # files: opening and attributes (fs/open.c, fs/stat.c, fs/utimes.c, fs/sync.c)
    (NR.open, open.sys_open, "supported", ""),
    (NR.openat, open.sys_openat, "supported", ""),
    (NR.openat2, open.sys_openat2, "supported", ""),
    (NR.creat, open.sys_creat, "supported", ""),
    (NR.close, open.sys_close, "supported", ""),
    (NR.close_range, file.sys_close_range, "supported", ""),
    (NR.access, open.sys_access, "supported", ""),
    (NR.faccessat, open.sys_faccessat, "supported", ""),
    (NR.faccessat2, open.sys_faccessat2, "supported", ""),
    (NR.chdir, open.sys_chdir, "supported", ""),
    (NR.fchdir, open.sys_fchdir, "supported", ""),
    (NR.chmod, open.sys_chmod, "supported", ""),
    (NR.fchmod, open.sys_fchmod, "supported", ""),
    (NR.fchmodat, open.sys_fchmodat, "supported", ""),
    (NR.chown, open.sys_chown, "supported", ""),
    (NR.fchown, open.sys_fchown, "supported", ""),
    (NR.lchown, open.sys_lchown, "supported", ""),
    (NR.fchownat, open.sys_fchownat, "supported", ""),
    (NR.truncate, open.sys_truncate, "supported", ""),
    (NR.fallocate, open.sys_fallocate, "supported", ""),
    (NR.ftruncate, open.sys_ftruncate, "supported", ""),
    (NR.umask, open.sys_umask, "supported", ""),
    (NR.stat, stat.sys_newstat, "supported", ""),
    (NR.fstat, stat.sys_newfstat, "supported", ""),
    (NR.lstat, stat.sys_newlstat, "supported", ""),
    (NR.newfstatat, stat.sys_newfstatat, "supported", ""),
    (NR.statfs, statfs.sys_statfs, "supported", ""),
    (NR.fstatfs, statfs.sys_fstatfs, "supported", ""),
    (NR.statx, stat.sys_statx, "supported", ""),
    (NR.readlink, stat.sys_readlink, "supported", ""),
    (NR.readlinkat, stat.sys_readlinkat, "supported", ""),
    # mounts (fs/namespace.c)
    (NR.mount, namespace_mount.sys_mount, P, "tmpfs, proc, devtmpfs (other types ENODEV); "
     "MS_BIND of tmpfs directories only; no mount propagation (every mount is private)"),
    (NR.umount2, namespace_mount.sys_umount2, P, "the root mount is never unmounted (EBUSY)"),
    # extended attributes (fs/xattr.c)
    (NR.getxattr, xattr.sys_getxattr, "supported", ""),
    (NR.lgetxattr, xattr.sys_lgetxattr, "supported", ""),
    (NR.fgetxattr, xattr.sys_fgetxattr, "supported", ""),
    (NR.listxattr, xattr.sys_listxattr, "supported", ""),
    (NR.llistxattr, xattr.sys_llistxattr, "supported", ""),
    (NR.flistxattr, xattr.sys_flistxattr, "supported", ""),
    (NR.setxattr, xattr.sys_setxattr, "supported", ""),
    (NR.lsetxattr, xattr.sys_lsetxattr, "supported", ""),
    (NR.fsetxattr, xattr.sys_fsetxattr, "supported", ""),
    (NR.removexattr, xattr.sys_removexattr, "supported", ""),
    (NR.lremovexattr, xattr.sys_lremovexattr, "supported", ""),
    (NR.fremovexattr, xattr.sys_fremovexattr, "supported", ""),
    (NR.utimensat, utimes.sys_utimensat, P, "no ownership checks"),
    (NR.utimes, utimes.sys_utimes, "supported", ""),
    (NR.fsync, sync.sys_fsync, "supported", ""),
    (NR.fdatasync, sync.sys_fdatasync, "supported", ""),
    (NR.sync, sync.sys_sync, "supported", ""),
    # files: directories and names (fs/readdir.c, fs/d_path.c, fs/namei.c)
    (NR.getdents64, readdir.sys_getdents64, "supported", ""),
    (NR.getcwd, d_path.sys_getcwd, "supported", ""),
    (NR.mkdir, namei_dir.sys_mkdir, "supported", ""),
    (NR.mkdirat, namei_dir.sys_mkdirat, "supported", ""),
    (NR.mknod, namei_dir.sys_mknod, "supported", ""),
    (NR.mknodat, namei_dir.sys_mknodat, "supported", ""),
    (NR.unlink, namei_dir.sys_unlink, "supported", ""),
    (NR.unlinkat, namei_dir.sys_unlinkat, "supported", ""),
    (NR.rmdir, namei_dir.sys_rmdir, "supported", ""),
    (NR.rename, namei_dir.sys_rename, "supported", ""),
    (NR.renameat, namei_dir.sys_renameat, "supported", ""),
    (NR.renameat2, namei_dir.sys_renameat2, P, "RENAME_EXCHANGE/WHITEOUT refused"),
    (NR.symlink, namei_dir.sys_symlink, "supported", ""),
    (NR.symlinkat, namei_dir.sys_symlinkat, "supported", ""),
    (NR.link, namei_dir.sys_link, "supported", ""),
    (NR.linkat, namei_dir.sys_linkat, "supported", ""),
    # files: descriptors (fs/file.c, fs/fcntl.c, fs/ioctl.c)
    (NR.dup, file.sys_dup, "supported", ""),
    (NR.dup2, file.sys_dup2, "supported", ""),
    (NR.dup3, file.sys_dup3, "supported", ""),
    (NR.fcntl, fcntl.sys_fcntl, P, "O_ASYNC SIGIO only from pipes and inotify; no F_*_RW_HINT"),
    # files: locks (fs/locks.c)
    (NR.flock, locks.sys_flock, "supported", ""),
    (NR.ioctl, ioctl.sys_ioctl, P, "terminal ioctls pass through to the host tty"),
    # sockets (net/socket.c, net/unix/af_unix.c, net/ipv4, net/ipv6): AF_UNIX, AF_INET, AF_INET6
    (NR.socket, socket.sys_socket, P, "AF_UNIX, AF_INET, AF_INET6 (no raw); others EAFNOSUPPORT"),
    (NR.socketpair, socket.sys_socketpair, P, "AF_UNIX only (inet: EOPNOTSUPP as Linux)"),
    (NR.getpeername, socket.sys_getpeername, "supported", ""),
    (NR.getsockname, socket.sys_getsockname, "supported", ""),
    (NR.getsockopt, socket.sys_getsockopt, P, "SOL_SOCKET options"),
    (NR.setsockopt, socket.sys_setsockopt, P, "SOL_SOCKET options"),
    (NR.shutdown, socket.sys_shutdown, "supported", ""),
    (NR.listen, socket.sys_listen, "supported", ""),
    (NR.bind, socket.sys_bind, "supported", ""),
    (NR.connect, socket.sys_connect, "supported", "", SLOW),
    (NR.accept, socket.sys_accept, "supported", "", SLOW),
    (NR.accept4, socket.sys_accept4, "supported", "", SLOW),
    (NR.sendto, socket.sys_sendto, P, "no MSG_OOB", SLOW),
    (NR.recvfrom, socket.sys_recvfrom, P, "no MSG_OOB", SLOW),
    (NR.sendmsg, socket_msg.sys_sendmsg, P, "SCM_RIGHTS, SCM_CREDENTIALS", SLOW),
    (NR.recvmsg, socket_msg.sys_recvmsg, P, "SCM_RIGHTS, SCM_CREDENTIALS", SLOW),
    (NR.sendmmsg, socket_msg.sys_sendmmsg, "supported", "", SLOW),
    (NR.recvmmsg, socket_msg.sys_recvmmsg, "supported", "", SLOW),
    # memory (mm/)
    (NR.brk, mmap.sys_brk, "supported", ""),
    (NR.mmap, mmap.sys_mmap, "supported", ""),
    (NR.msync, msync.sys_msync, "supported", ""),
    (NR.memfd_create, memfd.sys_memfd_create, P, "no MFD_HUGETLB"),
    (NR.munmap, mmap.sys_munmap, "supported", ""),
    (NR.mprotect, mprotect.sys_mprotect, "supported", ""),
    (NR.mremap, mremap.sys_mremap, P, "MREMAP_DONTUNMAP is refused"),
    (NR.madvise, madvise.sys_madvise, P, "only MADV_DONTNEED/MADV_FREE act"),
    (NR.remap_file_pages, mmap.sys_remap_file_pages, "supported", ""),
    # memory locking (mm/mlock.c)
    (NR.mlock, mlock.sys_mlock, "supported", ""),
    (NR.mlock2, mlock.sys_mlock2, "supported", ""),
    (NR.munlock, mlock.sys_munlock, "supported", ""),
    (NR.mlockall, mlock.sys_mlockall, "supported", ""),
    (NR.munlockall, mlock.sys_munlockall, "supported", ""),
    (NR.fadvise64, fadvise.sys_fadvise64, "supported", "advice checked, nothing to do"),
    (NR.mincore, mincore.sys_mincore, "supported", "resident = present in this mm"),
    (NR.get_mempolicy, mempolicy.sys_get_mempolicy, P, "one node; no mbind policies"),
    (NR.set_mempolicy, mempolicy.sys_set_mempolicy, P, "one node: kept, changes nothing"),
    # process (kernel/, arch/x86/kernel/)
    (NR.arch_prctl, process_64.sys_arch_prctl, "supported", ""),
    (NR.set_tid_address, fork.sys_set_tid_address, "supported", ""),
    (NR.set_robust_list, futex.sys_set_robust_list, P, "list not walked at exit yet"),
    (NR.futex, futex_core.sys_futex, P, "no PI futexes", SLOW),
    (NR.futex_waitv, futex_core.sys_futex_waitv, "supported", "", SLOW),
    (NR.rseq, rseq.sys_rseq, P, "kernel built without CONFIG_RSEQ: ENOSYS"),
    (NR.uname, sys.sys_uname, "supported", ""),
    (NR.personality, exec_domain.sys_personality, P, "only UNAME26 and STICKY_TIMEOUTS act"),
    (NR.getpid, sys.sys_getpid, "supported", ""),
    (NR.gettid, sys.sys_gettid, "supported", ""),
    (NR.getppid, sys.sys_getppid, "supported", ""),
    (NR.getuid, sys.sys_getuid, "supported", ""),
    (NR.geteuid, sys.sys_geteuid, "supported", ""),
    (NR.getgid, sys.sys_getgid, "supported", ""),
    (NR.getegid, sys.sys_getegid, "supported", ""),
    (NR.getgroups, sys.sys_getgroups, "supported", ""),
    (NR.sysinfo, sys.sys_sysinfo, "supported", ""),
    (NR.getrusage, sys.sys_getrusage, P, "times and maxrss; no fault or I/O counters"),
    (NR.prlimit64, sys.sys_prlimit64, "supported", ""),
    (NR.getrlimit, sys.sys_getrlimit, "supported", ""),
    (NR.setrlimit, sys.sys_setrlimit, "supported", ""),
    (NR.setuid, sys.sys_setuid, "supported", ""),
    (NR.setgid, sys.sys_setgid, "supported", ""),
    (NR.setreuid, sys.sys_setreuid, "supported", ""),
    (NR.setregid, sys.sys_setregid, "supported", ""),
    (NR.setresuid, sys.sys_setresuid, "supported", ""),
    (NR.setresgid, sys.sys_setresgid, "supported", ""),
    (NR.getresuid, sys.sys_getresuid, "supported", ""),
    (NR.getresgid, sys.sys_getresgid, "supported", ""),
    (NR.setgroups, sys.sys_setgroups, "supported", ""),
    (NR.prctl, sys_prctl.sys_prctl, P, "name, pdeath signal, dumpable, subreaper, no_new_privs, capabilities"),
    # capabilities (kernel/capability.c, security/commoncap.c) and the fs ids
    (NR.capget, capability.sys_capget, "supported", ""),
    (NR.capset, capability.sys_capset, "supported", ""),
    (NR.setfsuid, sys.sys_setfsuid, "supported", ""),
    (NR.setfsgid, sys.sys_setfsgid, "supported", ""),
    # System V IPC (ipc/)
    (NR.shmget, shm.sys_shmget, P, "SHM_HUGETLB is ENOMEM (no huge pages)"),
    (NR.shmat, shm.sys_shmat, "supported", ""),
    (NR.shmdt, shm.sys_shmdt, "supported", ""),
    (NR.shmctl, shm.sys_shmctl, "supported", ""),
    (NR.semget, sem.sys_semget, "supported", ""),
    (NR.semop, sem.sys_semop, "supported", ""),
    (NR.semtimedop, sem.sys_semtimedop, "supported", ""),
    (NR.semctl, sem.sys_semctl, "supported", ""),
    (NR.msgget, msg.sys_msgget, "supported", ""),
    (NR.msgsnd, msg.sys_msgsnd, "supported", ""),
    (NR.msgrcv, msg.sys_msgrcv, "supported", ""),
    (NR.msgctl, msg.sys_msgctl, "supported", ""),
    # signals (kernel/signal.c)
    (NR.rt_sigaction, signal_syscalls.sys_rt_sigaction, "supported", ""),
    (NR.rt_sigreturn, arch_signal.sys_rt_sigreturn, "supported", "", SLOW),
    (NR.rt_sigsuspend, signal_syscalls.sys_rt_sigsuspend, "supported", "", SLOW),
    (NR.pause, signal_syscalls.sys_pause, "supported", "", SLOW),
    (NR.rt_sigtimedwait, signal_syscalls.sys_rt_sigtimedwait, "supported", "", SLOW),
    (NR.restart_syscall, signal_syscalls.sys_restart_syscall, "supported", "", SLOW),
    (NR.sigaltstack, arch_signal.sys_sigaltstack, "supported", ""),
    (NR.rt_sigprocmask, signal_syscalls.sys_rt_sigprocmask, "supported", ""),
    (NR.rt_sigpending, signal_syscalls.sys_rt_sigpending, "supported", ""),
    (NR.kill, signal_syscalls.sys_kill, P, "process-directed signals pick their thread when sent"),
    (NR.pidfd_send_signal, pidfd.sys_pidfd_send_signal, "supported", ""),
    (NR.pidfd_open, pidfd.sys_pidfd_open, P, "waitid(P_PIDFD) unsupported"),
    (NR.tkill, signal_syscalls.sys_tkill, "supported", ""),
    (NR.tgkill, signal_syscalls.sys_tgkill, "supported", ""),
    (NR.rt_sigqueueinfo, signal_syscalls.sys_rt_sigqueueinfo, P,
     "process-directed signals pick their thread when sent"),
    (NR.rt_tgsigqueueinfo, signal_syscalls.sys_rt_tgsigqueueinfo, "supported", ""),
    (NR.sched_getaffinity, sched_syscalls.sys_sched_getaffinity, "supported", ""),
    (NR.sched_setaffinity, sched_syscalls.sys_sched_setaffinity, P, "one CPU: masks must include CPU 0"),
    (NR.sched_yield, sched_syscalls.sys_sched_yield, "supported", "", SLOW),
    # time (kernel/time/)
    (NR.clock_gettime, time.sys_clock_gettime, "supported", ""),
    (NR.clock_getres, time.sys_clock_getres, "supported", ""),
    (NR.gettimeofday, time.sys_gettimeofday, "supported", ""),
    (NR.time, time.sys_time, "supported", ""),
    (NR.nanosleep, time.sys_nanosleep, "supported", "", SLOW),
    (NR.clock_nanosleep, time.sys_clock_nanosleep, P, "the process CPU clock sleeps on the wall clock", SLOW),
    (NR.times, time.sys_times, "supported", ""),
    # setting the guest's own wall clock (kernel/time/time.c, ntp.c): never the host's
    (NR.clock_settime, time_ntp.sys_clock_settime, "supported", ""),
    (NR.settimeofday, time_ntp.sys_settimeofday, "supported", ""),
    (NR.adjtimex, time_ntp.sys_adjtimex, P, "NTP state and leap seconds; the clock is not steered"),
    (NR.clock_adjtime, time_ntp.sys_clock_adjtime, P, "NTP state and leap seconds; the clock is not steered"),
    # (slow: arming a timer must end an unbounded run, so the next one is sliced)
    (NR.alarm, time_itimer.sys_alarm, "supported", "", SLOW),
    (NR.setitimer, time_itimer.sys_setitimer, P, "VIRTUAL/PROF: polled, precise to a time slice", SLOW),
    (NR.getitimer, time_itimer.sys_getitimer, "supported", ""),
    # POSIX timers (kernel/time/posix-timers.c); arming one in the hook ends the run
    (NR.timer_create, posix_timers.sys_timer_create, P, "alarm clocks: no RTC (EOPNOTSUPP)"),
    (NR.timer_settime, posix_timers.sys_timer_settime, P, "CPU clocks: polled, precise to a time slice"),
    (NR.timer_gettime, posix_timers.sys_timer_gettime, "supported", ""),
    (NR.timer_getoverrun, posix_timers.sys_timer_getoverrun, "supported", ""),
    (NR.timer_delete, posix_timers.sys_timer_delete, "supported", ""),
    # randomness (drivers/char/random.c)
    (NR.getrandom, random.sys_getrandom, "supported", ""),
    # the process lifecycle (kernel/fork.c, fs/exec.c, kernel/exit.c): always the slow path
    (NR.fork, fork.sys_fork, "supported", "", SLOW),
    (NR.vfork, fork.sys_vfork, "supported", "", SLOW),
    (NR.clone, fork.sys_clone, P, "threads share a group; futexes come later", SLOW),
    (NR.clone3, fork.sys_clone3, P, "no cgroups (CLONE_INTO_CGROUP)", SLOW),
    (NR.execve, fs_exec.sys_execve, P, "static ELF and #! scripts; no dynamic loader yet", SLOW),
    (NR.execveat, fs_exec.sys_execveat, P, "static ELF and #! scripts; no dynamic loader yet", SLOW),
    (NR.wait4, kexit.sys_wait4, "supported", "", SLOW),
    (NR.waitid, kexit.sys_waitid, P, "P_PIDFD unsupported", SLOW),
    (NR.exit, kexit.sys_exit, "supported", "", SLOW),
    (NR.exit_group, kexit.sys_exit_group, "supported", "", SLOW),
    # sessions, groups, priorities (kernel/sys.c)
    (NR.setpgid, sys_pgrp.sys_setpgid, "supported", ""),
    (NR.getpgid, sys_pgrp.sys_getpgid, "supported", ""),
    (NR.getpgrp, sys_pgrp.sys_getpgrp, "supported", ""),
    (NR.getsid, sys_pgrp.sys_getsid, "supported", ""),
    (NR.setsid, sys_pgrp.sys_setsid, "supported", ""),
    (NR.getpriority, sys_pgrp.sys_getpriority, "supported", ""),
    (NR.setpriority, sys_pgrp.sys_setpriority, "supported", ""),
    # namespaces (kernel/nsproxy.c, kernel/fork.c: ksys_unshare, kernel/utsname.c)
    (NR.unshare, fork.sys_unshare, P, "CLONE_NEWNS: a new namespace sharing the one mount tree; "
     "CLONE_NEWNET/CLONE_NEWCGROUP: identities only", SLOW),
    (NR.setns, nsproxy.sys_setns, P, "mount, network and cgroup namespaces are identities only",
     SLOW),
    (NR.sethostname, utsname.sys_sethostname, "supported", ""),
    (NR.setdomainname, utsname.sys_setdomainname, "supported", ""),
]


def build_sys_call_table() -> dict:
    """nr → SyscallEntry for every implemented syscall."""
    table = {}
    for nr, handler, support, note, *slow in _ROWS:
        table[int(nr)] = SyscallEntry(int(nr), SYSCALL_NAMES[int(nr)], handler, support, note,
                                      slow=bool(slow))
    return table

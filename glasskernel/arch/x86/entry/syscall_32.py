"""The i386 system call table (arch/x86/entry/syscalls/syscall_32.tbl): ia32_sys_call_table.

What a 32-bit program reaches through ``int $0x80`` or ``sysenter``. Most rows are the
64-bit kernel's own handlers, which read ``int`` arguments from the low 32 bits of each
register; a row names a compat wrapper where the arguments or the user structures of an
i386 caller differ (two registers for a 64-bit value, 32-bit pointers and longs). The
"slow" ones (those that may sleep or switch tasks) are the 64-bit table's, by name, and
_SLOW_32: they run on the task's kernel stack, the others inside the CPU hook
(entry_64_compat.py). Numbers absent here return ENOSYS with a single warning per number.
"""
from glasskernel.arch.x86.entry.common import SyscallEntry
from glasskernel.arch.x86.kernel import process_64, sys_ia32, tls
from glasskernel.drivers.char import random
from glasskernel.fs import exec as fs_exec
from glasskernel.fs import (d_path, eventfd, eventpoll, fcntl, file, ioctl, locks, namei_dir,
                            namespace_mount, open, pipe, read_write, readdir, select as fs_select,
                            select_compat, stat, statfs, sync, timerfd, utimes, xattr)
from glasskernel.fs.notify.inotify import inotify_user
from glasskernel.ipc import compat as ipc_compat, msg, sem, shm
from glasskernel.kernel import exit as kexit
from glasskernel.kernel import (capability, compat, exec_domain, fork, nsproxy, pidfd, posix_timers,
                                rseq, signal_syscalls, sys, sys_compat, sys_pgrp, sys_prctl, time,
                                time_compat, time_itimer, time_ntp, uid16, utsname)
from glasskernel.kernel.futex import core as futex_core, syscalls as futex
from glasskernel.kernel.sched import syscalls as sched_syscalls
from glasskernel.mm import madvise, memfd, mempolicy, mincore, mlock, mmap, mprotect, mremap, msync
from glasskernel.net import compat as net_compat, socket
from glasskernel.arch.x86.ia32 import ia32_signal
from glasskernel.fs import signalfd
from glasskernel.kernel import signal_compat
from glasskernel.uapi.unistd_32 import NR, SYSCALL_NAMES, syscall_name

P = "partial"
_IPC_CTL = "IPC_64 structs only: a struct command without IPC_64 (the old layouts) is EINVAL"
_SOCKOPT = "SOL_SOCKET options"

# (number, handler, support, note)
_ROWS = [
    # processes (kernel/fork.c, kernel/exit.c, fs/exec.c)
    (NR.fork, fork.sys_fork, "supported", ""),
    (NR.vfork, fork.sys_vfork, "supported", ""),
    (NR.clone, sys_ia32.sys_ia32_clone, "supported", ""),
    (NR.execve, fs_exec.compat_sys_execve, "supported", ""),
    (NR.execveat, fs_exec.compat_sys_execveat, "supported", ""),
    (NR.exit, kexit.sys_exit, "supported", ""),
    (NR.exit_group, kexit.sys_exit_group, "supported", ""),
    (NR.waitpid, kexit.sys_waitpid, "supported", ""),
    (NR.wait4, kexit.compat_sys_wait4, "supported", ""),
    (NR.set_tid_address, fork.sys_set_tid_address, "supported", ""),
    # thread-local storage (arch/x86/kernel/tls.c)
    (NR.set_thread_area, tls.sys_set_thread_area, "supported", ""),
    (NR.get_thread_area, tls.sys_get_thread_area, "supported", ""),
    (NR.getpid, sys.sys_getpid, "supported", ""),
    (NR.getppid, sys.sys_getppid, "supported", ""),
    (NR.uname, sys.sys_uname, "supported", ""),
    # memory (mm/mmap.c, mm/mprotect.c)
    (NR.brk, mmap.sys_brk, "supported", ""),
    (NR.mmap2, mmap.sys_mmap_pgoff, "supported", ""),
    (NR.munmap, mmap.sys_munmap, "supported", ""),
    (NR.mprotect, mprotect.sys_mprotect, "supported", ""),
    # files (fs/open.c, fs/read_write.c, fs/ioctl.c)
    (NR.close, open.sys_close, "supported", ""),
    (NR.read, read_write.sys_read, "supported", ""),
    (NR.write, read_write.sys_write, "supported", ""),
    (NR.ioctl, ioctl.compat_sys_ioctl, P, "termios and winsize need no translation; the "
     "struct-converting compat ioctls (SIOCGIFCONF, ...) are not there"),
    # ----- the rest of the numbers whose 64-bit counterpart is implemented: the tbl's
    # compat entry point where it names one, the native handler where it names that
    # files: data (fs/read_write.c, arch/x86/kernel/sys_ia32.c)
    (NR.readv, read_write.sys_readv, "supported", ""),           # compat iovecs in import_iovec
    (NR.writev, read_write.sys_writev, "supported", ""),
    (NR.pread64, sys_ia32.sys_ia32_pread64, "supported", ""),
    (NR.pwrite64, sys_ia32.sys_ia32_pwrite64, "supported", ""),
    (NR.preadv, read_write.compat_sys_preadv, "supported", ""),
    (NR.pwritev, read_write.compat_sys_pwritev, "supported", ""),
    (NR.lseek, read_write.compat_sys_lseek, "supported", ""),
    (NR._llseek, sys_ia32.sys_llseek, "supported", ""),
    (NR.sendfile, read_write.compat_sys_sendfile, "supported", ""),
    (NR.sendfile64, read_write.sys_sendfile64, "supported", ""),
    (NR.copy_file_range, read_write.sys_copy_file_range, "supported", ""),
    (NR.pipe, pipe.sys_pipe, "supported", ""),
    (NR.pipe2, pipe.sys_pipe2, P, "O_DIRECT (packet mode) is EINVAL"),
    # files: waiting on many descriptors (fs/select.c, fs/eventpoll.c)
    (NR.poll, fs_select.sys_poll, "supported", ""),
    (NR.ppoll, select_compat.compat_sys_ppoll_time32, "supported", ""),
    (NR.ppoll_time64, select_compat.compat_sys_ppoll_time64, "supported", ""),
    (NR.select, select_compat.compat_sys_old_select, "supported", ""),
    (NR._newselect, select_compat.compat_sys_select, "supported", ""),
    (NR.pselect6, select_compat.compat_sys_pselect6_time32, "supported", ""),
    (NR.pselect6_time64, select_compat.compat_sys_pselect6_time64, "supported", ""),
    (NR.epoll_create, eventpoll.sys_epoll_create, "supported", ""),
    (NR.epoll_create1, eventpoll.sys_epoll_create1, "supported", ""),
    (NR.epoll_ctl, eventpoll.sys_epoll_ctl, P, "EPOLLEXCLUSIVE wakes every waiter; no wakeup-path limits"),
    (NR.epoll_wait, eventpoll.sys_epoll_wait, "supported", ""),    # epoll_event is packed: same
    (NR.epoll_pwait, eventpoll.sys_epoll_pwait, "supported", ""),
    (NR.epoll_pwait2, eventpoll.sys_epoll_pwait2, "supported", ""),
    # files: event and timer descriptors (fs/eventfd.c, fs/timerfd.c)
    (NR.eventfd, eventfd.sys_eventfd, "supported", ""),
    (NR.eventfd2, eventfd.sys_eventfd2, "supported", ""),
    (NR.timerfd_create, timerfd.sys_timerfd_create, "supported", ""),
    (NR.timerfd_settime, time_compat.sys_timerfd_settime32, "supported", ""),
    (NR.timerfd_gettime, time_compat.sys_timerfd_gettime32, "supported", ""),
    (NR.timerfd_settime64, timerfd.sys_timerfd_settime, "supported", ""),
    (NR.timerfd_gettime64, timerfd.sys_timerfd_gettime, "supported", ""),
    # files: inotify (fs/notify/inotify/inotify_user.c)
    (NR.inotify_init, inotify_user.sys_inotify_init, "supported", ""),
    (NR.inotify_init1, inotify_user.sys_inotify_init1, "supported", ""),
    (NR.inotify_add_watch, inotify_user.sys_inotify_add_watch, P,
     "no IN_UNMOUNT; DELETE_SELF of an inode still open waits for the last close"),
    (NR.inotify_rm_watch, inotify_user.sys_inotify_rm_watch, "supported", ""),
    # files: opening and attributes (fs/open.c, fs/stat.c, fs/statfs.c, fs/utimes.c)
    (NR.open, open.compat_sys_open, "supported", ""),
    (NR.openat, open.compat_sys_openat, "supported", ""),
    (NR.openat2, open.sys_openat2, "supported", ""),
    (NR.creat, open.sys_creat, "supported", ""),
    (NR.close_range, file.sys_close_range, "supported", ""),
    (NR.access, open.sys_access, "supported", ""),
    (NR.faccessat, open.sys_faccessat, "supported", ""),
    (NR.faccessat2, open.sys_faccessat2, "supported", ""),
    (NR.chdir, open.sys_chdir, "supported", ""),
    (NR.fchdir, open.sys_fchdir, "supported", ""),
    (NR.chmod, open.sys_chmod, "supported", ""),
    (NR.fchmod, open.sys_fchmod, "supported", ""),
    (NR.fchmodat, open.sys_fchmodat, "supported", ""),
    (NR.chown32, open.sys_chown, "supported", ""),
    (NR.fchown32, open.sys_fchown, "supported", ""),
    (NR.lchown32, open.sys_lchown, "supported", ""),
    (NR.chown, uid16.sys_chown16, "supported", ""),
    (NR.fchown, uid16.sys_fchown16, "supported", ""),
    (NR.lchown, uid16.sys_lchown16, "supported", ""),
    (NR.fchownat, open.sys_fchownat, "supported", ""),
    (NR.truncate, open.compat_sys_truncate, "supported", ""),
    (NR.ftruncate, open.compat_sys_ftruncate, "supported", ""),
    (NR.truncate64, sys_ia32.sys_ia32_truncate64, "supported", ""),
    (NR.ftruncate64, sys_ia32.sys_ia32_ftruncate64, "supported", ""),
    (NR.fallocate, sys_ia32.sys_ia32_fallocate, "supported", ""),
    (NR.umask, open.sys_umask, "supported", ""),
    (NR.oldstat, stat.sys_oldstat, "supported", ""),
    (NR.oldfstat, stat.sys_oldfstat, "supported", ""),
    (NR.oldlstat, stat.sys_oldlstat, "supported", ""),
    (NR.stat, stat.compat_sys_newstat, "supported", ""),
    (NR.fstat, stat.compat_sys_newfstat, "supported", ""),
    (NR.lstat, stat.compat_sys_newlstat, "supported", ""),
    (NR.stat64, sys_ia32.compat_sys_ia32_stat64, "supported", ""),
    (NR.fstat64, sys_ia32.compat_sys_ia32_fstat64, "supported", ""),
    (NR.lstat64, sys_ia32.compat_sys_ia32_lstat64, "supported", ""),
    (NR.fstatat64, sys_ia32.compat_sys_ia32_fstatat64, "supported", ""),
    (NR.statx, stat.sys_statx, "supported", ""),
    (NR.statfs, statfs.compat_sys_statfs, "supported", ""),
    (NR.fstatfs, statfs.compat_sys_fstatfs, "supported", ""),
    (NR.statfs64, statfs.compat_sys_statfs64, "supported", ""),
    (NR.fstatfs64, statfs.compat_sys_fstatfs64, "supported", ""),
    (NR.readlink, stat.sys_readlink, "supported", ""),
    (NR.readlinkat, stat.sys_readlinkat, "supported", ""),
    (NR.utime, utimes.sys_utime32, "supported", ""),
    (NR.utimes, utimes.sys_utimes_time32, "supported", ""),
    (NR.futimesat, utimes.sys_futimesat_time32, "supported", ""),
    (NR.utimensat, utimes.sys_utimensat_time32, P, "no ownership checks"),
    (NR.utimensat_time64, utimes.sys_utimensat, P, "no ownership checks"),
    (NR.fsync, sync.sys_fsync, "supported", ""),
    (NR.fdatasync, sync.sys_fdatasync, "supported", ""),
    (NR.sync, sync.sys_sync, "supported", ""),
    # mounts (fs/namespace.c)
    (NR.mount, namespace_mount.sys_mount, P, "tmpfs, proc, devtmpfs (other types ENODEV); "
     "MS_BIND of tmpfs directories only; no mount propagation (every mount is private)"),
    (NR.umount, namespace_mount.sys_oldumount, P, "the root mount is never unmounted (EBUSY)"),
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
    # files: directories and names (fs/readdir.c, fs/d_path.c, fs/namei.c)
    (NR.readdir, readdir.compat_sys_old_readdir, "supported", ""),
    (NR.getdents, readdir.compat_sys_getdents, "supported", ""),
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
    # files: descriptors (fs/file.c, fs/fcntl.c, fs/ioctl.c, fs/locks.c)
    (NR.dup, file.sys_dup, "supported", ""),
    (NR.dup2, file.sys_dup2, "supported", ""),
    (NR.dup3, file.sys_dup3, "supported", ""),
    (NR.fcntl, fcntl.compat_sys_fcntl, P, "O_ASYNC SIGIO only from pipes and inotify; no F_*_RW_HINT"),
    (NR.fcntl64, fcntl.compat_sys_fcntl64, P, "O_ASYNC SIGIO only from pipes and inotify; no F_*_RW_HINT"),
    (NR.flock, locks.sys_flock, "supported", ""),
    # sockets (net/socket.c, net/compat.c): the multiplexer and the direct numbers
    (NR.socketcall, net_compat.compat_sys_socketcall, P, _SOCKOPT),
    (NR.socket, socket.sys_socket, P, "AF_UNIX, AF_INET, AF_INET6 (no raw); others EAFNOSUPPORT"),
    (NR.socketpair, socket.sys_socketpair, P, "AF_UNIX only (inet: EOPNOTSUPP as Linux)"),
    (NR.getpeername, socket.sys_getpeername, "supported", ""),
    (NR.getsockname, socket.sys_getsockname, "supported", ""),
    (NR.getsockopt, socket.sys_getsockopt, P, _SOCKOPT),
    (NR.setsockopt, socket.sys_setsockopt, P, _SOCKOPT),
    (NR.shutdown, socket.sys_shutdown, "supported", ""),
    (NR.listen, socket.sys_listen, "supported", ""),
    (NR.bind, socket.sys_bind, "supported", ""),
    (NR.connect, socket.sys_connect, "supported", ""),
    (NR.accept4, socket.sys_accept4, "supported", ""),
    (NR.sendto, socket.sys_sendto, P, "no MSG_OOB"),
    (NR.recvfrom, net_compat.compat_sys_recvfrom, P, "no MSG_OOB"),
    (NR.sendmsg, net_compat.compat_sys_sendmsg, P, "SCM_RIGHTS, SCM_CREDENTIALS"),
    (NR.recvmsg, net_compat.compat_sys_recvmsg, P, "SCM_RIGHTS, SCM_CREDENTIALS"),
    (NR.sendmmsg, net_compat.compat_sys_sendmmsg, "supported", ""),
    (NR.recvmmsg, net_compat.compat_sys_recvmmsg_time32, "supported", ""),
    (NR.recvmmsg_time64, net_compat.compat_sys_recvmmsg_time64, "supported", ""),
    # memory (mm/, arch/x86/kernel/sys_ia32.c)
    (NR.mmap, sys_ia32.compat_sys_ia32_mmap, "supported", ""),
    (NR.msync, msync.sys_msync, "supported", ""),
    (NR.memfd_create, memfd.sys_memfd_create, P, "no MFD_HUGETLB"),
    (NR.mremap, mremap.sys_mremap, P, "MREMAP_DONTUNMAP is refused"),
    (NR.madvise, madvise.sys_madvise, P, "only MADV_DONTNEED/MADV_FREE act"),
    (NR.remap_file_pages, mmap.sys_remap_file_pages, "supported", ""),
    (NR.mlock, mlock.sys_mlock, "supported", ""),
    (NR.mlock2, mlock.sys_mlock2, "supported", ""),
    (NR.munlock, mlock.sys_munlock, "supported", ""),
    (NR.mlockall, mlock.sys_mlockall, "supported", ""),
    (NR.munlockall, mlock.sys_munlockall, "supported", ""),
    (NR.fadvise64, sys_ia32.sys_ia32_fadvise64, "supported", "advice checked, nothing to do"),
    (NR.fadvise64_64, sys_ia32.sys_ia32_fadvise64_64, "supported", "advice checked, nothing to do"),
    (NR.mincore, mincore.sys_mincore, "supported", "resident = present in this mm"),
    (NR.get_mempolicy, mempolicy.sys_get_mempolicy, P, "one node; no mbind policies"),
    (NR.set_mempolicy, mempolicy.sys_set_mempolicy, P, "one node: kept, changes nothing"),
    # process (kernel/)
    (NR.arch_prctl, process_64.compat_sys_arch_prctl, "supported", ""),
    (NR.set_robust_list, futex.compat_sys_set_robust_list, P, "list not walked at exit yet"),
    (NR.futex, time_compat.sys_futex_time32, P, "no PI futexes"),
    (NR.futex_time64, futex_core.sys_futex, P, "no PI futexes"),
    (NR.futex_waitv, futex_core.sys_futex_waitv, "supported", ""),
    (NR.rseq, rseq.sys_rseq, P, "kernel built without CONFIG_RSEQ: ENOSYS"),
    (NR.olduname, sys_compat.sys_olduname, "supported", ""),
    (NR.oldolduname, sys_compat.sys_oldolduname, "supported", ""),
    (NR.personality, exec_domain.sys_personality, P, "only UNAME26 and STICKY_TIMEOUTS act"),
    (NR.gettid, sys.sys_gettid, "supported", ""),
    (NR.sysinfo, sys_compat.compat_sys_sysinfo, "supported", ""),
    (NR.getrusage, sys_compat.compat_sys_getrusage, P, "times and maxrss; no fault or I/O counters"),
    (NR.prlimit64, sys.sys_prlimit64, "supported", ""),
    (NR.getrlimit, sys_compat.compat_sys_old_getrlimit, "supported", ""),
    (NR.ugetrlimit, sys_compat.compat_sys_getrlimit, "supported", ""),
    (NR.setrlimit, sys_compat.compat_sys_setrlimit, "supported", ""),
    (NR.prctl, sys_prctl.sys_prctl, P, "name, pdeath signal, dumpable, subreaper, no_new_privs, capabilities"),
    # user and group ids: the *32 calls are the native ones (kernel/sys.c), the others
    # 16-bit (kernel/uid16.c)
    (NR.getuid32, sys.sys_getuid, "supported", ""),
    (NR.geteuid32, sys.sys_geteuid, "supported", ""),
    (NR.getgid32, sys.sys_getgid, "supported", ""),
    (NR.getegid32, sys.sys_getegid, "supported", ""),
    (NR.getgroups32, sys.sys_getgroups, "supported", ""),
    (NR.setgroups32, sys.sys_setgroups, "supported", ""),
    (NR.setuid32, sys.sys_setuid, "supported", ""),
    (NR.setgid32, sys.sys_setgid, "supported", ""),
    (NR.setreuid32, sys.sys_setreuid, "supported", ""),
    (NR.setregid32, sys.sys_setregid, "supported", ""),
    (NR.setresuid32, sys.sys_setresuid, "supported", ""),
    (NR.setresgid32, sys.sys_setresgid, "supported", ""),
    (NR.getresuid32, sys.sys_getresuid, "supported", ""),
    (NR.getresgid32, sys.sys_getresgid, "supported", ""),
    (NR.setfsuid32, sys.sys_setfsuid, "supported", ""),
    (NR.setfsgid32, sys.sys_setfsgid, "supported", ""),
    (NR.getuid, uid16.sys_getuid16, "supported", ""),
    (NR.geteuid, uid16.sys_geteuid16, "supported", ""),
    (NR.getgid, uid16.sys_getgid16, "supported", ""),
    (NR.getegid, uid16.sys_getegid16, "supported", ""),
    (NR.getgroups, uid16.sys_getgroups16, "supported", ""),
    (NR.setgroups, uid16.sys_setgroups16, "supported", ""),
    (NR.setuid, uid16.sys_setuid16, "supported", ""),
    (NR.setgid, uid16.sys_setgid16, "supported", ""),
    (NR.setreuid, uid16.sys_setreuid16, "supported", ""),
    (NR.setregid, uid16.sys_setregid16, "supported", ""),
    (NR.setresuid, uid16.sys_setresuid16, "supported", ""),
    (NR.setresgid, uid16.sys_setresgid16, "supported", ""),
    (NR.getresuid, uid16.sys_getresuid16, "supported", ""),
    (NR.getresgid, uid16.sys_getresgid16, "supported", ""),
    (NR.setfsuid, uid16.sys_setfsuid16, "supported", ""),
    (NR.setfsgid, uid16.sys_setfsgid16, "supported", ""),
    (NR.capget, capability.sys_capget, "supported", ""),
    (NR.capset, capability.sys_capset, "supported", ""),
    # System V IPC (ipc/): the multiplexer and the direct numbers
    (NR.ipc, ipc_compat.compat_sys_ipc, P, _IPC_CTL),
    (NR.shmget, shm.sys_shmget, P, "SHM_HUGETLB is ENOMEM (no huge pages)"),
    (NR.shmat, ipc_compat.compat_sys_shmat, "supported", ""),
    (NR.shmdt, shm.sys_shmdt, "supported", ""),
    (NR.shmctl, ipc_compat.compat_sys_shmctl, P, _IPC_CTL),
    (NR.semget, sem.sys_semget, "supported", ""),
    (NR.semtimedop_time64, sem.sys_semtimedop, "supported", ""),
    (NR.semctl, ipc_compat.compat_sys_semctl, P, _IPC_CTL),
    (NR.msgget, msg.sys_msgget, "supported", ""),
    (NR.msgsnd, ipc_compat.compat_sys_msgsnd, "supported", ""),
    (NR.msgrcv, ipc_compat.compat_sys_msgrcv, "supported", ""),
    (NR.msgctl, ipc_compat.compat_sys_msgctl, P, _IPC_CTL),
    # signals with no compat struct (kernel/signal.c); the others are the signal helper's
    (NR.restart_syscall, signal_syscalls.sys_restart_syscall, "supported", ""),
    (NR.pause, signal_syscalls.sys_pause, "supported", ""),
    (NR.kill, signal_syscalls.sys_kill, P, "process-directed signals pick their thread when sent"),
    (NR.tkill, signal_syscalls.sys_tkill, "supported", ""),
    (NR.tgkill, signal_syscalls.sys_tgkill, "supported", ""),
    (NR.pidfd_open, pidfd.sys_pidfd_open, P, "waitid(P_PIDFD) unsupported"),
    (NR.sched_getaffinity, compat.compat_sys_sched_getaffinity, "supported", ""),
    (NR.sched_setaffinity, sched_syscalls.sys_sched_setaffinity, P, "one CPU: masks must include CPU 0"),
    (NR.sched_yield, sched_syscalls.sys_sched_yield, "supported", ""),
    # time (kernel/time/): the 32-bit time calls and the *_time64 ones
    (NR.time, time_compat.sys_time32, "supported", ""),
    (NR.stime, time_compat.sys_stime32, "supported", ""),
    (NR.gettimeofday, time_compat.compat_sys_gettimeofday, "supported", ""),
    (NR.settimeofday, time_compat.compat_sys_settimeofday, "supported", ""),
    (NR.clock_gettime, time_compat.sys_clock_gettime32, "supported", ""),
    (NR.clock_settime, time_compat.sys_clock_settime32, "supported", ""),
    (NR.clock_getres, time_compat.sys_clock_getres_time32, "supported", ""),
    (NR.clock_nanosleep, time_compat.sys_clock_nanosleep_time32, P,
     "the process CPU clock sleeps on the wall clock"),
    (NR.nanosleep, time_compat.sys_nanosleep_time32, "supported", ""),
    (NR.clock_gettime64, time.sys_clock_gettime, "supported", ""),
    (NR.clock_settime64, time_ntp.sys_clock_settime, "supported", ""),
    (NR.clock_getres_time64, time.sys_clock_getres, "supported", ""),
    (NR.clock_nanosleep_time64, time.sys_clock_nanosleep, P,
     "the process CPU clock sleeps on the wall clock"),
    (NR.clock_adjtime64, time_ntp.sys_clock_adjtime, P, "NTP state and leap seconds; the clock is not steered"),
    (NR.clock_adjtime, time_compat.sys_clock_adjtime32, P, "NTP state and leap seconds; the clock is not steered"),
    (NR.adjtimex, time_compat.sys_adjtimex_time32, P, "NTP state and leap seconds; the clock is not steered"),
    (NR.times, sys_compat.compat_sys_times, "supported", ""),
    (NR.alarm, time_itimer.sys_alarm, "supported", ""),
    (NR.setitimer, time_compat.compat_sys_setitimer, P, "VIRTUAL/PROF: polled, precise to a time slice"),
    (NR.getitimer, time_compat.compat_sys_getitimer, "supported", ""),
    # POSIX timers (kernel/time/posix-timers.c)
    (NR.timer_create, time_compat.compat_sys_timer_create, P, "alarm clocks: no RTC (EOPNOTSUPP)"),
    (NR.timer_settime, time_compat.sys_timer_settime32, P, "CPU clocks: polled, precise to a time slice"),
    (NR.timer_gettime, time_compat.sys_timer_gettime32, "supported", ""),
    (NR.timer_settime64, posix_timers.sys_timer_settime, P, "CPU clocks: polled, precise to a time slice"),
    (NR.timer_gettime64, posix_timers.sys_timer_gettime, "supported", ""),
    (NR.timer_getoverrun, posix_timers.sys_timer_getoverrun, "supported", ""),
    (NR.timer_delete, posix_timers.sys_timer_delete, "supported", ""),
    (NR.getrandom, random.sys_getrandom, "supported", ""),
    # sessions, groups, priorities (kernel/sys.c)
    (NR.setpgid, sys_pgrp.sys_setpgid, "supported", ""),
    (NR.getpgid, sys_pgrp.sys_getpgid, "supported", ""),
    (NR.getpgrp, sys_pgrp.sys_getpgrp, "supported", ""),
    (NR.getsid, sys_pgrp.sys_getsid, "supported", ""),
    (NR.setsid, sys_pgrp.sys_setsid, "supported", ""),
    (NR.getpriority, sys_pgrp.sys_getpriority, "supported", ""),
    (NR.setpriority, sys_pgrp.sys_setpriority, "supported", ""),
    # namespaces (kernel/nsproxy.c, kernel/fork.c, kernel/utsname.c)
    (NR.unshare, fork.sys_unshare, P, "CLONE_NEWNS: a new namespace sharing the one mount tree; "
     "CLONE_NEWNET/CLONE_NEWCGROUP: identities only"),
    (NR.setns, nsproxy.sys_setns, P, "mount, network and cgroup namespaces are identities only"),
    (NR.sethostname, utsname.sys_sethostname, "supported", ""),
    (NR.setdomainname, utsname.sys_setdomainname, "supported", ""),
    # signals with compat structs or i386-only calls (kernel/signal.c, kernel/compat.c,
    # arch/x86/ia32/ia32_signal.c); a compat_sigset_t is a sigset_t's 8 bytes, so the
    # calls whose only struct is a sigset are the native ones
    (NR.signal, signal_compat.sys_signal, "supported", ""),
    (NR.sigaction, signal_compat.compat_sys_sigaction, "supported", ""),
    (NR.sgetmask, signal_compat.sys_sgetmask, "supported", ""),
    (NR.ssetmask, signal_compat.sys_ssetmask, "supported", ""),
    (NR.sigsuspend, signal_compat.sys_sigsuspend, "supported", ""),
    (NR.sigpending, signal_compat.compat_sys_sigpending, "supported", ""),
    (NR.sigprocmask, signal_compat.compat_sys_sigprocmask, "supported", ""),
    (NR.sigreturn, ia32_signal.compat_sys_sigreturn, "supported", ""),
    (NR.rt_sigreturn, ia32_signal.compat_sys_rt_sigreturn, "supported", ""),
    (NR.rt_sigaction, signal_compat.compat_sys_rt_sigaction, "supported", ""),
    (NR.rt_sigprocmask, signal_syscalls.sys_rt_sigprocmask, "supported", ""),
    (NR.rt_sigpending, signal_syscalls.sys_rt_sigpending, "supported", ""),
    (NR.rt_sigtimedwait, signal_compat.compat_sys_rt_sigtimedwait_time32, "supported", ""),
    (NR.rt_sigtimedwait_time64, signal_compat.compat_sys_rt_sigtimedwait_time64, "supported", ""),
    (NR.rt_sigqueueinfo, signal_compat.compat_sys_rt_sigqueueinfo, P,
     "process-directed signals pick their thread when sent"),
    (NR.rt_tgsigqueueinfo, signal_compat.compat_sys_rt_tgsigqueueinfo, "supported", ""),
    (NR.rt_sigsuspend, signal_compat.compat_sys_rt_sigsuspend, "supported", ""),
    (NR.sigaltstack, ia32_signal.compat_sys_sigaltstack, "supported", ""),
    (NR.signalfd, signalfd.sys_signalfd, "supported", ""),
    (NR.signalfd4, signalfd.sys_signalfd4, "supported", ""),
    (NR.pidfd_send_signal, pidfd.sys_pidfd_send_signal, "supported", ""),
    (NR.waitid, kexit.compat_sys_waitid, "supported", ""),
    # clone3's struct clone_args is the same for both ABIs (its tls, for a compat caller, a
    # user_desc pointer: copy_thread); glibc's pthread_create tries it first
    (NR.clone3, fork.sys_clone3, "supported", ""),
]

_TABLE = None


# i386 calls that may sleep or switch tasks besides the 64-bit table's slow ones (which
# the i386 names share, some with a _time64 suffix): they never run in the CPU hook.
_SLOW_32 = frozenset(("waitpid", "sigreturn", "sigsuspend", "socketcall"))


def ia32_sys_call_table() -> dict:
    """nr → SyscallEntry for every implemented i386 syscall (built on first use)."""
    global _TABLE
    if _TABLE is None:
        from glasskernel.arch.x86.entry.syscall_64 import build_sys_call_table
        slow = {e.name for e in build_sys_call_table().values() if e.slow} | _SLOW_32
        _TABLE = {}
        for nr, handler, support, note in _ROWS:
            name = SYSCALL_NAMES[int(nr)]
            _TABLE[int(nr)] = SyscallEntry(int(nr), name, handler, support, note,
                                           slow=name in slow or name.removesuffix("_time64") in slow)
    return _TABLE


def ia32_syscall_name(nr: int) -> str:
    return syscall_name(nr)

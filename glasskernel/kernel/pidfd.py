"""Process file descriptors: pidfds (Linux keeps them in kernel/fork.c: pidfd_fops and
pidfd_create; kernel/pid.c: pidfd_open; kernel/signal.c: pidfd_send_signal).

A pidfd is an anonymous file ("anon_inode:[pidfd]") that refers to one process: it is
readable (POLLIN) once the whole thread group has exited, it can signal the process with
no pid-reuse race, and clone(CLONE_PIDFD) returns one to the parent. waitid(P_PIDFD) is
not supported yet.
"""
import struct

from glasskernel.fs.eventpoll import AnonInodeDentry
from glasskernel.fs.file_table import File
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import WaitQueue
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.kernel.task import EXIT_DEAD

O_RDWR, O_NONBLOCK, O_CLOEXEC = 0o2, 0o4000, 0o2000000
PIDFD_NONBLOCK = O_NONBLOCK
POLLIN, POLLRDNORM = 0x1, 0x40


class PidfdFile(File):
    """An open pidfd: the process it names (by its leader's task) and nothing to read."""

    seekable = False

    def __init__(self, target, flags: int):
        super().__init__(AnonInodeDentry("[pidfd]"), O_RDWR | flags)
        self._target = target

    @property
    def target(self):
        """The process's leader: after an exec from another thread that is the thread
        that took the leader's pid (Linux's pidfd holds the struct pid, which moved)."""
        leader = self._target
        if leader.exit_state == EXIT_DEAD:
            heir = leader.kernel.tasks.get(leader.tgid)
            if heir is not None and heir.signal is leader.signal:
                self._target = leader = heir
        return leader

    def poll(self, pt) -> int:
        """pidfd_poll: readable when the thread group has exited (zombie or reaped)."""
        poll_wait(self, wait_pidfd(self.target.signal), pt)
        return POLLIN | POLLRDNORM if thread_group_exited(self.target) else 0


def wait_pidfd(signal) -> WaitQueue:
    """signal_struct.wait_pidfd, made on first use."""
    if signal.wait_pidfd is None:
        signal.wait_pidfd = WaitQueue("pidfd")
    return signal.wait_pidfd


def thread_group_exited(leader) -> bool:
    return leader.exit_state != 0 and leader.signal.nr_threads <= 1


def do_notify_pidfd(task) -> None:
    """At a leader's exit_notify: wake the pollers of its pidfds."""
    if task.signal is not None and task.signal.wait_pidfd is not None:
        task.signal.wait_pidfd.wake_up(task.kernel, POLLIN | POLLRDNORM)


def pidfd_create(task, target, flags: int) -> int:
    """A new pidfd for target in task's table, close-on-exec as every pidfd is."""
    return task.files.install_new(PidfdFile(target, flags), cloexec=True, task=task)


def sys_pidfd_open(task, pid, flags) -> int:
    """pidfd_open: EINVAL for unknown flags or pid <= 0, ESRCH for no such process, EINVAL
    when pid names a thread that does not lead its group."""
    from glasskernel.kernel.pid import find_task_by_vpid
    pid, flags = _s32(pid), flags & 0xFFFFFFFF
    if flags & ~PIDFD_NONBLOCK or pid <= 0:
        raise KernelError(Errno.EINVAL)
    target = find_task_by_vpid(task, pid)
    if target is None or target.exit_state == EXIT_DEAD or target.kthread:
        raise KernelError(Errno.ESRCH)
    if not target.is_leader:
        raise KernelError(Errno.EINVAL)
    return pidfd_create(task, target, flags)


def copy_siginfo_from_user_any(task, signo: int, info: int) -> bytes:
    """The caller's siginfo in the layout of its syscall: a compat_siginfo from an i386
    call, the native one otherwise."""
    from glasskernel.arch.x86.kernel.signal_compat import in_ia32_syscall
    if in_ia32_syscall(task):
        from glasskernel.kernel.signal_compat import copy_siginfo_from_user32
        return copy_siginfo_from_user32(task, signo, info)
    from glasskernel.kernel.signal_syscalls import copy_siginfo_from_user
    return copy_siginfo_from_user(task, signo, info)


def sys_pidfd_send_signal(task, pidfd, sig, info, flags) -> int:
    """pidfd_send_signal: EINVAL for flags, EBADF for a descriptor that is no pidfd; with a
    siginfo its si_signo must be sig, and only the caller itself may be sent one that looks
    like the kernel's or kill's (EPERM); ESRCH once the process has been reaped."""
    from glasskernel.kernel.signal_syscalls import kill_proc_info, prepare_kill_siginfo
    from glasskernel.mm.uaccess import copy_from_user
    signo = _s32(sig)
    if flags & 0xFFFFFFFF:
        raise KernelError(Errno.EINVAL)
    file = task.files.fds.get(_s32(pidfd))
    if not isinstance(file, PidfdFile):
        raise KernelError(Errno.EBADF)
    target = file.target
    if info:
        if struct.unpack("<i", copy_from_user(task, info, 4))[0] != signo:
            raise KernelError(Errno.EINVAL)
        kinfo = copy_siginfo_from_user_any(task, signo, info)
        code = struct.unpack_from("<i", kinfo, 8)[0]
        if task is not target and (code >= 0 or code == SI_TKILL):
            raise KernelError(Errno.EPERM)
    else:
        kinfo = prepare_kill_siginfo(task, signo)
    if target.exit_state == EXIT_DEAD:
        raise KernelError(Errno.ESRCH)
    kill_proc_info(task, signo, kinfo, target)
    return 0


SI_TKILL = -6


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value

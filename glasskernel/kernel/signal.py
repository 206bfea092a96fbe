"""Signals: generation, the default actions, and the syscalls that set them up (kernel/signal.c).

What is here: per-process handler table (``SighandStruct``, shared by CLONE_SIGHAND),
per-task blocked mask and pending set, ``send_signal`` / ``kill`` / ``tkill`` /
``tgkill`` with their pid rules, and delivery of *default* actions on the way back to user
mode (``get_signal``): terminate, terminate with core, ignore. Running user handlers
(``setup_rt_frame``) arrives with the shells work; until then a signal whose handler is
set stays pending, as if blocked.
"""
import struct
from dataclasses import dataclass, field

from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

NSIG = 64
SIGKILL, SIGSTOP, SIGCHLD, SIGCONT = 9, 19, 17, 18
SIG_DFL, SIG_IGN = 0, 1
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SA_RESTORER = 0x04000000
# Default actions (include/linux/signal.h: SIG_KERNEL_*_MASK).
_COREDUMP = {3, 4, 5, 6, 7, 8, 11, 24, 25, 31}
_IGNORE = {17, 23, 28}               # SIGCHLD, SIGURG, SIGWINCH
_STOP = {19, 20, 21, 22}             # SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
_UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
_SIGACTION = struct.Struct("<QQQQ")   # handler, flags, restorer, mask (kernel's k_sigaction)


@dataclass
class KSigaction:
    handler: int = SIG_DFL
    flags: int = 0
    restorer: int = 0
    mask: int = 0


@dataclass(eq=False)
class SighandStruct:
    """sighand_struct: the handler of each signal, shared by threads (CLONE_SIGHAND)."""

    action: list = field(default_factory=lambda: [KSigaction() for _ in range(NSIG + 1)])
    users: int = 1

    def copy(self) -> "SighandStruct":
        return SighandStruct([KSigaction(a.handler, a.flags, a.restorer, a.mask) for a in self.action])


def sigmask(signo: int) -> int:
    return 1 << (signo - 1)


def valid_signal(signo: int) -> bool:
    return 1 <= signo <= NSIG


def sig_kernel_ignored(signo: int) -> bool:
    return signo in _IGNORE or signo == SIGCONT


def flush_signal_handlers(task) -> None:
    """execve: caught signals go back to SIG_DFL; ignored ones stay ignored."""
    for action in task.sighand.action:
        if action.handler != SIG_IGN:
            action.handler, action.flags, action.restorer, action.mask = SIG_DFL, 0, 0, 0


def send_signal(task, signo: int) -> None:
    """Mark signo pending on task unless it would be ignored anyway (sig_ignored)."""
    handler = task.sighand.action[signo].handler
    blocked = task.blocked & sigmask(signo)
    if not blocked and (handler == SIG_IGN or (handler == SIG_DFL and sig_kernel_ignored(signo))):
        return
    task.pending |= sigmask(signo)


def next_signal(task) -> int:
    """Lowest pending, unblocked signal number (0 if none)."""
    ready = task.pending & ~(task.blocked & ~_UNBLOCKABLE)
    if not ready:
        return 0
    return (ready & -ready).bit_length()


def get_signal(task) -> None:
    """On the way to user mode: carry out default actions of pending signals."""
    while not task.exiting:
        signo = next_signal(task)
        if not signo:
            return
        action = task.sighand.action[signo]
        if action.handler not in (SIG_DFL, SIG_IGN):
            return          # user handlers run once signal frames exist (shells issue)
        task.pending &= ~sigmask(signo)
        if action.handler == SIG_IGN or sig_kernel_ignored(signo) or signo in _STOP:
            continue        # job-control stops come with the lifecycle work
        task.kernel.signal_delivered(task, signo)
        task.kernel.force_fatal_sig(task, signo)


def kill_pid_info(task, signo: int, target) -> None:
    """Permission check and send; signal 0 only checks."""
    cred, tcred = task.cred, target.cred
    if cred.euid != 0 and cred.euid not in (tcred.uid,) and cred.uid != tcred.uid:
        raise KernelError(Errno.EPERM)
    if signo:
        send_signal(target, signo)


def _targets(task, pid: int) -> list:
    """The tasks a kill(pid) reaches: one process, our group, or every process."""
    tasks = [t for t in task.kernel.tasks.values() if not t.exiting]
    if pid > 0:
        return [t for t in tasks if t.tgid == pid and t.pid == t.tgid]
    if pid == -1:
        return [t for t in tasks if t.pid == t.tgid and t.tgid != 1 and t is not task] + [task]
    pgrp = getattr(task, "pgrp", task.tgid) if pid == 0 else -pid
    return [t for t in tasks if getattr(t, "pgrp", t.tgid) == pgrp and t.pid == t.tgid]


def _signo_arg(sig: int) -> int:
    sig &= 0xFFFFFFFF
    if sig and not valid_signal(sig):
        raise KernelError(Errno.EINVAL)
    return sig


def _pid_arg(pid: int) -> int:
    pid &= 0xFFFFFFFF
    return pid - (1 << 32) if pid & 0x80000000 else pid


def sys_kill(task, pid, sig) -> int:
    signo = _signo_arg(sig)
    pid = _pid_arg(pid)
    if pid == -(1 << 31):
        raise KernelError(Errno.ESRCH)
    targets = _targets(task, pid)
    if not targets:
        raise KernelError(Errno.ESRCH)
    for target in targets:
        kill_pid_info(task, signo, target)
    return 0


def do_tkill(task, tgid: int, pid: int, sig: int) -> int:
    signo = _signo_arg(sig)
    if pid <= 0:
        raise KernelError(Errno.EINVAL)
    target = task.kernel.tasks.get(pid)
    if target is None or target.exiting or (tgid > 0 and target.tgid != tgid):
        raise KernelError(Errno.ESRCH)
    kill_pid_info(task, signo, target)
    return 0


def sys_tkill(task, pid, sig) -> int:
    return do_tkill(task, 0, _pid_arg(pid), sig)


def sys_tgkill(task, tgid, pid, sig) -> int:
    tgid = _pid_arg(tgid)
    if tgid <= 0:
        raise KernelError(Errno.EINVAL)
    return do_tkill(task, tgid, _pid_arg(pid), sig)


def sys_rt_sigaction(task, sig, act, oact, sigsetsize) -> int:
    """Read the new action first (EFAULT before EINVAL, as Linux), then validate and swap."""
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    new = KSigaction(*_SIGACTION.unpack(copy_from_user(task, act, 32))) if act else None
    signo = sig & 0xFFFFFFFF
    if not valid_signal(signo) or (new is not None and signo in (SIGKILL, SIGSTOP)):
        raise KernelError(Errno.EINVAL)
    old = task.sighand.action[signo]
    if oact:
        copy_to_user(task, oact, _SIGACTION.pack(old.handler, old.flags, old.restorer, old.mask))
    if new is not None:
        new.mask &= ~_UNBLOCKABLE
        task.sighand.action[signo] = new
        if new.handler == SIG_IGN or (new.handler == SIG_DFL and sig_kernel_ignored(signo)):
            task.pending &= ~sigmask(signo)       # discard what is now ignored
    return 0


def sys_rt_sigprocmask(task, how, nset, oset, sigsetsize) -> int:
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    old = task.blocked
    if nset:
        new = struct.unpack("<Q", copy_from_user(task, nset, 8))[0] & ~_UNBLOCKABLE
        how &= 0xFFFFFFFF
        if how == SIG_BLOCK:
            task.blocked = old | new
        elif how == SIG_UNBLOCK:
            task.blocked = old & ~new
        elif how == SIG_SETMASK:
            task.blocked = new
        else:
            raise KernelError(Errno.EINVAL)
    if oset:
        copy_to_user(task, oset, struct.pack("<Q", old))
    return 0


def sys_rt_sigpending(task, uset, sigsetsize) -> int:
    if sigsetsize > 8:
        raise KernelError(Errno.EINVAL)
    copy_to_user(task, uset, struct.pack("<Q", task.pending & task.blocked)[:sigsetsize])
    return 0

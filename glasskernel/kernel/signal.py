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
from glasskernel.uapi.errno import (ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR,
                                    ERESTARTSYS, Errno, KernelError)
from glasskernel.arch.x86.entry.args import int_arg

NSIG = 64
SIGKILL, SIGSTOP, SIGCHLD, SIGCONT = 9, 19, 17, 18
SIG_DFL, SIG_IGN = 0, 1
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SA_RESTORER = 0x04000000
SA_NODEFER = 0x40000000
SA_RESETHAND = 0x80000000
SA_RESTART = 0x10000000
# Default actions (include/linux/signal.h: SIG_KERNEL_*_MASK).
COREDUMP_SIGNALS = _COREDUMP = frozenset({3, 4, 5, 6, 7, 8, 11, 24, 25, 31})
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


def prepare_signal(task, signo: int) -> None:
    """Stop and continue signals cancel each other; SIGCONT/SIGKILL wake a stopped task."""
    kernel = task.kernel
    if signo in _STOP:
        task.pending &= ~sigmask(SIGCONT)
    elif signo in (SIGCONT, SIGKILL):
        task.pending &= ~sum(sigmask(s) for s in _STOP)
        if task.state.value == "T":
            if signo == SIGCONT:
                task.signal.stop_state = "continued"
                do_notify_parent_cldstop(task, CLD_CONTINUED)
            kernel.sched.wake_up_stopped(task)


def send_signal(task, signo: int, info: bytes = None) -> None:
    """Mark signo pending on task unless it would be ignored anyway, and wake it.

    Our init is a kernel thread and, like Linux's init, unkillable from user space: it
    accepts the signal and ignores it.
    """
    if task.exiting or task.sighand is None or task.kthread:
        return
    prepare_signal(task, signo)
    handler = task.sighand.action[signo].handler
    blocked = task.blocked & sigmask(signo)
    if not blocked and (handler == SIG_IGN or (handler == SIG_DFL and sig_kernel_ignored(signo))):
        return
    if not task.pending & sigmask(signo) and info is not None:
        task.pending_info[signo] = info           # standard signals do not queue twice
    task.pending |= sigmask(signo)
    if not blocked or signo == SIGKILL:
        signal_wake_up(task, fatal=signo == SIGKILL)


def signal_wake_up(task, fatal: bool = False) -> None:
    """Interrupt an interruptible sleep (any sleep, for a fatal signal)."""
    state = task.state.value
    if state == "S" or (fatal and state in ("D", "T")):
        if state == "T":
            task.kernel.sched.wake_up_stopped(task)
        else:
            task.kernel.sched.try_to_wake_up(task)


CLD_STOPPED, CLD_CONTINUED = 5, 6
SA_NOCLDSTOP = 1


def do_notify_parent_cldstop(task, why: int) -> None:
    """Tell the parent its child stopped or continued (SIGCHLD unless SA_NOCLDSTOP)."""
    parent = task.parent
    if parent is None or parent.sighand is None:
        return
    action = parent.sighand.action[SIGCHLD]
    if not (action.flags & SA_NOCLDSTOP) and action.handler != SIG_IGN:
        send_signal(parent, SIGCHLD)
    parent.kernel.wake_up_parent(parent)


def do_signal_stop(task, signo: int) -> None:
    """Default action of a stop signal: the process stops until SIGCONT (or SIGKILL)."""
    from glasskernel.kernel.task import TaskState
    sig = task.signal
    sig.stop_state = "stopped"
    sig.stop_signal = signo
    do_notify_parent_cldstop(task, CLD_STOPPED)
    task.state = TaskState.STOPPED
    task.kernel.sched.schedule()


def next_signal(task) -> int:
    """Lowest pending, unblocked signal number (0 if none)."""
    ready = task.pending & ~(task.blocked & ~_UNBLOCKABLE)
    if not ready:
        return 0
    return (ready & -ready).bit_length()


def get_signal(task):
    """Dequeue signals on the way to user mode; carry out default actions.

    Returns (signo, action, siginfo bytes) for the first signal with a user handler, or
    None when nothing is left for user space.
    """
    while not task.exiting:
        signo = next_signal(task)
        if not signo:
            return None
        action = task.sighand.action[signo]
        task.pending &= ~sigmask(signo)
        info = task.pending_info.pop(signo, None) or make_siginfo(signo, SI_USER, task.tgid, task.cred.uid)
        if action.handler == SIG_IGN:
            continue
        if action.handler != SIG_DFL:
            return signo, action, info
        if sig_kernel_ignored(signo):
            continue
        if signo in _STOP:
            do_signal_stop(task, signo)
            continue
        task.kernel.signal_delivered(task, signo)
        task.kernel.force_fatal_sig(task, signo)
    return None


def handle_signal(task, signo: int, action, info: bytes) -> None:
    """Run the handler next: build the frame, then block sa_mask (and signo) meanwhile."""
    from glasskernel.arch.x86.kernel.signal import setup_rt_frame
    oldmask = task.saved_sigmask if task.restore_sigmask else task.blocked
    task.restore_sigmask = False
    task.kernel.signal_delivered(task, signo, info)
    setup_rt_frame(task, signo, action, info, oldmask)
    blocked = task.blocked | action.mask
    if not action.flags & SA_NODEFER:
        blocked |= sigmask(signo)
    task.blocked = blocked & ~_UNBLOCKABLE
    if action.flags & SA_RESETHAND:
        task.sighand.action[signo] = KSigaction()


def syscall_restart(task, regs: dict, action) -> None:
    """An interrupted syscall: EINTR, or run it again (arch/x86/kernel/signal.c rules)."""
    ret = regs["rax"] - (1 << 64) if regs["rax"] >= 1 << 63 else regs["rax"]
    if ret not in (-ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK):
        return
    restart = ret == -ERESTARTNOINTR or (
        action is None or (ret == -ERESTARTSYS and action.flags & SA_RESTART))
    if restart:
        regs["rax"] = task.thread.last_syscall_nr
        regs["rip"] -= 2                         # back onto the `syscall` instruction
    else:
        regs["rax"] = (-Errno.EINTR) & 0xFFFF_FFFF_FFFF_FFFF
    task.thread.regs_dirty = True


def arch_do_signal_or_restart(task) -> None:
    """Deliver one signal to its handler, restarting or failing an interrupted syscall."""
    delivery = get_signal(task) if task.pending else None
    if task.exiting:
        return
    if task.thread.syscall_interrupted:
        task.thread.syscall_interrupted = False
        syscall_restart(task, task.kernel.sync_pt_regs(task), delivery[1] if delivery else None)
    if delivery is not None:
        handle_signal(task, *delivery)
    elif task.restore_sigmask:
        task.restore_sigmask = False
        task.blocked = task.saved_sigmask


SI_USER, SI_KERNEL, SI_TKILL = 0, 0x80, -6
_SIGINFO_HEAD = struct.Struct("<iii4x")


def make_siginfo(signo: int, code: int, pid: int = 0, uid: int = 0, extra: bytes = b"") -> bytes:
    """siginfo_t bytes: signo, errno, code, then the union (pid and uid for kill)."""
    body = struct.pack("<iI", pid, uid) + extra
    return (_SIGINFO_HEAD.pack(signo, 0, code) + body).ljust(128, b"\0")


def fault_siginfo(signo: int, code: int, addr: int) -> bytes:
    return (_SIGINFO_HEAD.pack(signo, 0, code) + struct.pack("<Q", addr)).ljust(128, b"\0")


def sigchld_siginfo(child, code: int, status: int, pid: int = None) -> bytes:
    """SIGCHLD's siginfo: who (pid as the receiver sees it), why (CLD_*), status, and the
    child's CPU times in clock ticks."""
    extra = struct.pack("<i4xqq", status, child.utime_ns // 10**7, child.stime_ns // 10**7)
    return make_siginfo(SIGCHLD, code, child.tgid if pid is None else pid, child.cred.uid, extra)


def sys_rt_sigsuspend(task, unewset, sigsetsize) -> int:
    """Wait for a signal with a temporary mask; the old mask returns after the handler."""
    from glasskernel.kernel.sched.wait import WaitQueue, wait_event, signal_pending
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    new = struct.unpack("<Q", copy_from_user(task, unewset, 8))[0] & ~_UNBLOCKABLE
    task.saved_sigmask = task.blocked
    task.restore_sigmask = True
    task.blocked = new
    try:
        wait_event(task, WaitQueue("sigsuspend"), lambda: signal_pending(task))
    except KernelError:
        pass
    raise KernelError(ERESTARTNOHAND)


def sys_pause(task) -> int:
    from glasskernel.kernel.sched.wait import WaitQueue, wait_event, signal_pending
    try:
        wait_event(task, WaitQueue("pause"), lambda: signal_pending(task))
    except KernelError:
        pass
    raise KernelError(ERESTARTNOHAND)


def kill_pid_info(task, signo: int, target, code: int = SI_USER) -> None:
    """Permission check and send; signal 0 only checks."""
    cred, tcred = task.cred, target.cred
    if cred.euid != 0 and cred.euid not in (tcred.uid,) and cred.uid != tcred.uid:
        raise KernelError(Errno.EPERM)
    if signo:
        send_signal(target, signo, make_siginfo(signo, code, task.tgid, task.cred.uid))


def _targets(task, pid: int) -> list:
    """The processes a kill(pid) reaches: one, a process group, or all we may signal."""
    from glasskernel.kernel.pid import find_task_by_vpid, pid_nr_ns, task_active_pid_ns
    ns = task_active_pid_ns(task)
    visible = [t for t in task.kernel.tasks.values()
               if not t.kthread and t.is_leader and pid_nr_ns(t.pid_links, ns)]
    if pid > 0:
        target = find_task_by_vpid(task, pid)
        visible_target = target is not None and (not target.kthread or target.signal.is_init)
        return [target] if visible_target else []
    if pid == -1:
        return [t for t in visible if not t.signal.is_init and t.signal is not task.signal] + [task]
    if pid == 0:
        pgrp = task.signal.pgrp
    else:
        leader = find_task_by_vpid(task, -pid)
        pgrp = leader.tgid if leader is not None else -pid
    return [t for t in visible if t.signal.pgrp == pgrp]


def _signo_arg(sig: int) -> int:
    sig &= 0xFFFFFFFF
    if sig and not valid_signal(sig):
        raise KernelError(Errno.EINVAL)
    return sig


def sys_kill(task, pid, sig) -> int:
    signo = _signo_arg(sig)
    pid = int_arg(pid)
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
    from glasskernel.kernel.pid import find_task_by_vpid
    target = find_task_by_vpid(task, pid)
    if target is None or target.exit_state or (tgid > 0 and target.tgid != _root_tgid(task, tgid)):
        raise KernelError(Errno.ESRCH)
    kill_pid_info(task, signo, target, SI_TKILL)
    return 0


def _root_tgid(task, vtgid: int) -> int:
    from glasskernel.kernel.pid import find_task_by_vpid
    leader = find_task_by_vpid(task, vtgid)
    return leader.tgid if leader is not None else -1


def sys_tkill(task, pid, sig) -> int:
    return do_tkill(task, 0, int_arg(pid), sig)


def sys_tgkill(task, tgid, pid, sig) -> int:
    tgid = int_arg(tgid)
    if tgid <= 0:
        raise KernelError(Errno.EINVAL)
    return do_tkill(task, tgid, int_arg(pid), sig)


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

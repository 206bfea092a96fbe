"""The signal syscalls (kernel/signal.c): actions, masks, waiting, and sending.

    rt_sigaction, rt_sigprocmask, rt_sigpending      the handler table and the mask
    rt_sigsuspend, pause, rt_sigtimedwait            waiting for a signal
    kill, tkill, tgkill                              sending, with kill's pid rules
    rt_sigqueueinfo, rt_tgsigqueueinfo               sending a caller-made siginfo
    restart_syscall                                  resuming an interrupted sleep
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.kernel.signal import (
    _UNBLOCKABLE, SA_IMMUTABLE, SI_KERNEL, SI_TKILL, SI_USER,
    SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGKILL, SIGSTOP, UAPI_SA_FLAGS,
    KSigaction, dequeue_signal, flush_sigqueue_mask, send_signal_locked,
    set_current_blocked, sig_handler_ignored, sigmask, valid_signal)
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import ERESTARTNOHAND, Errno, KernelError
from glasskernel.uapi.siginfo import KERNEL_SIGINFO_SIZE, SIGINFO_SIZE, make_siginfo

_SIGACTION = struct.Struct("<QQQQ")   # handler, flags, restorer, mask (kernel's k_sigaction)
_SIGSET = struct.Struct("<Q")
SIGCONT = 18


def _get_sigset(task, addr: int) -> int:
    return _SIGSET.unpack(copy_from_user(task, addr, 8))[0]


# ----- actions and masks --------------------------------------------------------------------

def do_sigaction(task, signo: int, new):
    """Install new (a KSigaction, or None to only look) for signo; returns the old action
    with its flags as user space may see them. Flags user space does not know are
    dropped; a handler installed by a compat syscall is marked SA_IA32_ABI, which makes
    its signals get i386 frames (sigaction_compat_abi)."""
    from glasskernel.arch.x86.kernel.signal_compat import sigaction_compat_abi
    if not valid_signal(signo) or signo < 1 or (new is not None and signo in (SIGKILL, SIGSTOP)):
        raise KernelError(Errno.EINVAL)
    old = task.sighand.action[signo]
    if old.flags & SA_IMMUTABLE:
        raise KernelError(Errno.EINVAL)
    if new is not None:
        flags = sigaction_compat_abi(task, new.flags & UAPI_SA_FLAGS)
        new = new.replace(flags=flags, mask=new.mask & ~_UNBLOCKABLE)
        task.sighand.action[signo] = new
        if sig_handler_ignored(new.handler, signo):
            flush_sigqueue_mask(task, sigmask(signo))     # POSIX: discard what is now ignored
    return old.replace(flags=old.flags & UAPI_SA_FLAGS)


def sys_rt_sigaction(task, sig, act, oact, sigsetsize) -> int:
    """Read the new action first (EFAULT before EINVAL, as Linux), then validate and swap."""
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    new = KSigaction(*_SIGACTION.unpack(copy_from_user(task, act, 32))) if act else None
    old = do_sigaction(task, int_arg(sig), new)
    if oact:
        copy_to_user(task, oact, _SIGACTION.pack(old.handler, old.flags, old.restorer, old.mask))
    return 0


def sys_rt_sigprocmask(task, how, nset, oset, sigsetsize) -> int:
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    old = task.blocked
    if nset:
        new = _get_sigset(task, nset) & ~_UNBLOCKABLE
        how = int_arg(how)
        if how == SIG_BLOCK:
            set_current_blocked(task, old | new)
        elif how == SIG_UNBLOCK:
            set_current_blocked(task, old & ~new)
        elif how == SIG_SETMASK:
            set_current_blocked(task, new)
        else:
            raise KernelError(Errno.EINVAL)
    if oset:
        copy_to_user(task, oset, _SIGSET.pack(old))
    return 0


def sys_rt_sigpending(task, uset, sigsetsize) -> int:
    if sigsetsize > 8:
        raise KernelError(Errno.EINVAL)
    copy_to_user(task, uset, _SIGSET.pack(task.pending & task.blocked)[:sigsetsize])
    return 0


# ----- waiting ------------------------------------------------------------------------------

def _sleep_until_signal(task, name: str, timeout_ns=None) -> bool:
    """Sleep until a signal is pending; False if the timeout passed first."""
    from glasskernel.kernel.sched.wait import WaitQueue, signal_pending, wait_event
    return wait_event(task, WaitQueue(name), lambda: signal_pending(task), timeout_ns=timeout_ns)


def sys_rt_sigsuspend(task, unewset, sigsetsize) -> int:
    """Wait for a signal with a temporary mask; the old mask returns after the handler."""
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    new = _get_sigset(task, unewset)
    task.saved_sigmask = task.blocked
    task.restore_sigmask = True
    set_current_blocked(task, new)
    _sleep_until_signal(task, "sigsuspend")
    raise KernelError(ERESTARTNOHAND)


def sys_pause(task) -> int:
    _sleep_until_signal(task, "pause")
    raise KernelError(ERESTARTNOHAND)


def do_sigtimedwait(task, these: int, timeout_ns):
    """Take a pending signal of `these`, sleeping up to timeout_ns (None: forever) for one.

    While asleep the wanted signals are unblocked, so that their arrival wakes us; a
    signal outside the set that wakes us instead makes the call fail with EINTR.
    """
    these &= ~_UNBLOCKABLE
    mask = ~these & ((1 << 64) - 1)
    signo, info = dequeue_signal(task, mask)
    if not signo and timeout_ns != 0:
        task.real_blocked = task.blocked
        task.blocked &= mask
        try:
            woken = _sleep_until_signal(task, "sigtimedwait", timeout_ns)
        finally:
            task.blocked, task.real_blocked = task.real_blocked, 0
        signo, info = dequeue_signal(task, mask)
        if not signo:
            raise KernelError(Errno.EINTR if woken else Errno.EAGAIN)
    if not signo:
        raise KernelError(Errno.EAGAIN)
    return signo, info


def sys_rt_sigtimedwait(task, uthese, uinfo, uts, sigsetsize) -> int:
    from glasskernel.kernel.time import get_timespec64
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    these = _get_sigset(task, uthese)
    timeout_ns = get_timespec64(task, uts) if uts else None
    signo, info = do_sigtimedwait(task, these, timeout_ns)
    if uinfo:
        copy_to_user(task, uinfo, info[:KERNEL_SIGINFO_SIZE].ljust(SIGINFO_SIZE, b"\0"))
    return signo


def sys_restart_syscall(task) -> int:
    """Resume the sleep a signal without a handler interrupted (restart_block)."""
    restart, task.restart_block = task.restart_block, None
    if restart is None:
        raise KernelError(Errno.EINTR)            # do_no_restart_syscall
    return restart(task)


# ----- sending ------------------------------------------------------------------------------

def kill_ok_by_cred(task, target) -> bool:
    cred, tcred = task.cred, target.cred
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_KILL
    return (cred.euid in (tcred.suid, tcred.uid) or cred.uid in (tcred.suid, tcred.uid)
            or capable(task, CAP_KILL))


def check_kill_permission(task, signo: int, info: bytes, target) -> None:
    """EINVAL for a bad number; EPERM when a user may not signal the target."""
    if not valid_signal(signo):
        raise KernelError(Errno.EINVAL)
    code = struct.unpack_from("<i", info, 8)[0]
    if code > SI_USER:                            # sent by the kernel: always allowed
        return
    if target.signal is task.signal or kill_ok_by_cred(task, target):
        return
    if signo == SIGCONT and target.signal.session == task.signal.session:
        return
    raise KernelError(Errno.EPERM)


def prepare_kill_siginfo(task, signo: int, code: int = SI_USER) -> bytes:
    from glasskernel.kernel.pid import task_tgid_vnr
    return make_siginfo(signo, code, task_tgid_vnr(task, task), task.cred.uid)


def _visible_sender(info: bytes, task, target) -> tuple:
    """A sender outside the target's pid namespace shows as pid 0, and may kill its init."""
    from glasskernel.kernel.pid import task_tgid_vnr
    if task_tgid_vnr(task, target) == 0:
        return info[:16] + bytes(4) + info[20:], True
    return info, struct.unpack_from("<i", info, 8)[0] == SI_KERNEL


def kill_proc_info(task, signo: int, info: bytes, target) -> None:
    """group_send_sig_info: check the permission, then signal target's whole process."""
    check_kill_permission(task, signo, info, target)
    if signo:
        info, force = _visible_sender(info, task, target)
        send_signal_locked(target, signo, info, group=True, force=force)


def _find_process(task, pid: int):
    from glasskernel.kernel.pid import find_task_by_vpid
    target = find_task_by_vpid(task, pid)
    if target is None or (target.kthread and not target.signal.is_init):
        raise KernelError(Errno.ESRCH)
    return target


def _processes(task) -> list:
    """The thread-group leaders visible in task's pid namespace."""
    from glasskernel.kernel.pid import pid_nr_ns, task_active_pid_ns
    ns = task_active_pid_ns(task)
    return [t for t in task.kernel.tasks.values()
            if not t.kthread and t.is_leader and pid_nr_ns(t.pid_links, ns)]


def kill_pgrp_info(task, signo: int, info: bytes, pgrp: int) -> None:
    """Every process of the group; success if any was signalled, else the last error."""
    error, success = Errno.ESRCH, False
    for target in [t for t in _processes(task) if t.signal.pgrp == pgrp]:
        try:
            kill_proc_info(task, signo, info, target)
            success = True
        except KernelError as err:
            error = err.errno
    if not success:
        raise KernelError(error)


def kill_all_info(task, signo: int, info: bytes) -> None:
    """kill(-1): every process but init and the caller's own; EPERM alone is not an error."""
    from glasskernel.kernel.pid import task_tgid_vnr
    error, count = 0, 0
    for target in _processes(task):
        if task_tgid_vnr(target, task) <= 1 or target.signal is task.signal:
            continue
        count += 1
        try:
            kill_proc_info(task, signo, info, target)
            error = 0
        except KernelError as err:
            error = error if err.errno == Errno.EPERM else err.errno
    if not count:
        raise KernelError(Errno.ESRCH)
    if error:
        raise KernelError(error)


def kill_something_info(task, signo: int, info: bytes, pid: int) -> int:
    from glasskernel.kernel.pid import find_task_by_vpid
    if pid > 0:
        kill_proc_info(task, signo, info, _find_process(task, pid))
    elif pid == -1:
        kill_all_info(task, signo, info)
    else:
        leader = find_task_by_vpid(task, -pid) if pid else None
        pgrp = task.signal.pgrp if pid == 0 else (leader.tgid if leader is not None else -1)
        kill_pgrp_info(task, signo, info, pgrp)
    return 0


def sys_kill(task, pid, sig) -> int:
    signo = int_arg(sig)
    pid = int_arg(pid)
    if pid == -(1 << 31):
        raise KernelError(Errno.ESRCH)
    return kill_something_info(task, signo, prepare_kill_siginfo(task, signo), pid)


def do_send_specific(task, tgid: int, pid: int, signo: int, info: bytes) -> int:
    """tgkill/tkill: one thread (of process tgid, if tgid > 0)."""
    from glasskernel.kernel.pid import find_task_by_vpid, task_tgid_vnr
    target = find_task_by_vpid(task, pid)
    if target is None or (tgid > 0 and task_tgid_vnr(target, task) != tgid):
        raise KernelError(Errno.ESRCH)
    check_kill_permission(task, signo, info, target)
    if signo:
        info, force = _visible_sender(info, task, target)
        send_signal_locked(target, signo, info, force=force)
    return 0


def sys_tkill(task, pid, sig) -> int:
    pid, signo = int_arg(pid), int_arg(sig)
    if pid <= 0:
        raise KernelError(Errno.EINVAL)
    return do_send_specific(task, 0, pid, signo, prepare_kill_siginfo(task, signo, SI_TKILL))


def sys_tgkill(task, tgid, pid, sig) -> int:
    tgid, pid, signo = int_arg(tgid), int_arg(pid), int_arg(sig)
    if pid <= 0 or tgid <= 0:
        raise KernelError(Errno.EINVAL)
    return do_send_specific(task, tgid, pid, signo, prepare_kill_siginfo(task, signo, SI_TKILL))


# ----- sigqueue -----------------------------------------------------------------------------

# The highest si_code each signal's own layout defines (sig_sicodes), for the E2BIG check.
_SIG_SICODES = {4: 11, 5: 6, 7: 5, 8: 15, 11: 10, 17: 6, 29: 6, 31: 1}
_NSIGPOLL = 6


def known_siginfo_layout(signo: int, code: int) -> bool:
    if code == SI_KERNEL:
        return True
    if code > SI_USER:
        return code <= _SIG_SICODES.get(signo, _NSIGPOLL)
    return code >= -7 or code == -60             # SI_DETHREAD .. SI_USER, SI_ASYNCNL


def copy_siginfo_from_user(task, signo: int, uinfo: int) -> bytes:
    """The caller's siginfo with si_signo set; bytes past the kernel's part must be 0
    unless the layout is a known one (else E2BIG)."""
    raw = copy_from_user(task, uinfo, SIGINFO_SIZE)
    code = struct.unpack_from("<i", raw, 8)[0]
    if not known_siginfo_layout(signo, code) and any(raw[KERNEL_SIGINFO_SIZE:]):
        raise KernelError(Errno.E2BIG)
    return (struct.pack("<i", signo) + raw[4:KERNEL_SIGINFO_SIZE]).ljust(SIGINFO_SIZE, b"\0")


def _impersonates(task, info: bytes, pid: int) -> bool:
    """Not even root may pretend to be the kernel, or kill()/tgkill(), to another task."""
    from glasskernel.kernel.pid import task_pid_vnr
    code = struct.unpack_from("<i", info, 8)[0]
    return (code >= 0 or code == SI_TKILL) and task_pid_vnr(task, task) != pid


def sys_rt_sigqueueinfo(task, pid, sig, uinfo) -> int:
    pid, signo = int_arg(pid), int_arg(sig)
    return do_rt_sigqueueinfo(task, pid, signo, copy_siginfo_from_user(task, signo, uinfo))


def do_rt_sigqueueinfo(task, pid: int, signo: int, info: bytes) -> int:
    """rt_sigqueueinfo with the siginfo copied in (from either ABI's layout)."""
    if _impersonates(task, info, pid):
        raise KernelError(Errno.EPERM)
    if pid <= 0:
        raise KernelError(Errno.ESRCH)
    kill_proc_info(task, signo, info, _find_process(task, pid))
    return 0


def sys_rt_tgsigqueueinfo(task, tgid, pid, sig, uinfo) -> int:
    tgid, pid, signo = int_arg(tgid), int_arg(pid), int_arg(sig)
    return do_rt_tgsigqueueinfo(task, tgid, pid, signo, copy_siginfo_from_user(task, signo, uinfo))


def do_rt_tgsigqueueinfo(task, tgid: int, pid: int, signo: int, info: bytes) -> int:
    """rt_tgsigqueueinfo with the siginfo copied in."""
    if pid <= 0 or tgid <= 0:
        raise KernelError(Errno.EINVAL)
    if _impersonates(task, info, pid):
        raise KernelError(Errno.EPERM)
    return do_send_specific(task, tgid, pid, signo, info)


__all__ = ["do_sigaction", "sys_rt_sigaction", "sys_rt_sigprocmask", "sys_rt_sigpending", "sys_rt_sigsuspend",
           "sys_pause", "sys_rt_sigtimedwait", "sys_restart_syscall", "sys_kill", "sys_tkill",
           "sys_tgkill", "sys_rt_sigqueueinfo", "sys_rt_tgsigqueueinfo", "kill_proc_info"]

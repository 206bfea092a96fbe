"""Process groups, sessions and priorities (the job-control part of kernel/sys.c).

Groups and sessions are stored as root-namespace numbers in the signal_struct; the
syscalls translate to and from the caller's pid namespace.
"""
from glasskernel.kernel.pid import find_task_by_vpid, pgrp_vnr
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.kernel.task import EXIT_DEAD

PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2


def _process(task, vpid: int):
    """0 means the caller; otherwise the process with that number (ESRCH if none). Our
    init, a kernel thread, is found like Linux's pid 1: getpgid(1) is init's group."""
    if vpid == 0:
        return task
    target = find_task_by_vpid(task, vpid)
    if target is None or target.exit_state == EXIT_DEAD:
        raise KernelError(Errno.ESRCH)
    return target


def _group_exists_in_session(task, pgid: int, session: int) -> bool:
    return any(t.signal.pgrp == pgid and t.signal.session == session and not t.kthread
               for t in task.kernel.tasks.values())


def sys_setpgid(task, pid, pgid) -> int:
    """Move a process (self or a child that has not exec'd) into a group of our session."""
    pid, pgid = int_arg(pid), int_arg(pgid)
    if pgid < 0:
        raise KernelError(Errno.EINVAL)
    target = _process(task, pid)
    if target is not task:
        if target.real_parent is not task:
            raise KernelError(Errno.ESRCH)
        if target.signal.session != task.signal.session:
            raise KernelError(Errno.EPERM)
        if target.did_exec:
            raise KernelError(Errno.EACCES)
    if target.signal.session == target.tgid:
        raise KernelError(Errno.EPERM)              # a session leader stays where it is
    new = target.tgid if pgid == 0 else None
    if new is None:
        leader = find_task_by_vpid(task, pgid)
        new = leader.tgid if leader is not None else -1
        if new != target.tgid and not _group_exists_in_session(task, new, task.signal.session):
            raise KernelError(Errno.EPERM)
    target.signal.pgrp = new
    return 0


def sys_getpgid(task, pid) -> int:
    return pgrp_vnr(task, _process(task, int_arg(pid)).signal.pgrp)


def sys_getpgrp(task) -> int:
    return pgrp_vnr(task, task.signal.pgrp)


def sys_getsid(task, pid) -> int:
    return pgrp_vnr(task, _process(task, int_arg(pid)).signal.session)


def sys_setsid(task) -> int:
    """A new session and group led by the caller; EPERM if a group with its id exists."""
    if any(t.signal.pgrp == task.tgid for t in task.kernel.tasks.values() if not t.kthread):
        raise KernelError(Errno.EPERM)
    task.signal.session = task.signal.pgrp = task.tgid
    task.signal.tty = None
    return pgrp_vnr(task, task.tgid)


# ----- priorities ---------------------------------------------------------------------------

def _prio_targets(task, which: int, who: int) -> list:
    tasks = [t for t in task.kernel.tasks.values() if not t.kthread and t.exit_state == 0]
    if which == PRIO_PROCESS:
        target = task if who == 0 else find_task_by_vpid(task, who)
        return [target] if target is not None and target.exit_state != EXIT_DEAD else []
    if which == PRIO_PGRP:
        pgrp = task.signal.pgrp if who == 0 else getattr(find_task_by_vpid(task, who), "tgid", -1)
        return [t for t in tasks if t.signal.pgrp == pgrp]
    if which == PRIO_USER:
        uid = task.cred.uid if who == 0 else who
        return [t for t in tasks if t.cred.uid == uid]
    raise KernelError(Errno.EINVAL)


def sys_getpriority(task, which, who) -> int:
    """The best (lowest) nice among the targets, as 20 - nice (never negative)."""
    targets = _prio_targets(task, which & 0xFFFFFFFF, int_arg(who))
    if not targets:
        raise KernelError(Errno.ESRCH)
    return 20 - min(t.nice for t in targets)


def set_one_prio(task, target, nice: int) -> None:
    """set_one_prio: EPERM for another user's task without CAP_SYS_NICE; EACCES for
    raising the priority (can_nice) without CAP_SYS_NICE."""
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_SYS_NICE
    if target.cred.uid != task.cred.euid and target.cred.euid != task.cred.euid and \
            not capable(task, CAP_SYS_NICE):
        raise KernelError(Errno.EPERM)
    if nice < target.nice and not capable(task, CAP_SYS_NICE):
        raise KernelError(Errno.EACCES)
    task.kernel.sched.set_user_nice(target, nice)


def sys_setpriority(task, which, who, niceval) -> int:
    nice = max(-20, min(19, int_arg(niceval)))
    targets = _prio_targets(task, which & 0xFFFFFFFF, int_arg(who))
    if not targets:
        raise KernelError(Errno.ESRCH)
    for target in targets:
        set_one_prio(task, target, nice)
    return 0

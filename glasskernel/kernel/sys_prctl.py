"""prctl(2), the part of kernel/sys.c that answers it: names, parent-death signal,
dumpable, subreaper, no_new_privs, timer slack and the TSC mode; the capability options
are commoncap's (security/commoncap.py), which answers first as Linux's LSM hook does.
"""
import struct

from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_GET_TIMERSLACK, PR_SET_TIMERSLACK = 30, 29
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
PR_GET_TSC, PR_SET_TSC = 25, 26
TASK_COMM_LEN = 16


def _prctl_name(task, option: int, arg2: int) -> int:
    if option == PR_SET_NAME:
        from glasskernel.mm.uaccess import strncpy_from_user
        try:
            name = strncpy_from_user(task, arg2, TASK_COMM_LEN)
        except KernelError as err:
            if err.errno != Errno.ENAMETOOLONG:
                raise
            name = copy_from_user(task, arg2, TASK_COMM_LEN - 1)
        task.comm = name[:TASK_COMM_LEN - 1].decode("utf-8", "surrogateescape")
        return 0
    comm = task.comm.encode("utf-8", "surrogateescape")[:TASK_COMM_LEN - 1]
    copy_to_user(task, arg2, comm + bytes(TASK_COMM_LEN - len(comm)))
    return 0


def _prctl_flag(task, option: int, arg2: int) -> int:
    """The simple get/set pairs: parent-death signal, dumpable, subreaper, no_new_privs."""
    if option == PR_SET_PDEATHSIG:
        if not 0 <= arg2 <= 64:
            raise KernelError(Errno.EINVAL)
        task.pdeath_signal = arg2
        return 0
    if option == PR_GET_PDEATHSIG:
        copy_to_user(task, arg2, struct.pack("<i", task.pdeath_signal))
        return 0
    if option == PR_SET_DUMPABLE:
        if arg2 not in (0, 1):
            raise KernelError(Errno.EINVAL)
        task.dumpable = arg2
        return 0
    if option == PR_GET_DUMPABLE:
        return task.dumpable
    if option == PR_SET_CHILD_SUBREAPER:
        task.signal.is_child_subreaper = bool(arg2)   # the process's, as find_new_reaper reads it
        if arg2:
            from glasskernel.kernel.fork import walk_process_tree
            walk_process_tree(task, propagate_has_child_subreaper)
        return 0
    if option == PR_GET_CHILD_SUBREAPER:
        copy_to_user(task, arg2, struct.pack("<i", int(task.signal.is_child_subreaper)))
        return 0
    if option == PR_SET_NO_NEW_PRIVS:
        if arg2 != 1:
            raise KernelError(Errno.EINVAL)
        task.no_new_privs = True
        return 0
    if arg2:
        raise KernelError(Errno.EINVAL)    # PR_GET_NO_NEW_PRIVS takes no argument
    return int(task.no_new_privs)


def propagate_has_child_subreaper(p) -> bool:
    """Mark p as below a subreaper; False (skip its subtree) when it already is, so are
    its descendants, or when it is a pid namespace's init, whose descendants never
    leave their namespace."""
    if p.signal.has_child_subreaper or p.pid_links[-1][1] == 1:
        return False
    p.signal.has_child_subreaper = True
    return True


def sys_prctl(task, option, arg2, arg3, arg4, arg5) -> int:
    """prctl(2) for the options programs use at start-up; others are EINVAL."""
    option &= 0xFFFFFFFF
    from glasskernel.security.commoncap import CAP_PRCTL_OPTIONS, cap_task_prctl
    if option in CAP_PRCTL_OPTIONS:                # security_task_prctl answers first
        return cap_task_prctl(task, option, arg2, arg3, arg4, arg5)
    if option in (PR_SET_NAME, PR_GET_NAME):
        return _prctl_name(task, option, arg2)
    if option in (PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE,
                  PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS,
                  PR_GET_NO_NEW_PRIVS):
        if option in (PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS) and arg3 | arg4 | arg5:
            raise KernelError(Errno.EINVAL)
        return _prctl_flag(task, option, arg2)
    if option in (PR_GET_TSC, PR_SET_TSC):
        from glasskernel.arch.x86.kernel.process import get_tsc_mode, set_tsc_mode
        return get_tsc_mode(task, arg2) if option == PR_GET_TSC else set_tsc_mode(task, arg2)
    if option == PR_GET_TIMERSLACK:
        return task.timer_slack_ns
    if option == PR_SET_TIMERSLACK:
        # arg2 is an unsigned long: 0 restores the slack the task started with
        task.timer_slack_ns = arg2 if arg2 else task.default_timer_slack_ns
        return 0
    raise KernelError(Errno.EINVAL)

"""Ending a task and waiting for it (kernel/exit.c).

    exit / exit_group / fatal signal
      → do_group_exit → do_exit
          exit_mm (CLONE_CHILD_CLEARTID, vfork completion, mmput) → exit_files → exit_fs
          → exit_notify: children go to a reaper; the parent gets exit_signal (SIGCHLD);
            the task becomes a zombie, or is released at once if the parent ignores SIGCHLD
    wait4 / waitid → do_wait: find an eligible child, report it, release_task the zombie

Wait status encoding as wait(2) reports it: exit code << 8; or the signal number with
0x80 for a core dump; stopped: signal << 8 | 0x7f; continued: 0xffff.
"""
import struct

from glasskernel.kernel.pid import task_active_pid_ns, task_tgid_vnr
from glasskernel.kernel.task import (EXIT_DEAD, EXIT_ZOMBIE, SIGNAL_GROUP_EXIT,
                                     SIGNAL_STOP_CONTINUED, SIGNAL_STOP_STOPPED,
                                     TASK_INTERRUPTIBLE, set_current_state)
from glasskernel.mm.uaccess import copy_to_user, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.kernel.trace.events import trace_sched_process_exit, trace_sched_process_free
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.uapi.signal import signal_name
from glasskernel.kernel.signal import for_each_thread, send_signal, zap_other_threads
from glasskernel.kernel.futex.core import futex_wake_exiting

SIGCHLD = 17
WNOHANG, WUNTRACED, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 2, 4, 8, 0x01000000
__WNOTHREAD, __WALL, __WCLONE = 0x20000000, 0x40000000, 0x80000000
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 4, 5, 6
_RUSAGE = struct.Struct("<qqqq14q")
_COMPAT_RUSAGE = struct.Struct("<iiii14i")     # struct compat_rusage: 32-bit longs


def exit_status_code(code: int) -> int:
    return (code & 0xFF) << 8


def exit_status_signal(signo: int, core: bool) -> int:
    return (signo & 0x7F) | (0x80 if core else 0)


# ----- exit ---------------------------------------------------------------------------------

def mm_release(task, mm) -> None:
    """The task lets go of its memory: clear_child_tid (only if someone else still uses
    that memory), and wake a vfork parent."""
    if task.clear_child_tid:
        if mm.users > 1:                   # else nobody could ever see the word
            try:
                put_user_i32(task, task.clear_child_tid, 0)
                futex_wake_exiting(task.kernel, mm, task.clear_child_tid, 1)
            except KernelError:
                pass
        task.clear_child_tid = 0
    complete_vfork_done(task)


def exec_mm_release(task, mm) -> None:
    """execve drops the old memory: the robust-futex list goes with it, clear_child_tid is
    done, and a vfork parent waiting for its memory back runs again (not at exit only)."""
    task.robust_list = (0, 0)
    mm_release(task, mm)


def complete_vfork_done(task) -> None:
    if task.vfork_done is not None:
        done, task.vfork_done = task.vfork_done, None
        done.complete(task.kernel)


def setmax_mm_hiwater_rss(signal, mm) -> None:
    """An mm is going (exit, exec): its peak RSS stays in the process's maxrss."""
    if signal is not None:
        signal.maxrss = max(signal.maxrss, mm.hiwater_rss())


def exit_mm(task) -> None:
    from glasskernel.kernel.fork import mmput
    mm = task.mm
    if mm is None:
        return
    setmax_mm_hiwater_rss(task.signal, mm)
    mm_release(task, mm)
    task.mm = None
    mmput(mm)


def exit_files(task) -> None:
    files, task.files = task.files, None
    if files is not None:
        files.users -= 1
        if files.users == 0:
            files.close_all()


def exit_fs(task) -> None:
    fs, task.fs = task.fs, None
    if fs is not None:
        fs.users -= 1


@traced(args=lambda task, status: {"code": status}, ret=lambda _r: {})
def do_exit(task, status: int) -> None:
    """Release the task's resources and hand it to its parent as a zombie."""
    if task.exiting:
        return
    task.exiting = True
    task.exit_code = status
    trace_sched_process_exit(task, status)
    exit_mm(task)
    if task.sysvsem is not None:
        from glasskernel.ipc.sem import exit_sem
        exit_sem(task)                         # SEM_UNDO adjustments
    if task.kernel.ipc_ns is not None:    # SysV IPC was used
        from glasskernel.ipc.shm import exit_shm
        exit_shm(task)                         # kernel.shm_rmid_forced
    exit_files(task)
    exit_fs(task)
    if task.signal.tty is not None and task.signal.nr_threads == 1:
        from glasskernel.drivers.tty.tty_jobctrl import exit_session_tty
        exit_session_tty(task)                 # a session leader hangs up its terminal
    if task.sighand is not None:
        task.sighand.users -= 1
    task.signal.nr_threads -= 1
    if task.signal.nr_threads == 0:
        from glasskernel.kernel import posix_timers, time_itimer
        time_itimer.exit_itimers(task)         # the process is gone: its timers stop
        posix_timers.exit_itimers(task)
    exit_notify(task)


def do_group_exit(task, status: int) -> None:
    """Exit every thread of the group with the same status."""
    signal = task.signal
    if not signal.flags & SIGNAL_GROUP_EXIT and signal.group_exec_task is not None:
        do_exit(task, 0)                       # killed by de_thread: the exec goes on
        return
    if not signal.flags & SIGNAL_GROUP_EXIT:
        signal.flags = SIGNAL_GROUP_EXIT       # a stop in effect ends: group_exit_code is the status now
        signal.group_exit_code = status
        zap_other_threads(task)
    do_exit(task, signal.group_exit_code)


# ----- exit_notify --------------------------------------------------------------------------

def find_alive_thread(p):
    """A thread of p's process that is not exiting, or None."""
    if not p.exiting:
        return p
    if not p.signal.nr_threads:                # every thread is past do_exit's count
        return None
    return next((t for t in p.kernel.tasks.values()
                 if t.signal is p.signal and not t.exiting), None)


def find_child_reaper(task):
    """The pid namespace's init, or glasskernel's own init when that one is going."""
    reaper = task_active_pid_ns(task).child_reaper
    if reaper is None or reaper.exiting or reaper is task:
        reaper = task.kernel.init_task
    return reaper


def find_new_reaper(father, child_reaper):
    """Who gets father's children: a live thread of its own process, else the nearest
    ancestor in the same pid namespace that set PR_SET_CHILD_SUBREAPER, else the
    namespace's init."""
    thread = find_alive_thread(father)
    if thread is not None:
        return thread
    if not father.signal.has_child_subreaper:
        return child_reaper                     # no subreaper above: no walk
    level = len(father.pid_links)
    reaper = father.real_parent
    while reaper is not None and not reaper.kthread and len(reaper.pid_links) == level:
        if reaper.signal.is_child_subreaper:
            thread = find_alive_thread(reaper)
            if thread is not None:
                return thread
        reaper = reaper.real_parent
    return child_reaper


def forget_original_parent(task) -> None:
    """Our children get a new parent; zombies among them are announced to it (unless the
    new parent is a thread of our own process: nothing changed for the process)."""
    if not task.children:
        return
    reaper = find_new_reaper(task, find_child_reaper(task))
    threaded = reaper.signal is task.signal
    for child in list(task.children):
        task.children.remove(child)
        reaper.children.append(child)
        for thread in for_each_thread(child):   # each thread's parent is the process's
            thread.real_parent = thread.parent = reaper
            if thread.pdeath_signal:
                send_signal(thread, thread.pdeath_signal)
        if threaded:
            continue
        if child.exit_signal >= 0:
            child.exit_signal = SIGCHLD         # reparent_leader: never another signal to init
        if child.exit_state == EXIT_ZOMBIE and do_notify_parent(child, child.exit_signal):
            release_task(child)


@traced(args=lambda task, sig: {"sig": signal_name(sig),
                                 "parent": task.parent.pid if task.parent is not None else 0},
        ret=lambda autoreap: {"autoreap": int(bool(autoreap))})
def do_notify_parent(task, sig: int) -> bool:
    """Tell the parent with sig (SIGCHLD) and a siginfo saying how the child ended: its pid
    as the parent sees it, CLD_EXITED/CLD_KILLED/CLD_DUMPED, the status and its CPU times.

    Returns True if the child should be reaped right away: the parent ignores SIGCHLD
    (SIG_IGN, then no signal is sent) or asked for SA_NOCLDWAIT."""
    from glasskernel.kernel.signal import SA_NOCLDWAIT, SIG_IGN, group_send_sig_info, sigchld_siginfo
    parent = task.parent
    if parent is None:
        return True
    status = task.exit_code
    code = CLD_EXITED if not status & 0x7F else (CLD_DUMPED if status & 0x80 else CLD_KILLED)
    si_status = status >> 8 if code == CLD_EXITED else status & 0x7F
    info = sigchld_siginfo(task, code, si_status, task_tgid_vnr(task, parent), signo=sig)
    autoreap = False
    action = parent.sighand.action[SIGCHLD] if parent.sighand is not None else None
    if sig == SIGCHLD and action is not None and (action.handler == SIG_IGN or action.flags & SA_NOCLDWAIT):
        autoreap = True                    # nobody will wait for it
        sig = 0 if action.handler == SIG_IGN else sig
    if 0 < sig <= 64:
        group_send_sig_info(parent, sig, info)
    __wake_up_parent(parent)
    return autoreap


def delay_group_leader(task) -> bool:
    """A thread-group leader that exits before its threads stays a zombie the parent
    neither hears of nor reaps until the last thread is gone (its /proc entry stays)."""
    return task.is_leader and task.signal.nr_threads > 0


def wake_group_exec_task(signal) -> None:
    """A thread of an exec'ing process is gone (or a zombie): de_thread looks again."""
    waiter = signal.group_exec_task
    if waiter is not None:
        waiter.kernel.sched.try_to_wake_up(waiter)


@traced(ret=lambda _r: {})
def exit_notify(task) -> None:
    forget_original_parent(task)
    task.exit_state = EXIT_ZOMBIE
    if task.is_leader:
        from glasskernel.kernel.pidfd import do_notify_pidfd
        do_notify_pidfd(task)
    wake_group_exec_task(task.signal)
    if task.exit_signal >= 0 and delay_group_leader(task):
        return                          # release_task of the last thread notifies
    autoreap = do_notify_parent(task, task.exit_signal) if task.exit_signal >= 0 else True
    if autoreap:
        release_task(task)


@traced(args=lambda task: {"pid": task.pid}, ret=lambda _r: {})
def release_task(task) -> None:
    """Remove a reaped task for good: unlink it from its parent and the task table."""
    from glasskernel.kernel.pid import free_pid
    kernel = task.kernel
    task.exit_state = EXIT_DEAD
    if task.parent is not None and task in task.parent.children:
        task.parent.children.remove(task)
    kernel.tasks.pop(task.pid, None)
    free_pid(task.pid_links)
    trace_sched_process_free(task)
    wake_group_exec_task(task.signal)
    if task is kernel.user_task:
        kernel.user_status = task.exit_code
    leader = kernel.tasks.get(task.tgid)
    if (leader is not None and leader is not task and leader.exit_state == EXIT_ZOMBIE
            and leader.signal is task.signal and leader.signal.nr_threads == 0
            and leader.exit_signal >= 0):
        # The last thread of a group whose leader exited first: now the parent hears.
        if do_notify_parent(leader, leader.exit_signal):
            release_task(leader)


def exit_init_task(init) -> None:
    """The boot task is done (no Linux twin: Linux panics if init exits): it counts as
    reaped, which ends the idle loop and so the run."""
    init.exit_state = EXIT_DEAD


# ----- wait ---------------------------------------------------------------------------------

class WaitOpts:
    """struct wait_opts: which children, which events, where to report."""

    def __init__(self, which: int, pid: int, options: int):
        self.which = which
        self.pid = pid
        self.options = options


def eligible_child(wo: WaitOpts, waiter, child) -> bool:
    """Does the pid selector match, and the __WCLONE/__WALL kind?"""
    if wo.which == P_PID and task_tgid_vnr(child, waiter) != wo.pid:
        return False
    if wo.which == P_PGID and child.signal.pgrp != wo.pid:
        return False
    if wo.options & __WALL:
        return True
    is_clone_child = child.exit_signal != SIGCHLD
    return is_clone_child == bool(wo.options & __WCLONE)


def wait_task_zombie(wo, waiter, child):
    status = child.signal.group_exit_code if child.signal.flags & SIGNAL_GROUP_EXIT else child.exit_code
    if not wo.options & WNOWAIT:
        waiter.signal.cutime_ns += child.utime_ns + child.signal.cutime_ns
        waiter.signal.cstime_ns += child.stime_ns + child.signal.cstime_ns
        waiter.signal.cmaxrss = max(waiter.signal.cmaxrss, child.signal.maxrss,
                                    child.signal.cmaxrss)
        release_task(child)
    code = CLD_EXITED if not status & 0x7F else (CLD_DUMPED if status & 0x80 else CLD_KILLED)
    si_status = status >> 8 if code == CLD_EXITED else status & 0x7F
    return child, status, code, si_status


def wait_task_stopped(wo, waiter, child):
    """A job-control stop not yet reported: its signal is group_exit_code, which the
    report clears (task_stopped_code)."""
    sig = child.signal
    signo = sig.group_exit_code if sig.flags & SIGNAL_STOP_STOPPED else 0
    if not signo or not wo.options & WUNTRACED:
        return None
    if not wo.options & WNOWAIT:
        sig.group_exit_code = 0
    return child, (signo << 8) | 0x7F, CLD_STOPPED, signo


def wait_task_continued(wo, waiter, child):
    sig = child.signal
    if not sig.flags & SIGNAL_STOP_CONTINUED or not wo.options & WCONTINUED:
        return None
    if not wo.options & WNOWAIT:
        sig.flags &= ~SIGNAL_STOP_CONTINUED
    return child, 0xFFFF, CLD_CONTINUED, 18


def wait_consider_task(wo, waiter, child):
    if child.exit_state == EXIT_ZOMBIE and delay_group_leader(child):
        return None
    if child.exit_state == EXIT_ZOMBIE:
        return wait_task_zombie(wo, waiter, child) if wo.options & WEXITED else None
    return wait_task_stopped(wo, waiter, child) or wait_task_continued(wo, waiter, child)


def __wake_up_parent(parent) -> None:
    """A child changed state: wake the threads of the parent's process asleep in wait
    (any of them may be waiting for it)."""
    if parent.signal.wait_chldexit is not None:
        parent.signal.wait_chldexit.wake_up(parent.kernel)


def wait_chldexit(task) -> None:
    """Sleep on the process's wait_chldexit until a child changes state (or a signal
    arrives). Every sleeper wakes and rescans: Linux's child_wait_callback only skips
    waking those the child cannot concern."""
    from glasskernel.kernel.sched.wait import WaitQueue, signal_pending
    from glasskernel.uapi.errno import ERESTARTSYS
    signal = task.signal
    if signal.wait_chldexit is None:
        signal.wait_chldexit = WaitQueue("wait_chldexit")
    if signal_pending(task) and not task.kthread:
        raise KernelError(ERESTARTSYS)
    signal.wait_chldexit.add(task)
    set_current_state(task, TASK_INTERRUPTIBLE)
    task.kernel.sched.schedule()
    signal.wait_chldexit.remove(task)


def wait_threads(task, wo: WaitOpts) -> list:
    """Whose children a wait looks at: the caller, then the other threads of its
    process in thread-list order from it (while_each_thread); only the caller with
    __WNOTHREAD."""
    if wo.options & __WNOTHREAD:
        return [task]
    threads = for_each_thread(task)
    if task not in threads:
        return [task]
    at = threads.index(task)
    return threads[at:] + threads[:at]


@traced(ret=lambda r: {"ret": 0 if r is None else  # as Linux: the pid reported (wait4's value)
                      task_tgid_vnr(r[0], r[0].kernel.current) or r[0].tgid})
def do_wait(task, wo: WaitOpts):
    """Report one eligible child of any thread of the caller's process (do_wait_thread
    for each), or None for WNOHANG; sleep while children are busy."""
    while True:
        eligible = [c for t in wait_threads(task, wo) for c in t.children
                    if eligible_child(wo, task, c)]
        if not eligible:
            raise KernelError(Errno.ECHILD)
        for child in eligible:
            found = wait_consider_task(wo, task, child)
            if found is not None:
                return found
        if wo.options & WNOHANG:
            return None
        wait_chldexit(task)


def _wait4_selector(task, upid: int):
    if upid == -(1 << 31):
        raise KernelError(Errno.ESRCH)
    if upid < -1:
        return P_PGID, _root_pgid(task, -upid)
    if upid == -1:
        return P_ALL, 0
    if upid == 0:
        return P_PGID, task.signal.pgrp
    return P_PID, upid


def _root_pgid(task, vnr: int) -> int:
    from glasskernel.kernel.pid import find_task_by_vpid
    leader = find_task_by_vpid(task, vnr)
    return leader.tgid if leader is not None else -1


def put_rusage(task, addr: int, child, compat: bool = False) -> None:
    utime, stime = (child.utime_ns, child.stime_ns) if child is not None else (0, 0)
    values = [utime // 10**9, utime % 10**9 // 1000, stime // 10**9, stime % 10**9 // 1000] + [0] * 14
    copy_to_user(task, addr, (_COMPAT_RUSAGE if compat else _RUSAGE).pack(*values))


def sys_wait4(task, upid, stat_addr, options, ru) -> int:
    return kernel_wait4(task, upid, stat_addr, options, ru, False)


def kernel_wait4(task, upid, stat_addr, options, ru, compat: bool) -> int:
    """wait4's work; compat: a 32-bit caller's struct rusage."""
    options &= 0xFFFFFFFF
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL):
        raise KernelError(Errno.EINVAL)
    which, pid = _wait4_selector(task, int_arg(upid))
    found = do_wait(task, WaitOpts(which, pid, options | WEXITED))
    if found is None:
        return 0
    child, status, _code, _si_status = found
    if stat_addr:
        put_user_i32(task, stat_addr, status)
    if ru:
        put_rusage(task, ru, child, compat)
    return task_tgid_vnr(child, task) or child.tgid


def compat_sys_wait4(task, upid, stat_addr, options, ru) -> int:
    """wait4 from a 32-bit caller: the resource usage in struct compat_rusage."""
    return kernel_wait4(task, upid, stat_addr, options, ru, True)


def kernel_waitid(task, which, upid, options):
    """waitid's work: the child found (child, status, code, si_status), or None."""
    which, options = which & 0xFFFFFFFF, options & 0xFFFFFFFF
    if options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL):
        raise KernelError(Errno.EINVAL)
    if not options & (WEXITED | WSTOPPED | WCONTINUED):
        raise KernelError(Errno.EINVAL)
    pid = int_arg(upid)
    if which == P_ALL:
        pid = 0
    elif which in (P_PID, P_PGID):
        if pid <= 0 and not (which == P_PGID and pid == 0):
            raise KernelError(Errno.EINVAL)
        if which == P_PGID:
            pid = task.signal.pgrp if pid == 0 else _root_pgid(task, pid)
    else:
        raise KernelError(Errno.EINVAL)
    return do_wait(task, WaitOpts(which, pid, options | (WUNTRACED if options & WSTOPPED else 0)))


def sys_waitid(task, which, upid, infop, options, ru) -> int:
    found = kernel_waitid(task, which, upid, options)
    if infop:
        if found is None:
            copy_to_user(task, infop, bytes(128))
        else:
            from glasskernel.kernel.signal import sigchld_siginfo
            child, _status, code, si_status = found
            copy_to_user(task, infop, sigchld_siginfo(child, code, si_status, task_tgid_vnr(child, task)))
    if ru and found is not None:
        put_rusage(task, ru, found[0])
    return 0


def compat_sys_waitid(task, which, upid, infop, options, ru) -> int:
    """waitid from a 32-bit caller: a compat_rusage, and in the compat_siginfo only the
    fields waitid sets (signo, errno, code, pid, uid, status). They are written whatever
    the wait gave, zeros if no child was ready or it failed (then an unwritable infop
    is EFAULT, not the wait's error), as Linux does."""
    try:
        found, err = kernel_waitid(task, which, upid, options), 0
    except KernelError as error:
        found, err = None, -error.errno
    fields = (0, 0, 0, 0, 0, 0)
    if found is not None:
        child, _status, code, si_status = found
        fields = (SIGCHLD, 0, code, task_tgid_vnr(child, task), child.cred.uid, si_status)
        if ru:
            put_rusage(task, ru, child, compat=True)
    if infop:
        copy_to_user(task, infop, struct.pack("<iiiiIi", *fields))
    return err


def sys_waitpid(task, upid, stat_addr, options) -> int:
    """waitpid(2), the i386 syscall: wait4 without the resource usage."""
    return sys_wait4(task, upid, stat_addr, options, 0)


def sys_exit(task, error_code) -> int:
    do_exit(task, exit_status_code(error_code))
    return 0


def sys_exit_group(task, error_code) -> int:
    do_group_exit(task, exit_status_code(error_code))
    return 0


__all__ = ["do_exit", "do_group_exit", "sys_wait4", "sys_waitid"]

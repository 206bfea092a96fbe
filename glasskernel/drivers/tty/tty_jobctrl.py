"""Terminals and job control (drivers/tty/tty_jobctrl.c, the tty_struct of include/linux/tty.h).

A ``TtyStruct`` stands for one host terminal the guest can see (the one glasskernel's
stdio is on). Linux keeps on it the session that owns it as its controlling terminal and
the foreground process group; on the task side, ``signal.tty`` names a session's
controlling terminal. The rules here are Linux's:

- a background process that reads its controlling terminal gets SIGTTIN (EIO if it
  ignores or blocks it, or if its group is orphaned); one that changes the terminal's
  settings, or writes with TOSTOP set, gets SIGTTOU under the same rules;
- tcsetpgrp (TIOCSPGRP) only moves the foreground to a group of the caller's own session;
- a session leader acquires a controlling terminal with TIOCSCTTY and gives it up with
  TIOCNOTTY or by exiting, which hangs up the foreground group (SIGHUP).

Process group and session numbers are root-namespace numbers, as in signal_struct.
"""
import os

from glasskernel.kernel.pid import pgrp_vnr
from glasskernel.kernel.signal import SEND_SIG_PRIV, SIG_IGN, group_send_sig_info, sigmask
from glasskernel.uapi.errno import ERESTARTSYS, Errno, KernelError

SIGHUP, SIGCONT, SIGTTIN, SIGTTOU = 1, 18, 21, 22
TOSTOP = 0o400                             # c_lflag bit: background writes stop the writer


class TtyStruct:
    """One host terminal as the guest sees it: owner session, foreground group, settings."""

    def __init__(self, host_fd: int, rdev: int):
        self.host_fd = os.dup(host_fd)      # ours, for ioctls and the final restore
        os.set_inheritable(self.host_fd, False)
        self.rdev = rdev
        self.session = 0                    # the session it is the controlling tty of
        self.pgrp = 0                       # the foreground process group
        self.saved_termios = _tcgetattr(self.host_fd)
        self.users = 0                      # guest files open on it
        self.guest_pty = False              # a pty the guest made through /dev/ptmx

    def release(self) -> None:
        """Let go of a guest pty's slave (its settings are the guest's business)."""
        os.close(self.host_fd)

    def __repr__(self) -> str:
        return f"<tty rdev={self.rdev:#x} session={self.session} pgrp={self.pgrp}>"

    def lflag(self) -> int:
        attrs = _tcgetattr(self.host_fd)
        return attrs[3] if attrs else 0

    def snapshot(self):
        return _tcgetattr(self.host_fd)

    def restore(self, settings=None) -> None:
        """Put the host terminal's settings back as they were when glasskernel started
        (or as given, a snapshot())."""
        settings = settings if settings is not None else self.saved_termios
        if settings is not None:
            import termios
            try:
                termios.tcsetattr(self.host_fd, termios.TCSADRAIN, settings)
            except (termios.error, OSError):
                pass

    def close(self) -> None:
        self.restore()
        os.close(self.host_fd)


def tty_for(kernel, host_fd: int):
    """The TtyStruct of a host descriptor that is a terminal (one per device), else None."""
    try:
        if not os.isatty(host_fd):
            return None
        rdev = os.fstat(host_fd).st_rdev
    except OSError:
        return None
    if rdev not in kernel.ttys:
        kernel.ttys[rdev] = TtyStruct(host_fd, rdev)
    return kernel.ttys[rdev]


def _tcgetattr(fd: int):
    import termios
    try:
        return termios.tcgetattr(fd)
    except (termios.error, OSError):
        return None


# ----- signals to groups -----------------------------------------------------------------

def kill_pgrp(kernel, pgrp: int, signo: int) -> None:
    """Send a kernel-originated signal to every process of a group (__kill_pgrp_info)."""
    if not pgrp:
        return
    for task in list(kernel.tasks.values()):
        if not task.kthread and task.is_leader and task.signal.pgrp == pgrp and not task.exiting:
            group_send_sig_info(task, signo, SEND_SIG_PRIV)


def is_pgrp_orphaned(kernel, pgrp: int) -> bool:
    """No member has a parent in another group of the same session (will_become_orphaned_pgrp)."""
    for task in kernel.tasks.values():
        if task.kthread or task.signal.pgrp != pgrp or task.exiting:
            continue
        parent = task.real_parent
        if parent is None or parent.kthread:
            continue
        if parent.signal.pgrp != pgrp and parent.signal.session == task.signal.session:
            return False
    return True


def _sig_ignored_or_blocked(task, signo: int) -> bool:
    handler = task.sighand.action[signo].handler
    return handler == SIG_IGN or bool(task.blocked & sigmask(signo))


def tty_check_change(tty, task, signo: int = SIGTTOU) -> None:
    """May task act on tty as if it were in the foreground? (__tty_check_change)

    A background member of the terminal's session is stopped by signo instead: its group
    gets the signal and the call restarts once the group is continued. If the signal
    would be lost (ignored or blocked), SIGTTOU lets the call go ahead and SIGTTIN fails it
    with EIO; an orphaned group, which nobody could continue, gets EIO too.
    """
    if task.signal.tty is not tty or not tty.pgrp or task.signal.pgrp == tty.pgrp:
        return
    kernel = task.kernel
    if _sig_ignored_or_blocked(task, signo):
        if signo == SIGTTIN:
            raise KernelError(Errno.EIO)
        return
    if is_pgrp_orphaned(kernel, task.signal.pgrp):
        raise KernelError(Errno.EIO)
    kill_pgrp(kernel, task.signal.pgrp, signo)
    raise KernelError(ERESTARTSYS)


def job_control_read(tty, task) -> None:
    """n_tty_read's job_control(): background readers get SIGTTIN."""
    tty_check_change(tty, task, SIGTTIN)


def job_control_write(tty, task) -> None:
    """A background writer is stopped only when the terminal has TOSTOP set."""
    if task.signal.tty is tty and tty.pgrp and task.signal.pgrp != tty.pgrp \
            and tty.lflag() & TOSTOP:
        tty_check_change(tty, task, SIGTTOU)


# ----- controlling terminal of a session -------------------------------------------------

def proc_set_tty(task, tty) -> None:
    """tty becomes the controlling terminal of task's session; its group the foreground."""
    tty.session = task.signal.session
    tty.pgrp = task.signal.pgrp
    task.signal.tty = tty


def session_clear_tty(kernel, session: int) -> None:
    for member in kernel.tasks.values():
        if member.signal is not None and member.signal.session == session:
            member.signal.tty = None


def forget_tty(kernel, tty) -> None:
    """A guest pty slave nobody holds open any more: no session keeps it as its terminal
    (the master's side hung it up), and our descriptor on it closes."""
    for member in kernel.tasks.values():
        if member.signal is not None and member.signal.tty is tty:
            member.signal.tty = None
    tty.release()


def disassociate_ctty(task, on_exit: bool) -> None:
    """The session leader gives up its terminal: hang up the foreground group.

    On exit the foreground group gets SIGHUP (our terminals are host ptys, treated as
    Linux treats a pty); TIOCNOTTY also sends SIGCONT so stopped members see the SIGHUP.
    """
    tty = task.signal.tty
    if tty is None:
        return
    kernel = task.kernel
    if tty.pgrp:
        kill_pgrp(kernel, tty.pgrp, SIGHUP)
        if not on_exit:
            kill_pgrp(kernel, tty.pgrp, SIGCONT)
    session_clear_tty(kernel, tty.session)
    tty.session = tty.pgrp = 0


def exit_session_tty(task) -> None:
    """do_exit of a whole process that leads its session (the shell closing the terminal)."""
    if task.signal.tty is not None and task.signal.session == task.tgid:
        disassociate_ctty(task, on_exit=True)


# ----- the job-control ioctls ------------------------------------------------------------

def _is_ctty(tty, task) -> bool:
    return task.signal.tty is tty and tty.session == task.signal.session


def tiocgpgrp(tty, task) -> int:
    """TIOCGPGRP: the foreground group, as the caller's namespace numbers it."""
    if task.signal.tty is not tty:
        raise KernelError(Errno.ENOTTY)
    return pgrp_vnr(task, tty.pgrp) if tty.pgrp else 0


def tiocgsid(tty, task) -> int:
    if task.signal.tty is not tty or not tty.session:
        raise KernelError(Errno.ENOTTY)
    return pgrp_vnr(task, tty.session)


def _session_of_pgrp(kernel, pgrp: int):
    """The session of a process group, or of the process with that id (session_of_pgrp)."""
    members = [t for t in kernel.tasks.values() if not t.kthread and t.signal.pgrp == pgrp]
    if not members:
        members = [t for t in kernel.tasks.values() if not t.kthread and t.tgid == pgrp]
    return members[0].signal.session if members else None


def tiocspgrp(tty, task, vpgrp: int) -> None:
    """TIOCSPGRP: make another group of the caller's session the foreground one."""
    from glasskernel.kernel.pid import find_task_by_vpid
    try:
        tty_check_change(tty, task)
    except KernelError as err:
        raise KernelError(Errno.ENOTTY) if err.errno == Errno.EIO else err
    if vpgrp < 0:
        raise KernelError(Errno.EINVAL)
    if not _is_ctty(tty, task):
        raise KernelError(Errno.ENOTTY)
    target = find_task_by_vpid(task, vpgrp) if vpgrp else None
    pgrp = target.tgid if target is not None else _vpgrp_in_session(task, vpgrp)
    if pgrp is None:
        raise KernelError(Errno.ESRCH)
    if _session_of_pgrp(task.kernel, pgrp) != task.signal.session:
        raise KernelError(Errno.EPERM)
    tty.pgrp = pgrp


def _vpgrp_in_session(task, vpgrp: int):
    """A group whose leader is gone still exists while members remain."""
    for t in task.kernel.tasks.values():
        if not t.kthread and pgrp_vnr(task, t.signal.pgrp) == vpgrp and vpgrp:
            return t.signal.pgrp
    return None


def tiocsctty(tty, task, arg: int, readable: bool) -> None:
    """TIOCSCTTY: a session leader without a terminal takes this one (arg 1 may steal it)."""
    sig = task.signal
    if sig.session == task.tgid and sig.tty is tty:
        return
    if sig.session != task.tgid or sig.tty is not None:
        raise KernelError(Errno.EPERM)
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_SYS_ADMIN
    privileged = capable(task, CAP_SYS_ADMIN)
    if tty.session:
        if arg != 1 or not privileged:
            raise KernelError(Errno.EPERM)
        session_clear_tty(task.kernel, tty.session)
    if not readable and not privileged:
        raise KernelError(Errno.EPERM)
    proc_set_tty(task, tty)


def tiocnotty(tty, task) -> None:
    """TIOCNOTTY: give up the controlling terminal (the leader hangs up its session)."""
    if task.signal.tty is not tty:
        raise KernelError(Errno.ENOTTY)
    if task.signal.session == task.tgid:
        disassociate_ctty(task, on_exit=False)
    else:
        task.signal.tty = None


__all__ = ["TtyStruct", "kill_pgrp", "tty_check_change", "job_control_read", "job_control_write",
           "proc_set_tty", "disassociate_ctty", "exit_session_tty", "tiocgpgrp", "tiocspgrp",
           "tiocsctty", "tiocnotty", "tiocgsid"]

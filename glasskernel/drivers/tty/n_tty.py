"""Signal keys and the console (drivers/tty/n_tty.c isig(), tty_io.c's console setup).

On Linux, typing Ctrl-C, Ctrl-\\ or Ctrl-Z makes the line discipline send SIGINT, SIGQUIT
or SIGTSTP to the terminal's foreground process group (isig), and a resize sends
SIGWINCH. Here the host's line discipline does the first half: it signals glasskernel,
which is the host terminal's foreground job. We catch those host signals and do the
second half for the guest: the signal goes to the guest terminal's foreground group, so
Ctrl-C ends the guest's foreground job and not glasskernel.

Without a terminal (stdin and stdout redirected), SIGINT, SIGQUIT, SIGTERM and SIGHUP sent
to glasskernel reach the first program's process group instead: the guest decides, as a
shell's foreground job would.

When the first program itself stops (Ctrl-Z on a program that does no job control), the
guest has nobody to resume it: glasskernel stops itself so the host shell's job control
takes over, and continues the program when the host resumes glasskernel.
"""
import os
import signal as host_signal

from glasskernel.drivers.tty.tty_jobctrl import kill_pgrp, proc_set_tty, tty_for

SIGINT, SIGQUIT, SIGTSTP, SIGWINCH = 2, 3, 20, 28
SIGHUP, SIGTERM, SIGCONT = 1, 15, 18

KEYBOARD_SIGNALS = (SIGINT, SIGQUIT, SIGTSTP, SIGWINCH)
PROGRAM_SIGNALS = (SIGINT, SIGQUIT, SIGTERM, SIGHUP)


def console_init(kernel, task) -> None:
    """The first program's session gets the host terminal as its controlling tty."""
    for fd in (0, 1, 2):
        tty = tty_for(kernel, fd)
        if tty is not None:
            proc_set_tty(task, tty)
            kernel.console_tty = tty
            return


def program_pgrp(kernel) -> int:
    task = kernel.user_task
    if task is None or task.exiting or task.signal is None:
        return 0
    return task.signal.pgrp


def isig(kernel, signo: int) -> None:
    """A host signal for the guest: the terminal's foreground group, or the program's."""
    tty = kernel.console_tty
    if tty is not None and signo in KEYBOARD_SIGNALS and tty.pgrp:
        kill_pgrp(kernel, tty.pgrp, signo)
    else:
        kill_pgrp(kernel, program_pgrp(kernel), signo)


# Python itself ignores these at start, whatever it inherited: their inherited disposition
# is lost, and the guest gets SIG_DFL (what a shell normally gives a program).
PYTHON_IGNORES = (13, 25)                # SIGPIPE, SIGXFSZ


def inherited_signal_state() -> tuple:
    """(ignored, blocked) signal masks glasskernel was started with, which exec keeps and
    its first program must start with: `nohup` ignores SIGHUP, a shell's background job
    SIGINT and SIGQUIT."""
    ignored = 0
    for signo in range(1, 65):
        if signo in PYTHON_IGNORES:
            continue
        try:
            if host_signal.getsignal(signo) == host_signal.SIG_IGN:
                ignored |= 1 << (signo - 1)
        except (ValueError, OSError):
            continue
    blocked = 0
    for signo in host_signal.pthread_sigmask(host_signal.SIG_BLOCK, []):
        blocked |= 1 << (int(signo) - 1)
    return ignored, blocked


def install_host_signals(kernel):
    """Route the host signals above through kernel.host_io; returns the undo function."""
    forwarded = set(PROGRAM_SIGNALS)
    if kernel.console_tty is not None:
        forwarded |= set(KEYBOARD_SIGNALS)
    previous = {}
    for signo in forwarded:
        try:
            previous[signo] = host_signal.signal(signo, kernel.host_io.host_signal)
        except (ValueError, OSError):          # not the main thread
            continue
        kernel.host_io.consumers[signo] = lambda s: isig(kernel, s)

    def restore() -> None:
        for signo, handler in previous.items():
            host_signal.signal(signo, handler)
    return restore


def stop_with_program(kernel) -> None:
    """The first program stopped and nothing else can run: stop glasskernel too, then
    continue the program's group when the host continues us (fg in the host shell)."""
    tty = kernel.console_tty
    guest_settings = tty.snapshot() if tty is not None else None
    if tty is not None:
        tty.restore()
    os.kill(os.getpid(), host_signal.SIGSTOP)
    if tty is not None:
        tty.restore(guest_settings)
    kill_pgrp(kernel, program_pgrp(kernel), SIGCONT)

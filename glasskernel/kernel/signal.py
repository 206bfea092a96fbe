"""Signals: generation, queueing and delivery (kernel/signal.c).

Each task has a blocked mask, a pending set (``task.pending``, one bit per signal) and
the siginfo of every queued instance (``task.pending_info[signo]``, a list of
(shared, siginfo): the sigqueue). A standard signal (1..31) is pending at most once per
set; a real-time signal (32..64) queues each instance with its own siginfo, up to
RLIMIT_SIGPENDING queued per user.

Linux keeps process-directed signals (kill, timers, SIGCHLD) in a process-wide set that
any thread may take, after its own private ones. We queue them, marked shared, on the
thread complete_signal would wake (the target unless it blocks the signal, else a thread
of its group that does not), and dequeue a thread's private signals first.

Sending: ``send_signal_locked`` → ``prepare_signal`` (stop/continue side effects; drop
what would be ignored) → ``__send_signal`` (queue) → ``complete_signal`` (wake the thread).

Delivery: on the way back to user mode ``get_signal`` dequeues (synchronous faults
first, then the lowest number), carries out default actions, and returns the first
signal that has a handler; arch/x86/kernel/signal.py builds its frame. Faults in user
code arrive through ``force_sig_fault``. The syscalls are in signal_syscalls.py.
"""
import dataclasses
import struct
from dataclasses import dataclass, field

from glasskernel.kernel.sched.core import wake_up_state
from glasskernel.kernel.task import (__TASK_STOPPED, SIGNAL_GROUP_EXIT, SIGNAL_STOP_CONTINUED,
                                     SIGNAL_STOP_STOPPED, TASK_INTERRUPTIBLE, TASK_STOPPED,
                                     TASK_WAKEKILL, set_special_state, signal_set_stop_flags)
from glasskernel.kernel.trace import tracepoint
from glasskernel.kernel.trace.tracepoint import trace_event
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.siginfo import fault_siginfo, make_siginfo, siginfo_code, siginfo_fields
from glasskernel.uapi.signal import signal_name

NSIG = 64
SIGRTMIN = 32
SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGKILL, SIGSEGV = 4, 5, 7, 8, 9, 11
SIGALRM, SIGCHLD, SIGCONT, SIGSTOP, SIGSYS = 14, 17, 18, 19, 31
SIG_DFL, SIG_IGN = 0, 1
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO = 0x1, 0x2, 0x4
SA_EXPOSE_TAGBITS = 0x800
SA_IMMUTABLE = 0x00800000             # kernel-only: the action of a forced fatal signal
SA_RESTORER, SA_ONSTACK, SA_RESTART = 0x04000000, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
# The flags sigaction keeps; others read back as 0 so programs can probe (UAPI_SA_FLAGS).
UAPI_SA_FLAGS = (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART |
                 SA_NODEFER | SA_RESETHAND | SA_EXPOSE_TAGBITS | SA_RESTORER)
SI_USER, SI_KERNEL, SI_QUEUE, SI_TKILL = 0, 0x80, -1, -6
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 5, 6
RLIMIT_SIGPENDING = 11

# Default actions (include/linux/signal.h: SIG_KERNEL_*_MASK).
COREDUMP_SIGNALS = frozenset({3, 4, 5, 6, 7, 8, 11, 24, 25, 31})
_IGNORE = frozenset({SIGCONT, SIGCHLD, 23, 28})        # SIGURG, SIGWINCH
_STOP = frozenset({SIGSTOP, 20, 21, 22})               # SIGTSTP, SIGTTIN, SIGTTOU
_UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
_STOP_MASK = sum(1 << (s - 1) for s in _STOP)
SYNCHRONOUS_MASK = sum(1 << (s - 1) for s in (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS))

# Special siginfo arguments of the send functions (SEND_SIG_NOINFO / SEND_SIG_PRIV).
SEND_SIG_NOINFO = None                # SI_USER from the current task
SEND_SIG_PRIV = "priv"                # SI_KERNEL: sent by the kernel itself


@dataclass(frozen=True)
class KSigaction:
    """k_sigaction. Immutable: sighand copies share these objects (fork copies the table,
    not its 64 entries, and every table starts with one shared SIG_DFL entry), so a
    change installs a new one (``replace``)."""

    handler: int = SIG_DFL
    flags: int = 0
    restorer: int = 0
    mask: int = 0

    def replace(self, **changes) -> "KSigaction":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


# The plain SIG_DFL and SIG_IGN entries, shared by every table (entries never change in
# place): a new table starts with the first, and execve's flush installs them.
_DFL_ACTION = KSigaction(SIG_DFL)
_IGN_ACTION = KSigaction(SIG_IGN)


@dataclass(eq=False, slots=True)
class SighandStruct:
    """sighand_struct: the handler of each signal, shared by threads (CLONE_SIGHAND)."""

    action: list = field(default_factory=lambda: [_DFL_ACTION] * (NSIG + 1))
    users: int = 1
    signalfd_wqh: object = None       # fs/signalfd.py: readers and pollers of signalfds

    def copy(self) -> "SighandStruct":
        return SighandStruct(list(self.action))        # the entries are shared, see KSigaction


def sigmask(signo: int) -> int:
    return 1 << (signo - 1)


def valid_signal(signo: int) -> bool:
    """0 (only check) to 64; the number is unsigned, so negative ones are too big."""
    return 0 <= signo <= NSIG


def sig_kernel_ignored(signo: int) -> bool:
    return signo in _IGNORE


def sig_kernel_only(signo: int) -> bool:
    return signo in (SIGKILL, SIGSTOP)


def sig_handler_ignored(handler: int, signo: int) -> bool:
    return handler == SIG_IGN or (handler == SIG_DFL and sig_kernel_ignored(signo))


def for_each_thread(task) -> list:
    """Every thread of task's process still in the task table (exiting ones too), in
    creation order: the leader first."""
    return [t for t in task.kernel.tasks.values() if t.signal is task.signal]


def thread_group(task) -> list:
    """Every live thread of task's process."""
    return [t for t in for_each_thread(task) if not t.exiting]


# ----- siginfo ------------------------------------------------------------------------------

def sigchld_siginfo(child, code: int, status: int, pid: int = None, signo: int = SIGCHLD) -> bytes:
    """SIGCHLD's siginfo: who (pid as the receiver sees it), why (CLD_*), status, and the
    child's CPU times in clock ticks."""
    extra = struct.pack("<i4xqq", status, child.utime_ns // 10**7, child.stime_ns // 10**7)
    return make_siginfo(signo, code, child.tgid if pid is None else pid, child.cred.uid, extra)


def sender_siginfo(signo: int, sender, target) -> bytes:
    """SEND_SIG_NOINFO: SI_USER with the sending task's pid as the target sees it."""
    from glasskernel.kernel.pid import task_tgid_vnr
    pid = task_tgid_vnr(sender, target) if sender is not None and sender.pid_links else 0
    uid = sender.cred.uid if sender is not None else 0
    return make_siginfo(signo, SI_USER, pid, uid)


def _resolve_info(signo: int, info, target) -> bytes:
    if info is SEND_SIG_NOINFO:
        return sender_siginfo(signo, target.kernel.current, target)
    if info is SEND_SIG_PRIV:
        return make_siginfo(signo, SI_KERNEL)
    return info


# ----- generation ---------------------------------------------------------------------------

def flush_signal_handlers(task) -> None:
    """execve: caught signals go back to SIG_DFL; ignored ones stay ignored; flags clear."""
    actions = task.sighand.action
    for signo, action in enumerate(actions):
        if action is _DFL_ACTION or action is _IGN_ACTION:     # most of them: nothing to do
            continue
        if action.handler not in (SIG_DFL, SIG_IGN) or action.flags or action.restorer or action.mask:
            actions[signo] = _IGN_ACTION if action.handler == SIG_IGN else _DFL_ACTION


def inherit_signal_state(task, ignored: int, blocked: int) -> None:
    """A first task starts as exec leaves a program: the ignored signals stay SIG_IGN and
    the blocked mask stays (SIGKILL and SIGSTOP are never either)."""
    unblockable = sigmask(SIGKILL) | sigmask(SIGSTOP)
    for signo in range(1, NSIG + 1):
        if ignored & sigmask(signo) & ~unblockable:
            task.sighand.action[signo] = _IGN_ACTION
    task.blocked = blocked & ~unblockable


def flush_sigqueue_mask(task, mask: int) -> None:
    """Forget the pending signals in mask (every thread of the group)."""
    for t in thread_group(task) or [task]:
        if t.pending & mask:
            t.pending &= ~mask
            for signo in [s for s in t.pending_info if mask & sigmask(s)]:
                del t.pending_info[signo]


def sig_task_ignored(task, signo: int, force: bool) -> bool:
    handler = task.sighand.action[signo].handler
    if task.signal.is_init and handler == SIG_DFL and not (force and sig_kernel_only(signo)):
        return True                   # SIGNAL_UNKILLABLE: a namespace's init
    return sig_handler_ignored(handler, signo)


def sig_ignored(task, signo: int, force: bool) -> bool:
    """Blocked signals are never dropped: the handler may change before they are taken."""
    if (task.blocked | task.real_blocked) & sigmask(signo):
        return False
    return sig_task_ignored(task, signo, force)


def prepare_signal(task, signo: int, force: bool) -> bool:
    """Stop and continue signals cancel each other; SIGCONT/SIGKILL wake a stopped task.
    Returns False if the signal would be ignored."""
    if task.signal.flags & SIGNAL_GROUP_EXIT:
        pass                          # the process is dying: no stop/continue effects
    elif signo in _STOP:
        flush_sigqueue_mask(task, sigmask(SIGCONT))
    elif signo in (SIGCONT, SIGKILL):
        flush_sigqueue_mask(task, _STOP_MASK)
        if task._state & __TASK_STOPPED:
            if signo == SIGCONT:
                signal_set_stop_flags(task.signal, SIGNAL_STOP_CONTINUED)
                do_notify_parent_cldstop(task, CLD_CONTINUED)
            wake_up_state(task, __TASK_STOPPED)
    return not sig_ignored(task, signo, force)


def sigpending_count(task) -> int:
    """Queued siginfos of the target's user, counted against its RLIMIT_SIGPENDING."""
    uid = task.cred.uid
    return sum(len(queue) for t in task.kernel.tasks.values() if t.cred.uid == uid
               for queue in t.pending_info.values())


def _sigpending_limit(task) -> int:
    limit = task.rlimits.get(RLIMIT_SIGPENDING, None) if task.rlimits else None
    return limit[0] if limit is not None else 1 << 62


def _pending_in_set(task, signo: int, shared: bool) -> bool:
    """Is a standard signal already pending in the private (or the shared) set?"""
    if not task.pending & sigmask(signo):
        return False
    queue = task.pending_info.get(signo)
    return not queue or any(entry[0] == shared for entry in queue)


def __send_signal(task, signo: int, info, special: bool, shared: bool = False) -> None:
    """Queue the signal on task: once for a standard signal, every time for an RT one."""
    bit = sigmask(signo)
    if signo < SIGRTMIN and _pending_in_set(task, signo, shared):
        return                                 # legacy_queue: already pending
    if signo != SIGKILL:
        code = siginfo_code(info)
        override = signo < SIGRTMIN and (special or code >= 0)
        if override or sigpending_count(task) < _sigpending_limit(task):
            task.pending_info.setdefault(signo, []).append((shared, info))
        elif not special and signo >= SIGRTMIN and code != SI_USER:
            raise KernelError(Errno.EAGAIN)    # sigqueue overflow
        # else: the signal is still sent, its siginfo is lost
    task.pending |= bit
    if task.sighand.signalfd_wqh:
        from glasskernel.fs.signalfd import signalfd_notify
        signalfd_notify(task)
    if tracepoint._active is not None:
        trace_event("signal_generate", sig=signal_name(signo), pid=task.pid,
                    code=siginfo_code(info) if info is not None else 0)
    complete_signal(task, signo)


def wants_signal(task, signo: int) -> bool:
    if task.blocked & sigmask(signo) or task.exiting:
        return False
    return signo == SIGKILL or not task._state & __TASK_STOPPED


def _pick_thread(task, signo: int):
    """The thread a process-directed signal goes to (complete_signal's choice). During an
    exec the others are dying (de_thread): the exec'ing thread gets it, so a SIGKILL
    ends the exec instead of being lost with a thread that exits with status 0."""
    if task.signal.group_exec_task is not None:
        return task.signal.group_exec_task
    if wants_signal(task, signo):
        return task
    for t in thread_group(task):
        if wants_signal(t, signo):
            return t
    return task if not task.exiting else (thread_group(task) or [task])[0]


def complete_signal(task, signo: int) -> None:
    if not task.blocked & sigmask(signo) or signo == SIGKILL:
        signal_wake_up(task, fatal=signo == SIGKILL)


def send_signal_locked(task, signo: int, info=SEND_SIG_NOINFO, group: bool = False,
                       force: bool = False) -> None:
    """Generate signo for task (a thread, or its whole process if group)."""
    if task.sighand is None or task.kthread or (task.exiting and not group):
        return
    if not prepare_signal(task, signo, force):
        return
    target = _pick_thread(task, signo) if group else task
    if target.exiting:
        return
    special = info is SEND_SIG_NOINFO or info is SEND_SIG_PRIV
    __send_signal(target, signo, _resolve_info(signo, info, target), special, shared=group)


def _forced(task, info) -> bool:
    """May it kill a namespace's init? If the kernel sent it, or a task outside that
    namespace did (SEND_SIG_NOINFO from a sender the target cannot see)."""
    if info is SEND_SIG_PRIV:
        return True
    if info is SEND_SIG_NOINFO:
        from glasskernel.kernel.pid import task_tgid_vnr
        sender = task.kernel.current
        return not sender.pid_links or task_tgid_vnr(sender, task) == 0
    return False


def send_signal(task, signo: int, info=SEND_SIG_NOINFO) -> None:
    """A signal for one thread (send_sig_info). Our init, a kernel thread, ignores it."""
    send_signal_locked(task, signo, info, force=_forced(task, info))


def group_send_sig_info(task, signo: int, info=SEND_SIG_NOINFO) -> None:
    """A signal for task's whole process (kill, timers, SIGCHLD)."""
    send_signal_locked(task, signo, info, group=True, force=_forced(task, info))


def signal_wake_up(task, fatal: bool = False) -> None:
    """Interrupt an interruptible sleep (a killable one or a stop too, for a fatal signal:
    signal_wake_up_state's TASK_WAKEKILL)."""
    wake_up_state(task, TASK_WAKEKILL | TASK_INTERRUPTIBLE if fatal else TASK_INTERRUPTIBLE)


def zap_other_threads(task) -> int:
    """SIGKILL every other thread of task's process; return how many there were."""
    count = 0
    for other in thread_group(task):
        if other is task:
            continue
        count += 1
        other.pending |= sigmask(SIGKILL)
        signal_wake_up(other, fatal=True)
    return count


# ----- forced signals: faults ---------------------------------------------------------------

def force_sig_info_to_task(task, signo: int, info: bytes, reset: bool = False,
                           fatal: bool = False) -> None:
    """A signal the task cannot refuse: if it is blocked or ignored (or reset is asked),
    the action goes back to SIG_DFL and the signal is unblocked, so it is taken now."""
    action = task.sighand.action[signo]
    blocked = task.blocked & sigmask(signo)
    if blocked or action.handler == SIG_IGN or reset:
        flags = action.flags | SA_IMMUTABLE if fatal else action.flags
        task.sighand.action[signo] = action.replace(handler=SIG_DFL, flags=flags)
        task.blocked &= ~sigmask(signo)
    if task.exiting:
        return
    __send_signal(task, signo, info, special=False)


def force_sig_fault(task, signo: int, code: int, addr: int) -> None:
    """A fault in user code (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) with its address."""
    force_sig_info_to_task(task, signo, fault_siginfo(signo, code, addr))


def force_sig(task, signo: int) -> None:
    force_sig_info_to_task(task, signo, make_siginfo(signo, SI_KERNEL))


def force_sigsegv(task, signo: int) -> None:
    """A signal frame could not be written: SIGSEGV, which is fatal if it was SIGSEGV's."""
    force_sig_info_to_task(task, SIGSEGV, make_siginfo(SIGSEGV, SI_KERNEL),
                           reset=signo == SIGSEGV, fatal=signo == SIGSEGV)


def force_fatal_sig(task, signo: int, info: bytes = None) -> None:
    """Kill the task's group with signo's default action: for SIGSEGV, SIGABRT and
    the other core signals, first the core dump (the status's 0x80 says it was written)."""
    from glasskernel.fs.coredump import do_coredump
    from glasskernel.kernel.exit import do_group_exit, exit_status_signal
    core = False
    if signo in COREDUMP_SIGNALS:
        core = do_coredump(task, signo, info or make_siginfo(signo, SI_KERNEL))
    do_group_exit(task, exit_status_signal(signo, core))


# ----- job control --------------------------------------------------------------------------

def do_notify_parent_cldstop(task, why: int) -> None:
    """Tell the parent its child stopped or continued (SIGCHLD unless SA_NOCLDSTOP)."""
    from glasskernel.kernel.pid import task_tgid_vnr
    parent = task.parent
    if parent is None or parent.sighand is None:
        return
    status = task.signal.group_exit_code if why == CLD_STOPPED else SIGCONT
    info = sigchld_siginfo(task, why, status, task_tgid_vnr(task, parent))
    if not parent.sighand.action[SIGCHLD].flags & SA_NOCLDSTOP:
        group_send_sig_info(parent, SIGCHLD, info)
    from glasskernel.kernel.exit import __wake_up_parent
    __wake_up_parent(parent)


def do_signal_stop(task, signo: int) -> None:
    """Default action of a stop signal: the process stops until SIGCONT (or SIGKILL)."""
    sig = task.signal
    signal_set_stop_flags(sig, SIGNAL_STOP_STOPPED)
    sig.group_exit_code = signo            # what wait reports (WUNTRACED), once
    do_notify_parent_cldstop(task, CLD_STOPPED)
    set_special_state(task, TASK_STOPPED)
    task.kernel.sched.schedule()


# ----- delivery -----------------------------------------------------------------------------

def _first_private_code(task, signo: int) -> int:
    for shared, info in task.pending_info.get(signo, ()):
        if not shared:
            return siginfo_code(info)
    return SI_USER


def _shared_only(task) -> int:
    """The pending signals queued only as process-directed (shared) instances."""
    bits = 0
    for signo, queue in task.pending_info.items():
        if queue and all(entry[0] for entry in queue):
            bits |= sigmask(signo)
    return bits


def _lowest(bits: int) -> int:
    return (bits & -bits).bit_length()


def next_signal(task, mask: int) -> tuple:
    """(signo, shared) of the signal to take next among those not in mask: the thread's
    own signals before process-directed ones; among its own, a fault the kernel raised
    first (the faulting instruction must not run again before it), else the lowest."""
    ready = task.pending & ~mask      # (a blocked mask never holds SIGKILL/SIGSTOP; sigtimedwait's
                                      # does, and must leave them to the exit path, as Linux)
    if not ready:
        return 0, False
    private = ready & ~_shared_only(task)
    if not private:
        return _lowest(ready), True
    sync = private & SYNCHRONOUS_MASK
    while sync:
        signo = _lowest(sync)
        if _first_private_code(task, signo) > SI_USER:
            return signo, False
        sync &= sync - 1
    return _lowest(private), False


def collect_signal(task, signo: int, shared: bool) -> bytes:
    """Take the first queued instance of the set; the bit stays while more are queued."""
    queue = task.pending_info.get(signo, [])
    index = next((i for i, entry in enumerate(queue) if entry[0] == shared), None)
    if index is None:                           # queued without its siginfo (overflow)
        info = make_siginfo(signo, SI_USER)
    else:
        info = queue.pop(index)[1]
    if queue:
        return info
    task.pending_info.pop(signo, None)
    task.pending &= ~sigmask(signo)
    return info


def dequeue_signal(task, mask: int):
    """(signo, siginfo) of the next pending signal outside mask, or (0, None). Taking a
    process-directed SIGALRM starts the next period of a periodic ITIMER_REAL."""
    signo, shared = next_signal(task, mask)
    if not signo:
        return 0, None
    return signo, take_signal(task, signo, shared)


def take_signal(task, signo: int, shared: bool) -> bytes:
    """collect_signal and what a dequeue does after it: a process-directed SIGALRM starts
    the next period of ITIMER_REAL, a POSIX timer's signal re-arms its timer and gets its
    overrun count (posixtimer_rearm)."""
    info = collect_signal(task, signo, shared)
    if signo == SIGALRM and shared:
        from glasskernel.kernel.time_itimer import it_real_rearm
        it_real_rearm(task)
    if type(info) is not bytes:
        from glasskernel.kernel.posix_timers import posixtimer_rearm
        info = posixtimer_rearm(task, info)
    return info


@dataclass
class Ksignal:
    """struct ksignal: a signal to run a handler for, with the action as it was."""

    signo: int
    action: KSigaction
    info: bytes


def get_signal(task):
    """Dequeue signals on the way to user mode and carry out default actions.

    Returns the Ksignal of the first signal with a handler, or None when nothing is left
    for user space. Every dequeued signal but SIGKILL is reported to the tracer.
    """
    kernel = task.kernel
    while not task.exiting:
        if task.signal.flags & SIGNAL_GROUP_EXIT or task.signal.group_exec_task is not None:
            # another thread is taking the group down, or exec'ing (de_thread)
            task.pending &= ~sigmask(SIGKILL)
            force_fatal_sig(task, SIGKILL)
            return None
        signo, info = dequeue_signal(task, task.blocked)
        if not signo:
            return None
        if signo != SIGKILL:
            if kernel.strace is not None:
                trace_signal_deliver(task, signo, info)
            if kernel.debugger is not None:          # ptrace_signal: the debugger may
                signo, info = kernel.debugger.on_signal(task, signo, info)   # cancel it
                if not signo:
                    continue
        action = task.sighand.action[signo]
        if action.handler == SIG_IGN:
            continue
        if action.handler != SIG_DFL:
            ksig = Ksignal(signo, action, info)        # immutable: no copy to take
            if action.flags & SA_RESETHAND:
                task.sighand.action[signo] = action.replace(handler=SIG_DFL)
            return ksig
        if sig_kernel_ignored(signo):
            continue
        if signo in _STOP:
            do_signal_stop(task, signo)
            continue
        force_fatal_sig(task, signo, info)
    return None


def trace_signal_deliver(task, signo: int, info: bytes) -> None:
    """A signal dequeued to be acted on, for strace's `--- SIGX {...} ---` line."""
    code, addr, fields = siginfo_fields(info)
    task.kernel.strace.signal(task, signo, code, addr, **fields)


def set_current_blocked(task, mask: int) -> None:
    task.blocked = mask & ~_UNBLOCKABLE


def signal_delivered(task, ksig: Ksignal) -> None:
    """The frame is written: block sa_mask (and the signal itself) while the handler runs."""
    from glasskernel.arch.x86.kernel.signal import SS_AUTODISARM, sas_ss_reset
    task.restore_sigmask = False
    blocked = task.blocked | ksig.action.mask
    if not ksig.action.flags & SA_NODEFER:
        blocked |= sigmask(ksig.signo)
    set_current_blocked(task, blocked)
    if task.sas is not None and task.sas[1] & SS_AUTODISARM:
        sas_ss_reset(task)


def signal_setup_done(task, failed: bool, ksig: Ksignal) -> None:
    if failed:
        force_sigsegv(task, ksig.signo)
    else:
        signal_delivered(task, ksig)


def restore_saved_sigmask(task) -> None:
    if task.restore_sigmask:
        task.restore_sigmask = False
        set_current_blocked(task, task.saved_sigmask)


def sigmask_to_save(task) -> int:
    return task.saved_sigmask if task.restore_sigmask else task.blocked


def set_user_sigmask(task, umask: int, sigsetsize: int) -> None:
    """pselect/ppoll/epoll_pwait: a temporary mask for the wait; the old one is restored
    on the way out, after the handler if a signal interrupted the wait."""
    from glasskernel.mm.uaccess import copy_from_user
    if not umask:
        return
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    mask = struct.unpack("<Q", copy_from_user(task, umask, 8))[0]
    task.restore_sigmask = True
    task.saved_sigmask = task.blocked
    set_current_blocked(task, mask)


def restore_saved_sigmask_unless(task, interrupted: bool) -> None:
    """An interrupted wait keeps the temporary mask until its handler has run."""
    if not interrupted:
        restore_saved_sigmask(task)

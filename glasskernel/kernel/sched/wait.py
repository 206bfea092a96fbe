"""Wait queues and completions (kernel/sched/wait.c, kernel/sched/completion.c).

A task that must wait for something puts itself on the thing's wait queue, marks itself
sleeping and calls ``schedule()``; whoever makes the condition true calls ``wake_up``,
which makes the sleepers runnable again. The sleeper re-checks its condition: wake-ups
may be spurious, and a signal may have arrived instead.
"""
from glasskernel.kernel.task import (EXIT_ZOMBIE, SIGNAL_GROUP_EXIT, TASK_INTERRUPTIBLE,
                                     TASK_KILLABLE, TASK_RUNNING, TASK_UNINTERRUPTIBLE,
                                     set_current_state)
from glasskernel.uapi.errno import ERESTARTSYS, KernelError


class SlowPathRequired(Exception):
    """A syscall running in the emulator hook needs to sleep: rerun it on the slow path.

    Raised before the handler changed anything, so running it again from the start on
    the task's own kernel stack (where sleeping is allowed) is safe. (A wait that can be
    parked instead returns ERESTART_PARK, see park.py.)
    """


class WaitQueueEntry:
    """wait_queue_entry_t with its own wake function, for waiters that are not a task.

    ``func(entry, kernel, key)`` runs at every wake-up of the queue; ``key`` is the poll
    mask the waker passed (0: unspecified, any event). poll/select (fs/select.py) and
    epoll (fs/eventpoll.py) hang these on the queues of the files they watch. An
    exclusive entry (WQ_FLAG_EXCLUSIVE, epoll's EPOLLEXCLUSIVE) whose func returns true
    ends the wake-up: the entries behind it are not run.
    """

    __slots__ = ("func", "private", "key", "exclusive")

    def __init__(self, func, private=None, key: int = 0, exclusive: bool = False):
        self.func = func
        self.private = private
        self.key = key
        self.exclusive = exclusive


class WaitQueue:
    """wait_queue_head_t: the tasks sleeping until some condition changes.

    Plain sleepers are tasks (``add``/``remove``: woken with try_to_wake_up); entries with
    a wake function (``add_entry``/``remove_entry``) are kept apart so the common case
    stays a list of tasks.
    """

    def __init__(self, name: str = ""):
        self.name = name
        self.waiters: list = []
        self.entries: list = []    # WaitQueueEntry callbacks

    def add(self, task) -> None:
        if task not in self.waiters:
            self.waiters.append(task)

    def remove(self, task) -> None:
        if task in self.waiters:
            self.waiters.remove(task)

    def add_entry(self, entry: WaitQueueEntry) -> None:
        """add_wait_queue (before the exclusive entries) or add_wait_queue_exclusive
        (at the tail)."""
        if entry.exclusive:
            self.entries.append(entry)
            return
        first = next((i for i, e in enumerate(self.entries) if e.exclusive), len(self.entries))
        self.entries.insert(first, entry)

    def remove_entry(self, entry: WaitQueueEntry) -> None:
        if entry in self.entries:
            self.entries.remove(entry)

    def wake_up(self, kernel, key: int = 0) -> None:
        """Make every sleeper runnable (they recheck their own conditions), then run the
        wake functions; ``key`` says which poll events happened (0: any)."""
        if self.waiters:
            for task in list(self.waiters):
                kernel.sched.try_to_wake_up(task)
        if self.entries:
            for entry in list(self.entries):
                if entry.func(entry, kernel, key) and entry.exclusive:
                    break                      # __wake_up_common: one exclusive waiter

    def __len__(self) -> int:
        return len(self.waiters) + len(self.entries)


def signal_pending(task) -> bool:
    """A signal that is not blocked (or SIGKILL, which never is) waits for the task.
    (A comparison, not bool(): the interpreter does not specialize that call.)"""
    return (task.pending & ~(task.blocked & ~(1 << 8)) != 0
            or task.signal.flags & SIGNAL_GROUP_EXIT != 0)


def fatal_signal_pending(task) -> bool:
    """SIGKILL waits for the task, or its process is being taken down: what ends a
    killable sleep."""
    return task.pending & (1 << 8) != 0 or task.signal.flags & SIGNAL_GROUP_EXIT != 0


def wait_event(task, wq: WaitQueue, condition, interruptible: bool = True, timeout_ns=None) -> bool:
    """Sleep on wq until condition() is true (returns True) or the timeout passes (False).

    Interruptible waits give up with ERESTARTSYS when a signal is pending; the syscall
    exit path turns that into EINTR or a restart. In the syscall hook a wait that must
    sleep sends the syscall to the slow path. (A pipe read parks instead, see pipe.py.)
    """
    kernel = task.kernel
    if kernel.in_fast_syscall and not condition():
        raise SlowPathRequired()
    timer = kernel.hrtimers.start(task, timeout_ns) if timeout_ns is not None else None
    try:
        while not condition():
            if interruptible and signal_pending(task):
                raise KernelError(ERESTARTSYS)
            if timer is not None and timer.fired:
                return False
            wq.add(task)
            sleep_once(task, interruptible)
            wq.remove(task)
        return True
    finally:
        wq.remove(task)
        finish_wait(task)
        if timer is not None:
            kernel.hrtimers.cancel(timer)


def sleep_once(task, interruptible: bool = True) -> None:
    """set_current_state + schedule(): sleep until someone wakes the task (the caller
    queued it somewhere first and re-checks its condition afterwards)."""
    set_current_state(task, TASK_INTERRUPTIBLE if interruptible else TASK_UNINTERRUPTIBLE)
    task.kernel.sched.schedule()


def finish_wait(task) -> None:
    """Back to TASK_RUNNING after a wait (unless the task died meanwhile: a dead task's
    stack unwinding through here leaves its state alone). The state is written here, not
    through set_current_state: this runs twice per pipe round trip."""
    if task.exit_state != EXIT_ZOMBIE:
        task._state = TASK_RUNNING


class Completion:
    """struct completion: a one-shot event others can wait for (vfork uses one)."""

    def __init__(self):
        self.done = False
        self.wait = WaitQueue("completion")

    def complete(self, kernel) -> None:
        self.done = True
        self.wait.wake_up(kernel)

    def wait_for_completion(self, task, killable: bool = True) -> None:
        """Sleep until complete(); a fatal signal (killable) ends the wait early."""
        kernel = task.kernel
        while not self.done:
            if killable and fatal_signal_pending(task):
                return
            self.wait.add(task)
            set_current_state(task, TASK_KILLABLE if killable else TASK_UNINTERRUPTIBLE)
            kernel.sched.schedule()
            self.wait.remove(task)
        set_current_state(task, TASK_RUNNING)

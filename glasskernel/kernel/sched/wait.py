"""Wait queues and completions (kernel/sched/wait.c, kernel/sched/completion.c).

A task that must wait for something puts itself on the thing's wait queue, marks itself
sleeping and calls ``schedule()``; whoever makes the condition true calls ``wake_up``,
which makes the sleepers runnable again. The sleeper re-checks its condition: wake-ups
may be spurious, and a signal may have arrived instead.
"""
from glasskernel.kernel.task import TaskState
from glasskernel.uapi.errno import ERESTARTSYS, KernelError


class SlowPathRequired(Exception):
    """A syscall running in the emulator hook needs to sleep: rerun it on the slow path.

    Raised before the handler changed anything, so running it again from the start on
    the task's own kernel stack (where sleeping is allowed) is safe.
    """


class WaitQueue:
    """wait_queue_head_t: the tasks sleeping until some condition changes."""

    def __init__(self, name: str = ""):
        self.name = name
        self.waiters: list = []

    def add(self, task) -> None:
        if task not in self.waiters:
            self.waiters.append(task)

    def remove(self, task) -> None:
        if task in self.waiters:
            self.waiters.remove(task)

    def wake_up(self, kernel) -> None:
        """Make every sleeper runnable (they recheck their own conditions)."""
        for task in list(self.waiters):
            kernel.sched.try_to_wake_up(task)

    def __len__(self) -> int:
        return len(self.waiters)


def signal_pending(task) -> bool:
    """A signal that is not blocked (or SIGKILL, which never is) waits for the task."""
    return bool(task.pending & ~(task.blocked & ~(1 << 8))) or task.signal.group_exit


def wait_event(task, wq: WaitQueue, condition, interruptible: bool = True, timeout_ns=None) -> bool:
    """Sleep on wq until condition() is true (returns True) or the timeout passes (False).

    Interruptible waits give up with ERESTARTSYS when a signal is pending; the syscall
    exit path turns that into EINTR or a restart.
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
            task.state = TaskState.INTERRUPTIBLE if interruptible else TaskState.UNINTERRUPTIBLE
            kernel.sched.schedule()
            wq.remove(task)
        return True
    finally:
        wq.remove(task)
        if task.state != TaskState.ZOMBIE:
            task.state = TaskState.RUNNING
        if timer is not None:
            kernel.hrtimers.cancel(timer)


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
            if killable and (task.pending & (1 << 8) or task.signal.group_exit):
                return
            self.wait.add(task)
            task.state = TaskState.UNINTERRUPTIBLE
            kernel.sched.schedule()
            self.wait.remove(task)
        task.state = TaskState.RUNNING

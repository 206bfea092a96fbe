"""CPU time accounting (kernel/sched/cputime.c): charging a run, and the times readers see.

A task's user and system time are charged at the edges of its runs (``account_user_time``
below, process_64.py's ``enter_user_mode``, the scheduler's context switch). A task
that asks for its own times is in the middle of a run: what it has run since the last
edge is added here, split the same way, so times(2) and getrusage(2) go forward while a
program loops on system calls that never leave the emulator.
"""


def account_user_time(kernel, task) -> int:
    """Charge the run that just ended: the syscall hook's share of it to system time,
    the rest to user time. The kernel works for the task from now on (system time,
    charged at its return to user mode or when it leaves the CPU). Returns the clock."""
    now = task.kernel_entered_ns = kernel.clock_ns()
    ran = now - task.user_entered_ns
    in_hook = kernel.cpu.syscall_ns(take=True)
    if kernel.clock is not None:
        in_hook = 0                     # host time: not in a deterministic run's clock
    in_hook = min(in_hook, ran)
    task.utime_ns += ran - in_hook
    task.stime_ns += in_hook
    return now


def task_cputime(task) -> tuple:
    """(user, system) ns of one thread, including the part of its current run."""
    utime, stime = task.utime_ns, task.stime_ns
    kernel = task.kernel
    if kernel.current is not task:
        return utime, stime
    now = kernel.clock_ns()
    if kernel.in_fast_syscall:              # inside the emulator's run, in the hook
        ran = max(0, now - task.user_entered_ns)
        in_hook = 0 if kernel.clock is not None else min(kernel.cpu.syscall_ns(), ran)
        return utime + ran - in_hook, stime + in_hook
    if task.kernel_entered_ns:              # in the kernel since it left user mode
        stime += max(0, now - task.kernel_entered_ns)
    return utime, stime


def thread_group_cputime(task) -> tuple:
    """(user, system) ns of every live thread of task's process."""
    utime = stime = 0
    for t in task.kernel.tasks.values():
        if t.signal is task.signal:
            u, s = task_cputime(t)
            utime += u
            stime += s
    return utime, stime

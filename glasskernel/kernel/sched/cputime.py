"""CPU time accounting as the readers see it (kernel/sched/cputime.c).

A task's user and system time are charged at the edges of its runs (init/main.py's
``account_user_time`` and ``enter_user_mode``, the scheduler's context switch). A task
that asks for its own times is in the middle of a run: what it has run since the last
edge is added here, split the same way, so times(2) and getrusage(2) go forward while a
program loops on system calls that never leave the emulator.
"""


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

"""Thread flags: thread_info.flags (arch/x86/include/asm/thread_info.h, linux/thread_info.h).

A task's TIF_* bits live in ``ThreadStruct.flags`` (arch/x86/kernel/process.py; x86 keeps
thread_info inside task_struct). They say what the way back to user mode must do first:
``user_mode_loop`` and ``exit_to_user_mode_prepare`` (kernel/entry/common.py) and the
syscall hook's exit read them. Linux's flags keep Linux's bit numbers; the conditions
only this kernel has (it runs user code in an emulator and parks tasks without a kernel
stack) use bits x86 Linux leaves free, each marked "no Linux twin".

Hot paths test and change the bits inline (``thread.flags & _TIF_X``); elsewhere use the
helpers below, named as Linux's.
"""

TIF_NEED_RESCHED = 3            # the scheduler asked for a switch (resched_curr)
TIF_NOTSC = 16                  # rdtsc in user mode faults (prctl PR_SET_TSC, PR_TSC_SIGSEGV)
TIF_SLOW_SYSCALL = 6            # no Linux twin: a syscall waits to run outside the emulator
TIF_PARKED = 7                  # no Linux twin: asleep without a kernel stack (park.py)
TIF_SYSCALL_INTERRUPTED = 8     # no Linux twin: the syscall returned -ERESTART*; the way
                                # out restarts it or makes it EINTR (Linux reads regs->ax)
TIF_NEED_REGS_LOAD = 18         # no Linux twin (cf. TIF_NEED_FPU_LOAD): the saved pt_regs are
                                # the truth and go into the emulator's CPU before user mode

_TIF_NEED_RESCHED = 1 << TIF_NEED_RESCHED
_TIF_NOTSC = 1 << TIF_NOTSC
_TIF_NEED_REGS_LOAD = 1 << TIF_NEED_REGS_LOAD
_TIF_SLOW_SYSCALL = 1 << TIF_SLOW_SYSCALL
_TIF_PARKED = 1 << TIF_PARKED
_TIF_SYSCALL_INTERRUPTED = 1 << TIF_SYSCALL_INTERRUPTED


def set_tsk_thread_flag(task, flag: int) -> None:
    task.thread.flags |= 1 << flag


def clear_tsk_thread_flag(task, flag: int) -> None:
    task.thread.flags &= ~(1 << flag)


def test_tsk_thread_flag(task, flag: int) -> bool:
    return task.thread.flags & (1 << flag) != 0


def test_and_clear_tsk_thread_flag(task, flag: int) -> bool:
    """Was the flag set? It is clear afterwards."""
    thread = task.thread
    was = thread.flags & (1 << flag) != 0
    thread.flags &= ~(1 << flag)
    return was


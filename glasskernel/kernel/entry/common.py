"""The return-to-user loop of a task (kernel/entry/common.c: exit_to_user_mode_loop).

A task alternates between user mode (the emulator running its code) and kernel mode
(this loop, on the task's own greenlet). Before every return to user mode it does the
pending work: run the scheduler if a switch was requested, deliver signals. After every
return from user mode it handles why it came back: a slow syscall, a fault the CPU hook
could not fix, or the timer interrupt.
"""
from glasskernel.arch.x86.entry.common import do_syscall_64_slow, do_syscall_slow
from glasskernel.arch.x86.head_64 import NEVER_REACHED
from glasskernel.arch.x86.entry.vsyscall_64 import emulate_vsyscall, stopped_in_vsyscall_page
from glasskernel.arch.x86.kernel.apic_timer import SLICE_NS, run_metered, timer_budget
from glasskernel.arch.x86.kernel.traps import exc_user_fault
from glasskernel.arch.x86.kernel.thread_info import (_TIF_NEED_RESCHED, _TIF_PARKED,
                                                     _TIF_SLOW_SYSCALL, _TIF_SYSCALL_INTERRUPTED)
from glasskernel.kernel.sched.park import resume_parked, sleep_parked
from glasskernel.arch.x86.kernel.process_64 import enter_user_mode
from glasskernel.arch.x86.kernel.signal import arch_do_signal_or_restart
from glasskernel.kernel.sched.cputime import account_user_time


def exit_to_user_mode_prepare(task) -> None:
    kernel = task.kernel
    thread = task.thread
    while not task.exiting:
        if thread.flags & _TIF_NEED_RESCHED:
            kernel.sched.schedule()
            continue
        if task.pending or thread.flags & _TIF_SYSCALL_INTERRUPTED or task.restore_sigmask:
            arch_do_signal_or_restart(task)      # signals, restarts of interrupted calls
            if thread.flags & _TIF_NEED_RESCHED:
                continue
        return


def user_mode_loop(task) -> None:
    """Run the task until it exits; then its kernel stack (greenlet) ends.

    The task this stack runs can change: a switch inside the syscall hook hands the
    emulator run, and with it this stack, to a parked task, and a parked task's stack is
    given to the next parked task that runs (park.py).
    """
    kernel = task.kernel
    cpu = kernel.cpu
    while True:
        if task.thread.flags & _TIF_PARKED:           # this stack was given to a parked task
            resume_parked(kernel, task)
            do_syscall_64_slow(kernel, task)
        exit_to_user_mode_prepare(task)
        if task.exiting:
            break
        if kernel.debugger is not None and kernel.debugger.user_return(task):
            continue                                 # it stopped or waited: look again
        enter_user_mode(kernel, task)
        if kernel.block_budget is None:
            reason = cpu.run(cpu.read_reg("rip"), timer_budget(kernel))
        else:
            reason = run_metered(kernel, cpu, timer_budget(kernel))
        task = kernel.current
        now = account_user_time(kernel, task)
        flags = task.thread.flags
        if flags & _TIF_PARKED:
            task = sleep_parked(kernel, task)
        elif flags & _TIF_SLOW_SYSCALL:
            do_syscall_slow(kernel, task)
        elif task.pending_fault is not None:
            exc_user_fault(kernel, task)
        elif reason != "syscall" and stopped_in_vsyscall_page(kernel, task):
            emulate_vsyscall(kernel, task, NEVER_REACHED)   # a jump to the stop address
        if reason == "tick" and kernel.clock is not None:
            kernel.clock.advance(SLICE_NS)
        if reason == "tick" or kernel.sched.tick_due(now):
            kernel.sched.scheduler_tick()
        elif kernel.host_io.pending_signals:         # Ctrl-C stopped the CPU
            kernel.host_io.deliver()
    kernel.sched.do_task_dead(task)

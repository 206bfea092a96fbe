"""Parked tasks: a wait begun in the syscall hook that keeps no kernel stack.

A syscall that must sleep normally leaves the emulator, runs again on the task's own
kernel stack (a greenlet) and sleeps there in ``schedule()``. For two tasks that take
turns (a pipe ping-pong, a shell and its pipeline) that costs most of each turn: the
emulator run ends, the syscall runs twice, two greenlets switch, a new run starts.

Some waits need no kernel stack at all: a pipe read that finds the pipe empty has
changed nothing yet, and once woken it only has to run again from the start. Linux
itself restarts such a syscall after a signal (ERESTARTSYS: rip back onto the
``syscall`` instruction, rax = the number). A task *parks* in that state: it goes to
sleep on the wait queue with its user context saved and rip on its ``syscall``
instruction, and gives up the greenlet it ran on (TIF_PARKED, ``thread.parked_wq`` its queue).
A handler asks for that by returning ERESTART_PARK, with the queue in
``kernel.park_wq`` (a pipe read finding the pipe empty, pipe.py).

When the task that parks has a parked task to hand the CPU to, and that one is the only
runnable task, the switch happens inside the hook (``switch_in_hook``): the scheduler's
bookkeeping, the outgoing context saved, CR3 loaded, the incoming context restored,
and the parked syscall run again. The emulator steps rip past the ``syscall`` it
stopped on and goes on, now in the other task: no emulator exit, no greenlet switch.

Otherwise the hook leaves the emulator and the run loop puts the task to sleep on the
greenlet it ran on (``sleep_parked``), which becomes a spare kernel stack. Whoever
schedules a parked task later gives it a spare (or a new) greenlet, on which the
syscall runs again on the slow path (``resume_parked``), where it can sleep, see a
signal and return EINTR, or be restarted, exactly as before.

Parking is off while a trace or an strace log is taken, so they show every step the
kernel takes in the usual order.
"""
from glasskernel.arch.x86.kernel.thread_info import _TIF_PARKED
from glasskernel.kernel.sched.wait import finish_wait, signal_pending
from glasskernel.kernel.task import TASK_INTERRUPTIBLE, set_current_state
from glasskernel.kernel.trace import tracepoint
from glasskernel.arch.x86.kernel.process_64 import get_user_reg, set_user_reg
from glasskernel.kernel.sched.cputime import account_user_time

SYSCALL_INSN_LEN = 2        # `syscall` is 0f 05: a parked task's rip is this far back

# What a handler in the syscall hook returns when it must sleep and its wait may park:
# it changed nothing, and the queue to sleep on is in ``kernel.park_wq``. Like Linux's
# ERESTART* codes it never reaches user space: the hook parks the task (or reruns the
# syscall on the slow path), and the syscall runs again from the start. A return code,
# not an exception: this happens on every turn of a pipe ping-pong, where raising and
# unwinding through the handler's frames cost ~0.8 µs each time.
ERESTART_PARK = -4096 - 512


def is_parked(task) -> bool:
    """Is the task parked: asleep with no kernel stack of its own?"""
    return task.thread is not None and task.thread.flags & _TIF_PARKED != 0


def may_park(kernel, task) -> bool:
    """Can the task sleep without a kernel stack now? Not while traced or logged, and not
    with a signal already pending (the slow path answers that one)."""
    return (tracepoint._active is None and kernel.strace is None
            and not task.exiting and not signal_pending(task))


def park_in_hook(kernel, task, args: list, wq):
    """A syscall in the hook must wait on wq (``may_park`` said yes): park the task and
    hand the CPU to the next task in place. Returns that task, whose syscall the hook
    runs again, or None to leave the emulator (the run loop puts the task to sleep)."""
    thread = task.thread
    thread.slow_args = args
    thread.parked_wq = wq
    thread.flags |= _TIF_PARKED
    wq.add(task)
    set_current_state(task, TASK_INTERRUPTIBLE)
    sched = kernel.sched
    nxt = sched.parked_successor()
    if nxt is None:
        return None
    now = account_user_time(kernel, task)
    task.kernel_entered_ns = 0              # it sleeps from here: no more system time
    sched.switch_in_hook(task, nxt, now)
    nxt.user_entered_ns = now
    unpark(nxt)
    return nxt


def unpark(task) -> None:
    """The parked task runs again: off its wait queue, TASK_RUNNING."""
    thread = task.thread
    thread.parked_wq.remove(task)
    thread.parked_wq = None
    thread.flags ^= _TIF_PARKED             # set since park_in_hook
    finish_wait(task)


def sleep_parked(kernel, task):
    """The hook parked the task but had nobody to switch to in place: the emulator
    stepped past the ``syscall``, so step back onto it, then schedule away. This kernel
    stack becomes a spare; it returns when given to a parked task, which it returns."""
    set_user_reg(task, "rip", get_user_reg(task, "rip") - SYSCALL_INSN_LEN)
    kernel.sched.schedule()
    return kernel.current


def resume_parked(kernel, task) -> None:
    """A parked task got a kernel stack: step past its ``syscall`` again, as the hook
    leaving the emulator for the slow path would have; the caller runs the syscall there
    (where it may sleep, or meet a signal)."""
    unpark(task)
    set_user_reg(task, "rip", get_user_reg(task, "rip") + SYSCALL_INSN_LEN)


__all__ = ["ERESTART_PARK", "is_parked", "park_in_hook", "may_park", "resume_parked",
           "sleep_parked", "unpark"]

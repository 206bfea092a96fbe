"""A bug in our own kernel met while running a task (arch/x86/kernel/dumpstack.c: the oops).

Linux prints the registers and kills the task that was running (make_task_dead); the rest
of the machine goes on. Here the bug is a Python exception out of a syscall handler: the
report names the guest context (pid, rip, the syscall), and only that task's group dies.
"""
import os

from glasskernel.arch.x86.kernel.process_64 import regs_live, unload_context

SIGKILL = 9


def internal_error(task, exc: BaseException, syscall: str = "") -> None:
    """Report exc, raised while task was in the kernel, and kill the task's group."""
    from glasskernel.kernel.exit import do_group_exit, exit_status_signal
    kernel = task.kernel
    unload_context(task)
    rip = task.thread.regs.get("rip", 0) if task.thread is not None else 0
    if regs_live(task):
        rip = kernel.cpu.read_reg("rip")
    where = f" during {syscall}()" if syscall else ""
    print(f"glasskernel: internal error in pid {task.pid} ({task.comm}) at rip {rip:#x}{where}: "
          f"{type(exc).__name__}: {exc}", file=kernel.stderr, flush=True)
    if os.environ.get("GLASSKERNEL_DEBUG"):
        import traceback                # only here: it costs start-up ~1 ms to import
        traceback.print_exception(exc, file=kernel.stderr)
    if not task.exiting:
        do_group_exit(task, exit_status_signal(SIGKILL, False))

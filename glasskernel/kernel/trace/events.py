"""The events the kernel reports (include/trace/events/sched.h, task.h, syscalls.h) and the
values its tracepoints record.

Clone flags become their names (``CLONE_VM|CLONE_VFORK|SIGCHLD``) and addresses hex. The
``trace_*`` functions are the points where the kernel tells its observers: the tracer's
probes, and the slots a tool fills (``kernel.strace``: the strace formatter attached by
the CLI, tools/strace; ``kernel.debugger``: the gdb stub). The kernel never imports a
tool; what the values mean in words lives with the tools (tools/demo/explain.py).
"""
from glasskernel.kernel.trace import tracepoint
from glasskernel.kernel.trace.tracepoint import trace_event
from glasskernel.uapi.sched import CloneFlag
from glasskernel.uapi.signal import signal_name

CSIGNAL = 0xFF


def clone_flags_text(flags: int, exit_signal: int = 0) -> str:
    """strace's spelling of clone flags: names joined with |, the exit signal last."""
    names = [f.name for f in CloneFlag if f.value & ~CSIGNAL and flags & f.value == f.value]
    rest = flags & ~sum(f.value for f in CloneFlag if f.value & ~CSIGNAL and flags & f.value)
    rest &= ~CSIGNAL
    if rest:
        names.append(hex(rest))
    if exit_signal:
        names.append(signal_name(exit_signal))
    return "|".join(names) or "0"


def hexaddr(value: int) -> str:
    return f"{value:#x}"


def clone_args(current, args) -> dict:
    return {"flags": clone_flags_text(args.flags, args.exit_signal)}


def pid_ret(result) -> dict:
    """A new task's pid as the event's return value."""
    return {"ret": getattr(result, "pid", result)}


def clone_flags_arg(flags, current, p) -> dict:
    """args() of a copy_X step: the clone flags that decide whether it shares or copies."""
    return {"flags": flags}


def fork_flow(tracer, sched, p) -> tuple:
    """wake_up_new_task's flow link: an arrow from the parent's wake-up of the child to
    the child's first ret_from_fork (which reads p.fork_flow)."""
    p.fork_flow = tracer.new_flow()
    return ("s", p.fork_flow)


def trace_sched_process_exec(task, filename: bytes, argv: list, envc: int, envp_addr: int) -> None:
    """A successful execve: the debugger's stop (ptrace_event), the tracepoint, strace's
    line (the old argument memory is gone: envc and envp_addr say what it held)."""
    kernel = task.kernel
    if kernel.debugger is not None:
        kernel.debugger.on_exec(task, filename)
    trace_event("sched_process_exec", task=task, pid=task.pid,
                filename=filename.decode("utf-8", "replace"), comm=task.comm,
                argv=[a.decode("utf-8", "replace") for a in argv])
    if kernel.strace is not None:
        kernel.strace.execve_start(task, filename.decode("utf-8", "surrogateescape"),
                                   [a.decode("utf-8", "surrogateescape") for a in argv],
                                   envc, envp_addr)


def trace_sys_enter(task, nr: int, args) -> None:
    """A slow syscall starts: strace may have to show it <unfinished ...>."""
    strace = task.kernel.strace
    if strace is not None:
        strace.syscall_enter(task, nr, args, task.mm)


def charge_vdso_reads(task) -> None:
    """Charge the task leaving user mode with the rdtsc reads since the last charge:
    clock calls the vDSO answered without a syscall (traced runs only)."""
    kernel = task.kernel
    reads = kernel.cpu.rdtsc_reads()
    task.vdso_reads += reads - kernel.rdtsc_mark
    kernel.rdtsc_mark = reads


def trace_sched_process_exit(task, status: int) -> None:
    """do_exit begins: the clock reads the vDSO answered, the debugger's stop, the
    tracepoint, and strace's `+++ exited with N +++`."""
    kernel = task.kernel
    if tracepoint._active is not None and not task.kthread:
        charge_vdso_reads(task)
        if task.vdso_reads:
            trace_event("vdso_clock_reads", task=task, reads=task.vdso_reads)
    if kernel.debugger is not None and not task.kthread:
        kernel.debugger.on_exit(task, status)
    trace_event("sched_process_exit", task=task, pid=task.pid, code=status)
    strace = kernel.strace
    if strace is not None and not task.kthread:
        if status & 0x7F:
            strace.killed(task, status & 0x7F, bool(status & 0x80))
        else:
            strace.exited(task, status >> 8)


def trace_sched_process_free(task) -> None:
    """release_task: the task is gone from the table."""
    trace_event("sched_process_free", pid=task.pid)

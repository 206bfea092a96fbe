"""Booting the kernel and starting the first program (init/main.c).

``Kernel`` holds what Linux keeps in globals: physical memory, the CPUs, the VFS, the task
table, the syscall table and the observers (strace). ``start_kernel`` brings it up;
``run_init_process`` execs the user's program in a fresh task (``kernel_execve``) and
``run`` drives it until it is gone, returning its wait status.
"""
import os
import sys

from glasskernel.arch.x86.cpu import Cpu
from glasskernel.arch.x86.entry.common import do_syscall_64
from glasskernel.arch.x86.entry.syscall_64 import build_sys_call_table
from glasskernel.arch.x86.kernel.apic_timer import ApicTimer
from glasskernel.arch.x86.kernel.process import ThreadStruct
from glasskernel.arch.x86.kernel.traps import handle_exception
from glasskernel.kernel.exit import do_group_exit, exit_status_signal
from glasskernel.kernel.signal import SighandStruct, flush_signal_handlers, get_signal
from glasskernel.kernel.task import Cred, Task
from glasskernel.mm.page_alloc import PhysicalMemory
from glasskernel.uapi.unistd_64 import SYSCALL_NAMES

DEFAULT_MEM_SIZE = 2 << 30            # guest "RAM": host pages are only used when touched
SIGKILL, SIGSEGV = 9, 11
# CPUID.1:EDX of the emulated CPU model, which Linux reports as AT_HWCAP on x86.
DEFAULT_HWCAP = 0x078BFBFF


class Kernel:
    """One running glasskernel: the state Linux keeps in globals, passed explicitly."""

    def __init__(self, root=None, strace_file=None, mem_size=DEFAULT_MEM_SIZE, stderr=None):
        self.stderr = stderr or sys.stderr
        self.phys = PhysicalMemory(mem_size)
        self.cpu = Cpu(self.phys, 0)
        self.cpu.on_syscall = self._syscall_entry
        self.cpu.on_exception = self._exception_entry
        self.kernel_pgd_entry = self.cpu.kernel_pgd_entry
        self.nr_cpus = 1
        self.timer = ApicTimer(self.cpu)
        self.ticks = 0
        self.hwcap = DEFAULT_HWCAP
        self.sys_call_table = build_sys_call_table()
        self.warned_syscalls = set()
        self.tasks = {}
        self.current = None
        self._next_pid = 1
        self.vfs = _create_vfs(root)
        self.strace = _create_strace(strace_file)

    # ----- tasks --------------------------------------------------------------------------

    def alloc_pid(self) -> int:
        pid = self._next_pid
        self._next_pid += 1
        return pid

    def new_init_task(self) -> Task:
        """The first user task, with stdio, the sandbox root and the host's identity."""
        from glasskernel.fs.file import FilesStruct
        from glasskernel.fs.fs_struct import FsStruct
        from glasskernel.kernel.sys import default_rlimits
        pid = self.alloc_pid()
        uid, gid = os.getuid(), os.getgid()
        task = Task(kernel=self, pid=pid, tgid=pid,
                    cred=Cred(uid, gid, os.geteuid(), os.getegid(), tuple(os.getgroups())))
        task.thread = ThreadStruct()
        task.fs = FsStruct.initial(self.vfs, os.getcwd())
        task.files = FilesStruct.with_stdio()
        task.rlimits = default_rlimits()
        task.sighand = SighandStruct()
        self.tasks[pid] = task
        return task

    def run_init_process(self, filename: bytes, argv: list, envp: list) -> Task:
        """Create the first task and exec the user's program in it (kernel_execve)."""
        from glasskernel.fs.exec import kernel_execve
        task = self.new_init_task()
        self.current = task
        bprm = kernel_execve(task, filename, argv, envp)
        self.trace_execve(task, filename, argv, len(envp), bprm.mm.start_stack, bprm)
        return task

    def trace_execve(self, task, filename: bytes, argv: list, envc: int, envp_addr: int, bprm) -> None:
        """A successful execve, for the syscall log (the old argument memory is gone)."""
        if self.strace is not None:
            self.strace.execve_start(task, filename.decode("utf-8", "surrogateescape"),
                                     [a.decode("utf-8", "surrogateescape") for a in argv],
                                     envc, envp_addr)

    def exit_notify(self, task) -> None:
        """The parent learns of the death (wait and SIGCHLD come with the lifecycle work)."""
        if self.strace is not None:
            status = task.exit_code
            if status & 0x7F:
                self.strace.killed(task, status & 0x7F, bool(status & 0x80))
            else:
                self.strace.exited(task, status >> 8)

    # ----- running ------------------------------------------------------------------------

    def run(self, task) -> int:
        """Run the task until it exits; return its wait status."""
        cpu = self.cpu
        self.current = task
        self.switch_mm(task, None, task.mm)
        self.timer.start()
        try:
            while not task.exiting:
                if task.thread.regs_dirty:
                    cpu.write_regs(task.thread.regs)
                    task.thread.regs_dirty = False
                reason = cpu.run(cpu.read_reg("rip"))
                if task.pending_fault is not None:
                    self.force_sig_fault(task, task.pending_fault)
                elif cpu.tick_pending:
                    self.scheduler_tick(task)
                elif reason is None and not task.exiting:
                    self.force_fatal_sig(task, SIGSEGV)
        finally:
            self.timer.stop()
        return task.exit_code

    def scheduler_tick(self, task) -> None:
        """The timer interrupt: account the tick (a single task has nothing to switch to)."""
        self.cpu.tick_pending = False
        self.ticks += 1

    def _syscall_entry(self) -> bool:
        return do_syscall_64(self, self.current, self.cpu)

    def _exception_entry(self, vector: int) -> bool:
        return handle_exception(self, self.current, self.cpu, vector)

    def switch_mm(self, task, old, new) -> None:
        """Load the new address space's page tables if the task is on the CPU."""
        if new is not None:
            new.cpu = self.cpu
            if task is self.current:
                self.cpu.load_cr3(new.pgtable.pgd)

    # ----- registers of a task ------------------------------------------------------------

    def _regs_live(self, task) -> bool:
        return task is self.current and not task.thread.regs_dirty

    def get_user_reg(self, task, name: str) -> int:
        if self._regs_live(task):
            return self.cpu.read_reg(name)
        return task.thread.regs[name]

    def set_user_reg(self, task, name: str, value: int) -> None:
        if self._regs_live(task):
            self.cpu.write_reg(name, value)
        else:
            task.thread.regs[name] = value

    # ----- signals (default actions; handlers arrive with the shells work) ----------------

    def force_sig_fault(self, task, fault) -> None:
        """A fault in user code: no handlers run yet, so its default action applies."""
        task.pending_fault = None
        if self.strace is not None:
            self.strace.signal(task, fault.signo, fault.code, fault.addr)
        self.force_fatal_sig(task, fault.signo)

    def force_fatal_sig(self, task, signo: int) -> None:
        """Kill the task with signo's default action (core-dumping signals set the flag)."""
        core = signo in (3, 4, 5, 6, 7, 8, 11, 24, 25, 31) and self.core_limit(task) != 0
        do_group_exit(task, exit_status_signal(signo, core))

    def flush_signal_handlers(self, task) -> None:
        """execve resets caught signals to their default."""
        flush_signal_handlers(task)

    def exit_to_user_mode(self, task) -> None:
        """Work before returning to user mode: deliver pending signals (get_signal)."""
        if task.pending:
            get_signal(task)

    def signal_delivered(self, task, signo: int) -> None:
        if self.strace is not None:
            self.strace.signal(task, signo, 0, 0, si_pid=task.tgid, si_uid=task.cred.uid)

    def sleep_ns(self, task, ns: int) -> None:
        """Block the task for ns nanoseconds (one task: the host thread sleeps)."""
        import time
        time.sleep(ns / 1e9)

    def core_limit(self, task) -> int:
        return task.rlimits.get("RLIMIT_CORE", (0, 0))[0] if task.rlimits else 0

    def stack_limit(self, task) -> int:
        return task.rlimits.get("RLIMIT_STACK", (8 << 20, 0))[0] if task.rlimits else 8 << 20

    # ----- reporting ----------------------------------------------------------------------

    def random_bytes(self, n: int) -> bytes:
        return os.urandom(n)

    def syscall_name(self, nr: int) -> str:
        return SYSCALL_NAMES.get(nr, f"syscall_{nr:#x}")

    def warn(self, message: str) -> None:
        print(f"glasskernel: warning: {message}", file=self.stderr, flush=True)

    def internal_error(self, task, exc: BaseException, syscall: str = "") -> None:
        """A bug in our kernel: name the guest context, kill only that task."""
        rip = self.get_user_reg(task, "rip") if task.mm is not None else 0
        where = f" during {syscall}()" if syscall else ""
        print(f"glasskernel: internal error in pid {task.pid} ({task.comm}) at rip {rip:#x}{where}: "
              f"{type(exc).__name__}: {exc}", file=self.stderr, flush=True)
        if not task.exiting:
            do_group_exit(task, exit_status_signal(SIGKILL, False))

    def shutdown(self) -> None:
        if self.vfs is not None:
            self.vfs.close()


def _create_vfs(root):
    from glasskernel.fs.namespace import Vfs
    return Vfs.create(root)


def _create_strace(strace_file):
    if strace_file is None:
        return None
    from glasskernel.kernel.trace.strace import StraceFormatter
    return StraceFormatter(strace_file)

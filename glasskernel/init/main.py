"""Booting the kernel and starting the first program (init/main.c).

``Kernel`` holds what Linux keeps in globals: physical memory, the CPU, the VFS, the task
table, the scheduler, the syscall table and the observers (strace). Boot creates the idle
task (pid 0, the main greenlet) and our init (pid 1, a kernel thread that reaps orphans).
``run_init_process`` makes the user's program pid 2, a child of init, by ``kernel_execve``
in a fresh task; ``run`` lets the scheduler run everything until init has no children
left, and returns the user program's wait status.
"""
import functools
import os
import sys
import time

from glasskernel.arch.x86.cpu import Cpu
from glasskernel.arch.x86.segment import USER_CS
from glasskernel.arch.x86.kernel.thread_info import _TIF_NEED_REGS_LOAD, _TIF_NOTSC
from glasskernel.fs import inode_numbers
from glasskernel.arch.x86.fpu import FP_RAW_SIZE, fxsave_from_raw
from glasskernel.arch.x86.entry.common import do_syscall_64
from glasskernel.arch.x86.entry.entry_64_compat import entry_SYSENTER_compat
from glasskernel.arch.x86.entry.syscall_64 import build_sys_call_table
from glasskernel.arch.x86.kernel.apic_timer import HostSignalWatcher
from glasskernel.arch.x86.kernel import signal as arch_signal
from glasskernel.arch.x86.kernel.traps import handle_exception
from glasskernel.drivers.tty import n_tty
from glasskernel.drivers.tty.host_io import HostIo
from glasskernel.init.tasks import make_idle_task, make_init_task, make_user_task
from glasskernel.kernel import signal as ksignal
from glasskernel.kernel.exit import do_group_exit, exit_init_task, exit_status_signal
from glasskernel.kernel.futex.core import FutexTable
from glasskernel.kernel.hrtimer import HrTimerBase
from glasskernel.kernel.sched.core import Scheduler
from glasskernel.kernel.task import TASK_INTERRUPTIBLE, TASK_STOPPED, set_current_state
from glasskernel.kernel.time_virtual import VirtualClock
from glasskernel.kernel.time_vsyscall import timekeeping_init
from glasskernel.kernel.trace import tracepoint
from glasskernel.kernel.trace.events import trace_sched_process_exec
from glasskernel.kernel.trace.tracepoint import Tracer, notrace, traced
from glasskernel.kernel.sys import raise_host_nofile
from glasskernel.mm.oom_kill import out_of_memory
from glasskernel.mm.page_alloc import PhysicalMemory
from glasskernel.uapi.errno import KernelError
from glasskernel.uapi.resource import INIT_RLIMITS, Rlimit
from glasskernel.uapi.unistd_64 import SYSCALL_NAMES

MAX_DEFAULT_MEM_SIZE = 4 << 30        # guest "RAM": host pages are only used when touched
DEFAULT_MAX_TASKS = 4096              # our own cap on live tasks (threads-max)
RECURSION_LIMIT = 200_000             # see Kernel.run
SIGKILL, SIGSEGV = 9, 11
# CPUID.1:EDX of the emulated CPU model, which Linux reports as AT_HWCAP on x86.
DEFAULT_HWCAP = 0x078BFBFF


_INIT_STACK_RLIMIT = INIT_RLIMITS[Rlimit.RLIMIT_STACK]


def default_mem_size() -> int:
    """--mem's default: 4 GiB, or half the host's RAM on a smaller host, so that a guest
    using all of its RAM leaves the host room (the OOM killer acts at that size)."""
    try:
        host = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return MAX_DEFAULT_MEM_SIZE
    return min(MAX_DEFAULT_MEM_SIZE, max(host // 2, 64 << 20))


class Kernel:
    """One running glasskernel: the state Linux keeps in globals, passed explicitly."""

    def __init__(self, root=None, mem_size=None, stderr=None,
                 max_tasks=DEFAULT_MAX_TASKS, deterministic=False, disk_quota=None):
        self.stderr = stderr or sys.stderr
        self.clock = VirtualClock() if deterministic else None
        # clock_ns(): CLOCK_MONOTONIC, the host's or the virtual clock of a deterministic
        # run; bound once, as the scheduler reads it at every wake-up and switch.
        self.clock_ns = time.monotonic_ns if self.clock is None else self.clock.monotonic_ns
        inode_numbers.reset_at_boot()           # pipe:[100000] again: a fresh machine
        self.phys = PhysicalMemory(mem_size or default_mem_size())
        self.phys.oom_handler = functools.partial(out_of_memory, self)
        self.cpu = Cpu.paired(self.phys, 0)     # one virtual CPU (arch/x86/cpu_pair.py)
        self.cpu.on_syscall = functools.partial(do_syscall_64, self)
        self.cpu.on_exception = functools.partial(handle_exception, self)
        self.cpu.on_sysenter = functools.partial(entry_SYSENTER_compat, self)
        self.kernel_pgd_entry = self.cpu.kernel_pgd_entry
        self.nr_cpus = 1
        self.max_tasks = max_tasks      # also /proc/sys/kernel/threads-max
        self.core_pattern = "core"      # /proc/sys/kernel/core_pattern
        self.core_uses_pid = 0          # /proc/sys/kernel/core_uses_pid
        self.tainted = 0                # /proc/sys/kernel/tainted (add_taint)
        self.hwcap = DEFAULT_HWCAP
        self.boot_time_ns = self.clock_ns()
        self.timekeeper = timekeeping_init(self)    # the clocks' offsets and the [vvar] page
        self.rdtsc_mark = 0            # rdtsc reads already charged to a task (traced runs)
        self.host_io = HostIo()
        self.host_signals = HostSignalWatcher(self.cpu, wake=self.host_io.wake)
        self.tracer = Tracer(self)
        # A debugger's callbacks (the gdb stub, glasskernel/tools/gdbstub), or None: the
        # kernel calls it at its stop points (return to user mode, traps, fork, exec, exit,
        # signal delivery, syscalls) and never imports it.
        self.debugger = None
        self.ttys = {}                 # host st_rdev -> TtyStruct
        self.console_tty = None        # the first program's controlling terminal
        self._idle_switches = 0
        self.hrtimers = HrTimerBase(self)
        self.futexes = FutexTable(self)
        self.sys_call_table = build_sys_call_table()
        self.ia32_sys_call_table = _ia32_sys_call_table   # () -> the i386 table, on first use
        self.warned_syscalls = set()
        self.tasks = {}
        self.cpu_task = None           # whose user registers are loaded in the CPU
        self.in_fast_syscall = False   # a handler is running inside the emulator's hook
        self.park_wq = None            # where a handler returning ERESTART_PARK would sleep
        self.user_task = None
        self.user_status = None
        # A metered run (`glasskernel batch`'s instruction budget): user-mode blocks left,
        # and run so far; None: no metering (apic_timer.charge_blocks).
        self.block_budget = None
        self.blocks_run = 0
        self.budget_spent = False
        self.vfs = _create_vfs(root, disk_quota)
        self.strace = None              # the strace formatter (tools/strace), set by the CLI
        self.idle_task = make_idle_task(self)
        self.current = self.idle_task
        self.sched = Scheduler(self, self.idle_task)
        self.init_task = make_init_task(self)
        raise_host_nofile()

    # ----- starting and running -----------------------------------------------------------

    def run_init_process(self, filename: bytes, argv: list, envp: list):
        """Create the user's first task (child of init) and exec the program in it."""
        from glasskernel.fs.exec import kernel_execve
        task = make_user_task(self, self.init_task)
        self.current = task
        try:
            bprm = kernel_execve(task, filename, argv, envp)
        except KernelError:
            if not task.exiting:
                self.discard_task(task)
                raise
            # Past the point of no return (a segment that could not be mapped): the
            # program started and was killed, as Linux kills it. init reaps it in run().
            self.user_task = task
            return task
        except BaseException:
            self.discard_task(task)
            raise
        finally:
            self.current = self.idle_task
        self.user_task = task
        n_tty.console_init(self, task)
        task.did_exec = True
        trace_sched_process_exec(task, filename, argv, len(envp), bprm.mm.start_stack)
        return task

    def run(self, task=None) -> int:
        """Schedule every task until init has reaped the last one; the user's wait status."""
        notrace(self.sched.wake_up_new_task)(self.init_task)     # made by hand, not forked
        notrace(self.sched.wake_up_new_task)(self.user_task)
        restore_host_signals = n_tty.install_host_signals(self)
        self.host_signals.start()
        # A greenlet started from another one inherits its Python recursion count (not its
        # C stack: each task's kernel stack is its own and shallow). Tasks first run by
        # tasks that were first run by tasks... add up, so a thousand processes would
        # trip the default limit of 1000 without being deep at all.
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        try:
            self.sched.idle_loop(finished=lambda: self.init_task.exit_state != 0)
        finally:
            self.host_signals.stop()
            restore_host_signals()
            sys.setrecursionlimit(old_limit)
        return self.user_status if self.user_status is not None else 0

    def discard_task(self, task) -> None:
        """Undo a first task whose program could not be started."""
        from glasskernel.kernel.exit import exit_files, exit_fs
        from glasskernel.kernel.pid import free_pid
        exit_files(task)
        exit_fs(task)
        self.init_task.children.remove(task)
        self.tasks.pop(task.pid, None)
        free_pid(task.pid_links)

    def idle_wait(self, delay_ns) -> None:
        """Nothing to run: wait on the host for a timer (delay_ns), a host descriptor or a
        host signal. Forever only if something outside can still change things."""
        if self.debugger is not None and self.debugger.idle(delay_ns):
            return                                 # the debugger waited (or stopped us)
        if self.clock is not None and delay_ns is not None and not self.host_io.has_waiters():
            self.clock.advance(delay_ns)           # virtual time: jump to the next timer
            return
        if delay_ns is None and not self.host_io.has_waiters():
            user = self.user_task
            if self.console_tty is not None and user is not None and user._state == TASK_STOPPED:
                n_tty.stop_with_program(self)
                return
            if self.console_tty is None:
                self.deadlock()
                return
        self.host_io.wait(self, delay_ns)
        self.host_io.deliver()
        switches = self.sched.rq.nr_switches
        self.host_io.settle(bool(self.sched.rq.queued), switches != self._idle_switches)
        self._idle_switches = switches

    def tty_for(self, host_fd: int):
        """The TtyStruct of a host descriptor that is a terminal (one per device), else None."""
        from glasskernel.drivers.tty.tty_jobctrl import TtyStruct
        try:
            if not os.isatty(host_fd):
                return None
            rdev = os.fstat(host_fd).st_rdev
        except OSError:
            return None
        if rdev not in self.ttys:
            self.ttys[rdev] = TtyStruct(host_fd, rdev)
        return self.ttys[rdev]

    def deadlock(self) -> None:
        """Nothing can run and no timer will change that: every task sleeps forever."""
        sleepers = ", ".join(f"{t.pid} ({t.comm})" for t in self.tasks.values() if not t.kthread)
        print(f"glasskernel: every task is blocked forever ({sleepers}); killing them",
              file=self.stderr, flush=True)
        for task in list(self.tasks.values()):
            if not task.kthread:
                self.send_signal(task, SIGKILL)
        if not self.sched.rq.queued:
            exit_init_task(self.init_task)

    # ----- entry from the CPU -------------------------------------------------------------

    def enter_user_mode(self, task) -> None:
        """Load the task's user context into the CPU unless it is there already."""
        thread = task.thread
        thread.ts_compat = False                # arch_exit_to_user_mode_prepare
        if (self.cpu_task is not task or thread.flags & _TIF_NEED_REGS_LOAD) and self.cpu.user_cs() != thread.user_cs:
            # A new program of the other mode, or a task of it whose context is not loaded,
            # or the loaded task changing mode (a signal frame of the other ABI, sigreturn):
            # its FPU state, in the CPU, must survive the switch.
            if self.cpu_task is task:
                thread.fpstate = self.cpu.read_fxsave()
            self.cpu.set_user_mode(thread.user_cs, task.mm.pgtable.pgd, thread.regs["rip"])
            self.cpu_task = None
        if self.cpu_task is not task and thread.user_cs != USER_CS:
            self.cpu.load_tls(thread.tls_array)
            for name, selector in thread.user_segs:     # a new child: its parent's fs, gs
                self.cpu.load_segment(name, selector)
            thread.user_segs = ()
        if self.cpu_task is not task:
            self.cpu.write_fp_state(task.thread.fpstate or self.cpu.default_fxsave())
            # A context loaded at a switch brings its CR4; a task's first run does not.
            self.cpu.set_tsc_disabled(task.thread.flags & _TIF_NOTSC != 0)
        if self.cpu_task is not task or task.thread.flags & _TIF_NEED_REGS_LOAD:
            self.cpu.write_regs(task.thread.regs)
            task.thread.flags &= ~_TIF_NEED_REGS_LOAD
            self.cpu_task = task
        if self.cpu.current_cr3 != task.mm.pgtable.pgd:
            self.cpu.load_cr3(task.mm.pgtable.pgd)
        now = task.user_entered_ns = self.clock_ns()
        if task.kernel_entered_ns:          # the kernel's work since the task left user mode
            task.stime_ns += now - task.kernel_entered_ns
            task.kernel_entered_ns = 0

    def account_user_time(self, task) -> int:
        """Charge the run that just ended: the syscall hook's share of it to system time,
        the rest to user time. The kernel works for the task from now on (system time,
        charged at its return to user mode or when it leaves the CPU). Returns the clock."""
        now = task.kernel_entered_ns = self.clock_ns()
        ran = now - task.user_entered_ns
        in_hook = self.cpu.syscall_ns(take=True)
        if self.clock is not None:
            in_hook = 0                     # host time: not in a deterministic run's clock
        in_hook = min(in_hook, ran)
        task.utime_ns += ran - in_hook
        task.stime_ns += in_hook
        return now

    def save_user_regs(self, task) -> None:
        """switch_to's save (the pt_regs and switch_fpu_prepare): the outgoing task's whole
        user context goes into its saved context in one copy. Its pt_regs dict is not
        updated: the task loads the context back when it runs again
        (``restore_user_regs``), and whoever looks at it meanwhile decodes it
        (``unload_context``)."""
        if self.cpu_task is task:
            if tracepoint._active is not None:
                self.charge_vdso_reads(task)
            thread = task.thread
            thread.context = self.cpu.save_context(thread.context)
            thread.context_cr3 = self.cpu.current_cr3
            thread.context_saved = True
            self.cpu_task = None

    def restore_user_regs(self, task) -> None:
        """switch_to's other half, in the task that runs again: its saved context goes
        back into the CPU (the next return to user mode only writes what the kernel
        changed meanwhile, see ``enter_user_mode``)."""
        thread = task.thread
        if thread is not None and thread.context_saved:
            self.cpu.restore_context(thread.context, thread.context_cr3)
            thread.context_saved = False
            self.cpu_task = task
            if thread.user_cs != USER_CS:
                self.cpu.load_tls(thread.tls_array)     # switch_to's load_TLS

    def switch_user_context(self, prev, nxt) -> None:
        """save_user_regs, switch_mm and restore_user_regs in one CPU call, for a switch
        inside the syscall hook (park.py): prev's context is saved, nxt's (saved when it
        parked) is loaded with its address space."""
        cpu, pthread, nthread, mm = self.cpu, prev.thread, nxt.thread, nxt.mm
        if tracepoint._active is not None:
            self.charge_vdso_reads(prev)
        mm.cpu = cpu
        pgd, loaded = mm.pgtable.pgd, cpu.current_cr3
        cr3 = pgd if pgd != loaded or nthread.context_cr3 != pgd else 0
        pthread.context_cr3 = loaded
        pthread.context = cpu.switch_context(pthread.context, nthread.context, cr3)
        pthread.context_saved = True
        nthread.context_saved = False
        self.cpu_task = nxt

    def unload_context(self, task) -> None:
        """A task off the CPU is looked at (its registers or FPU state): decode its saved
        context into pt_regs and the FPU area, which become the truth until it runs."""
        thread = task.thread
        if thread is not None and thread.context_saved:
            regs, fpu, segs = self.cpu.read_context(thread.context)
            if not thread.flags & _TIF_NEED_REGS_LOAD:
                thread.regs = regs
                thread.flags |= _TIF_NEED_REGS_LOAD
            thread.fpstate = fpu
            if thread.user_cs != USER_CS:
                thread.user_segs = segs         # its TLS selectors, loaded when it runs
            thread.context_saved = False

    @traced(args=lambda self, prev, nxt: {"cr3": f"{nxt.mm.pgtable.pgd:#x}" if nxt.mm else "kernel"},
            ret=lambda _r: {})
    def switch_mm(self, prev, nxt) -> None:
        """Load the next address space's page tables (kernel threads borrow the old one)."""
        mm = getattr(nxt, "mm", None)
        if mm is not None:
            mm.cpu = self.cpu
            if self.cpu.current_cr3 != mm.pgtable.pgd:
                self.cpu.load_cr3(mm.pgtable.pgd)

    def exec_switch_mm(self, task, old, new) -> None:
        """execve installed a new mm in task: load it if the task is the one running."""
        new.cpu = self.cpu
        if task is self.current:
            self.cpu.load_cr3(new.pgtable.pgd)

    # ----- registers of a task ------------------------------------------------------------

    def _regs_live(self, task) -> bool:
        return task is self.cpu_task and task is self.current and not task.thread.flags & _TIF_NEED_REGS_LOAD

    def get_user_reg(self, task, name: str) -> int:
        if self._regs_live(task):
            return self.cpu.read_reg(name)
        self.unload_context(task)
        return task.thread.regs[name]

    def set_user_reg(self, task, name: str, value: int) -> None:
        if self._regs_live(task):
            self.cpu.write_reg(name, value)
        else:
            self.unload_context(task)
            task.thread.regs[name] = value

    # ----- signals and waiting ------------------------------------------------------------

    def send_signal(self, task, signo: int) -> None:
        ksignal.send_signal(task, signo)

    def signal_wake_up(self, task, fatal: bool = False) -> None:
        ksignal.signal_wake_up(task, fatal)

    def wake_up_parent(self, parent) -> None:
        parent.signal_wait.wake_up(self) if parent.signal_wait is not None else None

    def wait_chldexit(self, task) -> None:
        """Sleep until a child changes state (or a signal arrives)."""
        from glasskernel.kernel.sched.wait import WaitQueue, signal_pending
        from glasskernel.uapi.errno import ERESTARTSYS
        if task.signal_wait is None:
            task.signal_wait = WaitQueue("wait_chldexit")
        if signal_pending(task) and not task.kthread:
            raise KernelError(ERESTARTSYS)
        task.signal_wait.add(task)
        set_current_state(task, TASK_INTERRUPTIBLE)
        self.sched.schedule()
        task.signal_wait.remove(task)

    def futex_wake(self, mm, uaddr: int, count: int) -> int:
        """Wake joiners of an exiting task (CLONE_CHILD_CLEARTID)."""
        from glasskernel.kernel.futex.core import futex_wake_exiting
        return futex_wake_exiting(self, mm, uaddr, count)

    def force_sig_fault(self, task, fault) -> None:
        """A fault in user code: queue its signal with si_code and si_addr; the way back to
        user mode runs the handler, or the default action if it is blocked or ignored."""
        task.pending_fault = None
        ksignal.force_sig_fault(task, fault.signo, fault.code, fault.addr)

    def force_fatal_sig(self, task, signo: int, info: bytes = None) -> None:
        """Kill the task's group with signo's default action: for SIGSEGV, SIGABRT and
        the other core signals, first the core dump (the status's 0x80 says it was written)."""
        core = False
        if signo in ksignal.COREDUMP_SIGNALS:
            from glasskernel.fs.coredump import do_coredump
            core = do_coredump(task, signo, info or ksignal.make_siginfo(signo, ksignal.SI_KERNEL))
        do_group_exit(task, exit_status_signal(signo, core))

    def flush_signal_handlers(self, task) -> None:
        """execve: caught signals back to SIG_DFL, and no alternate stack (setup_new_exec)."""
        ksignal.flush_signal_handlers(task)
        arch_signal.sas_exec_reset(task)

    def exit_to_user_mode(self, task) -> None:
        """Work before returning to user mode: signals, and restarts of interrupted calls."""
        arch_signal.arch_do_signal_or_restart(task)

    def signal_delivered(self, task, signo: int, info: bytes) -> None:
        """A signal was dequeued to be acted on (strace prints `--- SIGX {...} ---`)."""
        if self.strace is None:
            return
        code, addr, fields = ksignal.siginfo_fields(info)
        self.strace.signal(task, signo, code, addr, **fields)

    def user_regs(self, task) -> dict:
        """A copy of the task's pt_regs, from wherever they are (the CPU, its saved
        context, or the dict)."""
        if self._regs_live(task):
            return self.cpu.read_regs()
        self.unload_context(task)
        return dict(task.thread.regs)

    def sync_pt_regs(self, task) -> dict:
        """The task's pt_regs as the truth, ready to be changed (read from the CPU if live)."""
        if self._regs_live(task):
            task.thread.regs = self.cpu.read_regs()
        self.unload_context(task)
        task.thread.flags |= _TIF_NEED_REGS_LOAD
        return task.thread.regs

    def read_fpstate(self, task) -> bytes:
        """The task's SSE state as a 512-byte fxsave area (live in the CPU: it ran last)."""
        if self.cpu_task is task:
            return self.cpu.read_fxsave()
        self.unload_context(task)
        saved = task.thread.fpstate
        if saved is not None and len(saved) == FP_RAW_SIZE:
            return fxsave_from_raw(bytes(saved))   # saved at a switch in the CPU's layout
        return saved or self.cpu.default_fxsave()

    def write_fpstate(self, task, area: bytes) -> None:
        if self.cpu_task is task:
            self.cpu.write_fxsave(area)
        else:
            self.unload_context(task)
            task.thread.fpstate = area

    def sleep_ns(self, task, ns: int) -> None:
        """Block the task for ns nanoseconds on a timer; other tasks run meanwhile."""
        from glasskernel.kernel.sched.wait import WaitQueue, wait_event
        wait_event(task, WaitQueue("nanosleep"), lambda: False, timeout_ns=ns)

    def core_limit(self, task) -> int:
        return task.rlimits.get(4, (0, 0))[0] if task.rlimits else 0

    def stack_limit(self, task) -> int:
        """rlimit(RLIMIT_STACK), asked at every page fault (stack growth): a plain dict
        lookup, without the name conversion Rlimits.get offers."""
        return dict.get(task.rlimits or {}, Rlimit.RLIMIT_STACK, _INIT_STACK_RLIMIT)[0]

    # ----- observation points (the trace_* functions: kernel/trace/events.py) -----------

    def charge_vdso_reads(self, task) -> None:
        """Charge the task leaving user mode with the rdtsc reads since the last charge:
        clock calls the vDSO answered without a syscall (traced runs only)."""
        reads = self.cpu.rdtsc_reads()
        task.vdso_reads += reads - self.rdtsc_mark
        self.rdtsc_mark = reads

    # ----- reporting ---------------------------------------------------------------------

    def random_bytes(self, n: int) -> bytes:
        return os.urandom(n) if self.clock is None else self.clock.random_bytes(n)

    def syscall_name(self, nr: int) -> str:
        return SYSCALL_NAMES.get(nr, f"syscall_{nr:#x}")

    def warn(self, message: str) -> None:
        print(f"glasskernel: warning: {message}", file=self.stderr, flush=True)

    def internal_error(self, task, exc: BaseException, syscall: str = "") -> None:
        """A bug in our kernel: name the guest context, kill only that task."""
        self.unload_context(task)
        rip = task.thread.regs.get("rip", 0) if task.thread is not None else 0
        if self._regs_live(task):
            rip = self.cpu.read_reg("rip")
        where = f" during {syscall}()" if syscall else ""
        print(f"glasskernel: internal error in pid {task.pid} ({task.comm}) at rip {rip:#x}{where}: "
              f"{type(exc).__name__}: {exc}", file=self.stderr, flush=True)
        if os.environ.get("GLASSKERNEL_DEBUG"):
            import traceback
            traceback.print_exception(exc, file=self.stderr)
        if not task.exiting:
            do_group_exit(task, exit_status_signal(SIGKILL, False))

    def shutdown(self) -> None:
        self.tracer.detach_all()           # tracing is on for the whole process while attached
        if self.vfs is not None:
            self.vfs.close()
        for tty in self.ttys.values():
            tty.close()                # the host terminal's settings as they were
        self.ttys = {}
        self.host_io.close()


def _ia32_sys_call_table() -> dict:
    """The i386 table, imported at the first 32-bit syscall: it imports every compat
    handler, a cost most runs (64-bit only) never need to pay at boot."""
    from glasskernel.arch.x86.entry.syscall_32 import ia32_sys_call_table
    return ia32_sys_call_table()


def _create_vfs(root, disk_quota=None):
    from glasskernel.fs.namespace import Vfs
    return Vfs.create(root, disk_quota)


__all__ = ["Kernel"]

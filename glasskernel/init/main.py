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
from glasskernel.fs import inode_numbers
from glasskernel.arch.x86.entry.common import do_syscall_64
from glasskernel.arch.x86.entry.entry_64_compat import entry_SYSENTER_compat
from glasskernel.arch.x86.entry.syscall_64 import build_sys_call_table
from glasskernel.arch.x86.kernel.apic_timer import HostSignalWatcher
from glasskernel.arch.x86.kernel.traps import handle_exception
from glasskernel.drivers.tty import n_tty
from glasskernel.drivers.tty.host_io import HostIo
from glasskernel.init.tasks import make_idle_task, make_init_task, make_user_task
from glasskernel.kernel.signal import send_signal
from glasskernel.kernel.futex.core import FutexTable
from glasskernel.kernel.hrtimer import HrTimerBase
from glasskernel.kernel.sched.core import Scheduler
from glasskernel.kernel.exit import exit_init_task
from glasskernel.kernel.task import TASK_STOPPED
from glasskernel.kernel.time_virtual import VirtualClock
from glasskernel.kernel.time_vsyscall import timekeeping_init
from glasskernel.kernel.trace.events import trace_sched_process_exec
from glasskernel.kernel.trace.tracepoint import Tracer, notrace
from glasskernel.kernel.sys import raise_host_nofile
from glasskernel.mm.oom_kill import out_of_memory
from glasskernel.mm.page_alloc import PhysicalMemory
from glasskernel.uapi.errno import KernelError

MAX_DEFAULT_MEM_SIZE = 4 << 30        # guest "RAM": host pages are only used when touched
DEFAULT_MAX_TASKS = 4096              # our own cap on live tasks (threads-max)
RECURSION_LIMIT = 200_000             # see Kernel.run
SIGKILL = 9
# CPUID.1:EDX of the emulated CPU model, which Linux reports as AT_HWCAP on x86.
DEFAULT_HWCAP = 0x078BFBFF


def default_mem_size() -> int:
    """--mem's default: 4 GiB, or half the host's RAM on a smaller host, so that a guest
    using all of its RAM leaves the host room (the OOM killer acts at that size)."""
    try:
        host = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return MAX_DEFAULT_MEM_SIZE
    return min(MAX_DEFAULT_MEM_SIZE, max(host // 2, 64 << 20))


class Kernel:
    """One running glasskernel: the state Linux keeps in globals, passed explicitly.

    What the machine does lives in the modules that Linux has it in (the scheduler in
    kernel/sched/, the context switch in arch/x86/, signals in kernel/signal.py); they
    take this object, or reach it through ``task.kernel``. The methods left here start,
    run and stop the whole machine.
    """

    __slots__ = (
        # ----- the machine
        "stderr",             # the console: printk, warnings, internal errors
        "clock",              # the VirtualClock of a deterministic run, else None
        "clock_ns",           # CLOCK_MONOTONIC now (host or virtual), bound once
        "phys",               # PhysicalMemory: the guest's RAM
        "cpu",                # the one virtual CPU (a Cpu pair, arch/x86/cpu_pair.py)
        "kernel_pgd_entry",   # the kernel half of every page table's top level
        "nr_cpus",            # CPUs the guest sees (1)
        "hwcap",              # AT_HWCAP: CPUID.1:EDX of the emulated CPU
        "boot_time_ns",       # clock_ns() at boot (uptime, trace timestamps)
        "timekeeper",         # the clocks' offsets and the [vvar] page (time_vsyscall.py)
        "rdtsc_mark",         # rdtsc reads already charged to a task (traced runs)
        "host_io",            # HostIo: host descriptors and signals the idle task waits on
        "host_signals",       # HostSignalWatcher: Ctrl-C and friends stop the CPU
        "hrtimers",           # HrTimerBase: every armed high-resolution timer
        "futexes",            # FutexTable: the futex hash
        "sys_call_table",     # the x86-64 syscall table (arch/x86/entry/syscall_64.py)
        "ia32_sys_call_table",  # () -> the i386 table, built on first use (syscall_32.py)
        "vfs",                # the sandboxed VFS (fs/namespace.py: Vfs), or None
        # ----- tunables (/proc/sys/kernel)
        "max_tasks",          # threads-max: our cap on live tasks
        "core_pattern",       # core_pattern
        "core_uses_pid",      # core_uses_pid
        "tainted",            # tainted (add_taint)
        # ----- tasks and the CPU's state
        "tasks",              # pid -> Task: the task table
        "idle_task",          # pid 0, the main greenlet
        "init_task",          # pid 1, our init (reaps orphans)
        "user_task",          # the user's first program (pid 2)
        "user_status",        # its wait status once reaped, else None
        "current",            # the task running on the CPU (Linux's current)
        "sched",              # the Scheduler: run queue, schedule()
        "cpu_task",           # whose user registers are loaded in the CPU
        "in_fast_syscall",    # a handler is running inside the emulator's hook
        "park_wq",            # where a handler returning ERESTART_PARK would sleep
        "warned_syscalls",    # (table, nr) of unimplemented syscalls already warned about
        "_idle_switches",     # rq.nr_switches at the idle task's last wait (idle_wait)
        # ----- a metered run (`glasskernel batch`'s instruction budget, apic_timer.py)
        "block_budget",       # user-mode blocks left; None: no metering
        "blocks_run",         # blocks run so far
        "budget_spent",       # the budget ran out and the guest was killed
        # ----- terminals
        "ttys",               # host st_rdev -> TtyStruct (tty_jobctrl.tty_for)
        "console_tty",        # the first program's controlling terminal
        "guest_ptys",         # the devpts pairs (drivers/tty/pty.py), made on first use
        # ----- observers
        "tracer",             # the Tracer its probes attach to (kernel/trace/tracepoint.py)
        "strace",             # the strace formatter (tools/strace) the CLI sets, else None
        "debugger",           # the gdb stub's callbacks (tools/gdbstub), else None
        # ----- subsystem state made on first use (each module's getter creates it)
        "vdso_image",         # the 64-bit vDSO (arch/x86/entry/vdso/vma.py)
        "vdso_image_32",      # the i386 vDSO
        "init_net",           # the first network namespace (net/core/net_namespace.py)
        "init_uts_ns",        # the first UTS namespace (kernel/utsname.py)
        "init_cgroup_ns",     # the first cgroup namespace
        "init_time_ns",       # the first time namespace
        "init_mnt_ns",        # the first mount namespace (fs/namespace.py)
        "ipc_ns",             # the first IPC namespace (ipc/namespace.py)
        "inotify_sysctl",     # /proc/sys/fs/inotify's limits
        "inotify_ucounts",    # uid -> [inotify instances, watches]
        "inode_writecounts",  # every inode's i_writecount (fs/inode.py)
        "eventfd_ida",        # the eventfd ids (eventfd_ida, fs/eventfd.py)
        "loop_devices",       # /dev/loop* (drivers/block/loop.py)
        "pipe_user_bufs",     # uid -> pipe buffer slots in use (pipe-user-pages-*)
        "unix_abstract",      # the AF_UNIX abstract namespace: name -> socket
        "unix_bsd",           # AF_UNIX sockets bound to a path: (st_dev, st_ino) -> socket
        "unix_inflight",      # uid -> descriptors in flight in SCM_RIGHTS messages
        "unix_inflight_socks",  # socket file -> in-flight messages that carry it
        "unix_gc_running",    # unix_gc is purging queues (no recursion)
        "__weakref__",        # per-kernel tables keyed weakly by it (fs/locks.py, fs/fifo.py)
    )

    def __init__(self, root=None, mem_size=None, stderr=None,
                 max_tasks=DEFAULT_MAX_TASKS, deterministic=False, disk_quota=None):
        # Subsystem state made on first use: None until its module's getter runs (some
        # run during boot, below).
        for name in ("guest_ptys", "vdso_image", "vdso_image_32", "init_net", "init_uts_ns",
                     "init_cgroup_ns", "init_time_ns", "init_mnt_ns", "ipc_ns",
                     "inotify_sysctl", "inode_writecounts", "eventfd_ida", "loop_devices"):
            setattr(self, name, None)
        self.inotify_ucounts = {}
        self.pipe_user_bufs = {}
        self.unix_abstract = {}
        self.unix_bsd = {}
        self.unix_inflight = {}
        self.unix_inflight_socks = {}
        self.unix_gc_running = False
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

    def deadlock(self) -> None:
        """Nothing can run and no timer will change that: every task sleeps forever."""
        sleepers = ", ".join(f"{t.pid} ({t.comm})" for t in self.tasks.values() if not t.kthread)
        print(f"glasskernel: every task is blocked forever ({sleepers}); killing them",
              file=self.stderr, flush=True)
        for task in list(self.tasks.values()):
            if not task.kthread:
                send_signal(task, SIGKILL)
        if not self.sched.rq.queued:
            exit_init_task(self.init_task)

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

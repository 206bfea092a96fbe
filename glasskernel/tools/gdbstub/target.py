"""Run control: which tasks gdb holds, where they stop, how they resume.

The kernel calls the ``Debugger`` at its stop points (``Kernel.debugger``); it never
imports this module. A stop runs the gdb session right there, on the kernel stack of
the task that stopped (a return to user mode, a fork in copy_process's caller, a
syscall, a kernel function gdb asked for with ``monitor kbreak``): nothing else runs
meanwhile, so every task of the run is stopped (all-stop). When gdb resumes, each
traced task gets its action: continue, step, step through a range, or stay stopped;
a task gdb keeps stopped sleeps at its next return to user mode until it is resumed.

Breakpoints are int3 bytes in the guest's memory (``memory.BreakpointTable``) and a
single step is the trap flag: the CPU raises #DB after one instruction. Neither costs
anything while gdb has no breakpoint and no step pending. Watchpoints are the CPU's
memory hooks on the watched range, there only while the watchpoint is.
"""
import threading
import time

from glasskernel.kernel.task import TASK_KILLABLE, TASK_RUNNING, set_current_state, signal_group_exit
from glasskernel.kernel.sched.wait import WaitQueue
from glasskernel.tools.gdbstub import signals
from glasskernel.tools.gdbstub.memory import USER_END, BreakpointTable, physical_ranges
from glasskernel.arch.x86.kernel.process_64 import get_user_reg, set_user_reg
from glasskernel.kernel.signal import send_signal

X86_TRAP_DB, X86_TRAP_BP = 1, 3
TF = 0x100
SIGKILL, SIGTRAP = 9, 5
ENOSYS = 38
INTERRUPT_POLL_S = 0.005
CLONE_VM, CLONE_VFORK, CLONE_THREAD = 0x100, 0x4000, 0x10000


class Tracee:
    """One traced task: what gdb asked it to do, and what it has to report."""

    __slots__ = ("tid", "tgid", "action", "signal", "stepping", "step_from", "step_done",
                 "range", "event", "rip_fix", "in_signal_stop")

    def __init__(self, task, action=None):
        self.tid, self.tgid = task.pid, task.tgid
        self.action = action        # None: held (stopped); "c", "s" or "r"
        self.signal = 0             # the Linux signal gdb resumes it with
        self.stepping = False       # the trap flag is set for one instruction
        self.step_from = 0
        self.step_done = False
        self.range = None           # (start, end) of a range step
        self.event = None           # a stop reply to report at its return to user mode
        self.rip_fix = None         # rip to set at that return (back onto a breakpoint)
        self.in_signal_stop = False


class Debugger:
    """The kernel's debugger callbacks, and gdb's view of the tasks."""

    def __init__(self, kernel, server):
        self.kernel = kernel
        self.server = server            # server.Server: the connection and the session
        self.procs = set()              # tgids gdb is attached to
        self.tracees = {}               # tid -> Tracee
        self.bps = BreakpointTable()
        self.watches = {}               # (kind, addr, length) -> Watch
        self.interrupt_pending = False  # Ctrl-C or a late connection: stop soon
        self.catching_syscalls = False
        self.catch_set = None           # None: every syscall (QCatchSyscalls:1)
        self.pass_signals = set()       # Linux signals delivered without a stop
        self.hold_wq = WaitQueue("gdb_stop")
        self.stopped = False
        self.last_reply = "S05"
        self.exec_pending = {}          # tid -> file name of a successful exec
        self.forced_slow = []           # syscall entries made slow for `catch syscall`
        self.code_dirty = False         # breakpoints or watchpoints changed at a stop
        self.alert = False              # code_dirty, interrupt_pending or a disconnect
        self.closed = False             # the run is over: no more interrupts to serve
        self._poller = None             # the thread stopping the CPU for an interrupt

    # ----- the traced set ------------------------------------------------------------------

    def attach_process(self, task, action=None) -> None:
        """Trace every thread of task's process with action."""
        self.procs.add(task.tgid)
        for t in self.process_threads(task.tgid):
            self.tracees.setdefault(t.pid, Tracee(t, action))

    def process_threads(self, tgid: int) -> list:
        """The live threads of process tgid, by pid."""
        return sorted((t for t in self.kernel.tasks.values()
                       if t.tgid == tgid and not t.kthread and t.exit_state == 0),
                      key=lambda t: t.pid)

    def threads(self) -> list:
        """Every live traced task, by pid."""
        tasks = self.kernel.tasks
        return sorted((tasks[tid] for tid in self.tracees if tid in tasks
                       and tasks[tid].exit_state == 0), key=lambda t: t.pid)

    def find(self, pid: int = None, tid: int = None):
        """A traced task: the thread tid, else the first thread of process pid, else any."""
        threads = self.threads()
        for t in threads:
            if tid not in (None, -1, 0) and t.pid == tid:
                return t
        if tid not in (None, -1, 0):
            return None
        for t in threads:
            if pid in (None, -1, 0) or t.tgid == pid:
                return t
        return None

    def detach_process(self, tgid: int) -> None:
        """gdb lets go of a process: it runs on, free."""
        self.procs.discard(tgid)
        for kind, addr, length in list(self.watches):
            self.remove_watch(kind, addr, length, tgid)
        for tid, tr in list(self.tracees.items()):
            if tr.tgid == tgid:
                task = self.kernel.tasks.get(tid)
                if task is not None and tr.stepping:
                    self._set_tf(task, False)
                del self.tracees[tid]
        self.hold_wq.wake_up(self.kernel)

    def detach_all(self) -> None:
        """Let every process go, and remove every watchpoint."""
        for tgid in list(self.procs):
            self.detach_process(tgid)
        for key in list(self.watches):
            self.remove_watch(*key)

    def kill_process(self, tgid: int) -> None:
        """SIGKILL every thread of tgid (held ones wake to die)."""
        for t in self.process_threads(tgid):
            send_signal(t, SIGKILL)
        self.hold_wq.wake_up(self.kernel)

    # ----- stopping -------------------------------------------------------------------------

    def stop_reply(self, task, signo: int = SIGTRAP, extra: str = "") -> str:
        """T packet for task (signo a Linux signal, 0 for none)."""
        return f"T{signals.to_gdb(signo) if signo else 0:02x}{extra}thread:p{task.tgid:x}.{task.pid:x};core:0;"

    def stop(self, task, reply: str, note: str = None) -> None:
        """All-stop: report reply for task (after the console text note, if any) and run
        the gdb session until gdb resumes."""
        if not self.server.connected() or self.stopped:
            return
        self.stopped = True
        try:
            for tid, tr in self.tracees.items():
                tr.action = None
                if tr.stepping:
                    t = self.kernel.tasks.get(tid)
                    if t is not None:
                        self._set_tf(t, False)
                    tr.stepping = tr.step_done = False
            self.last_reply = reply
            self.server.serve(reply, task, note)
        finally:
            self.stopped = False
        # The stop may be inside the CPU's own hook (a fast syscall, a kernel breakpoint):
        # new code and memory hooks are installed outside it, before the next run.
        self.code_dirty = self.alert = True
        if self.kernel.cpu.running:
            self.kernel.cpu.interrupt()     # leave the hook at the next block
        self.hold_wq.wake_up(self.kernel)

    def settle_code(self) -> None:
        """Outside the CPU: drop translations of patched code, hook the watched frames."""
        self.code_dirty = False
        if self.bps.code_changed:
            self.bps.code_changed = False
            self.kernel.cpu.flush_code()
        self.arm_watches()

    def resume(self, actions: list) -> None:
        """vCont's actions, leftmost first: (kind, linux signal, pid, tid, range)."""
        for tid, tr in self.tracees.items():
            for kind, signo, pid, want_tid, span in actions:
                if pid not in (None, -1) and pid != tr.tgid:
                    continue
                if want_tid not in (None, -1) and want_tid != tid:
                    continue
                tr.action, tr.range = kind, span
                self._resume_signal(tid, tr, signo)
                break

    def _resume_signal(self, tid: int, tr: Tracee, signo: int) -> None:
        """Deliver gdb's C/S signal."""
        if tr.in_signal_stop:
            tr.signal = signo           # on_signal hands it to get_signal
            return
        task = self.kernel.tasks.get(tid)
        if signo and task is not None:
            send_signal(task, signo)

    def request_interrupt(self) -> None:
        """From the reader thread (Ctrl-C) or the accepting one: stop everything soon.
        The CPU is stopped only while it runs (a stop asked for between two runs could
        outlive the run loop's check, and the next run would return at once), so a
        thread of its own looks every few milliseconds until the request is served."""
        self.interrupt_pending = self.alert = True
        self.kernel.host_io.wake()              # every task may be asleep: the idle loop
        if self._poller is None or not self._poller.is_alive():
            self._poller = threading.Thread(target=self._poke_cpu, name="gdb-interrupt", daemon=True)
            self._poller.start()

    def _poke_cpu(self) -> None:
        """Stop the CPU whenever it runs, until the interrupt is served."""
        cpu = self.kernel.cpu
        while self.interrupt_pending and not self.closed:
            if cpu.running:
                cpu.interrupt()
            time.sleep(INTERRUPT_POLL_S)

    def _any_traced(self, task):
        """task if traced, else any traced thread."""
        return task if task is not None and task.pid in self.tracees else self.find()

    def service_interrupt(self, task) -> None:
        """Report the pending interrupt (SIGINT, or none for a late attach)."""
        self.interrupt_pending = False
        target = self._any_traced(task)
        if target is not None:
            self.stop(target, self.stop_reply(target, self.server.interrupt_signal()))

    # ----- the kernel's callbacks -----------------------------------------------------------

    def user_return(self, task) -> bool:
        """Before a task enters user mode: report, hold or arm a step. True when it
        stopped or slept (the caller then looks at its pending work again). Called at
        every return to user mode that leaves the CPU's hook: the common case (nothing
        pending, the task untraced or simply continuing) is two tests."""
        if self.alert and self._alerted(task):
            return True
        tr = self.tracees.get(task.pid)
        if tr is None or (tr.action == "c" and tr.event is None and tr.rip_fix is None
                          and not tr.stepping):
            return False
        return self._tracee_return(task, tr)

    def raise_alert(self) -> None:
        """Something for every return to user mode to look at (any thread may call it)."""
        self.alert = True

    def _alerted(self, task) -> bool:
        """New code or hooks to install, an interrupt, a lost connection."""
        self.alert = False
        if self.code_dirty:
            self.settle_code()
        if self.interrupt_pending:
            self.service_interrupt(task)
            return True
        if self.server.disconnect_pending:
            self.server.disconnected()
            return True
        return False

    def _tracee_return(self, task, tr: Tracee) -> bool:
        """user_return for a traced task with something to do."""
        if tr.rip_fix is not None:
            set_user_reg(task, "rip", tr.rip_fix)
            tr.rip_fix = None
        if tr.event is not None:
            reply, tr.event = tr.event, None
            self.stop(task, reply)
            return True
        if tr.stepping and self._step_finished(task, tr):
            return True
        if tr.action is None:
            self._hold(task, tr)
            return True
        if tr.action in ("s", "r") and not tr.stepping:
            tr.stepping, tr.step_done = True, False
            tr.step_from = get_user_reg(task, "rip")
            self._set_tf(task, True)
        return False

    def _step_finished(self, task, tr: Tracee) -> bool:
        """A stepping task came back: report the step unless a range step goes on."""
        rip = get_user_reg(task, "rip")
        if not tr.step_done and rip == tr.step_from:
            return False                  # it has not run its instruction yet
        self._set_tf(task, False)
        tr.stepping = tr.step_done = False
        if tr.action == "r" and tr.range and tr.range[0] <= rip < tr.range[1]:
            return False                  # still inside the range: step again
        self.stop(task, self.stop_reply(task))
        return True

    def _hold(self, task, tr: Tracee) -> None:
        """Sleep until gdb resumes the task, lets it go, or a fatal signal comes."""
        kernel = self.kernel
        while (tr.action is None and self.tracees.get(task.pid) is tr
               and not task.pending & (1 << 8) and not signal_group_exit(task.signal)
               and not self.interrupt_pending):
            self.hold_wq.add(task)
            set_current_state(task, TASK_KILLABLE)
            kernel.sched.schedule()
            self.hold_wq.remove(task)
        if task._state == TASK_KILLABLE:
            set_current_state(task, TASK_RUNNING)

    def _set_tf(self, task, on: bool) -> None:
        """Set or clear the trap flag in the task's saved rflags."""
        flags = get_user_reg(task, "rflags")
        set_user_reg(task, "rflags", flags | TF if on else flags & ~TF)

    def on_trap(self, task, vector: int, rip: int) -> bool:
        """#BP or #DB in user mode (inside the CPU's hook): ours if it is a breakpoint gdb
        set or the step gdb asked for; reported at the task's return to user mode."""
        tr = self.tracees.get(task.pid)
        if tr is None:
            return False
        if vector == X86_TRAP_BP and rip - 1 in self.bps.of(task.mm):
            tr.rip_fix = rip - 1
            tr.event = self.stop_reply(task, SIGTRAP, "swbreak:;")
            tr.stepping = tr.step_done = False
            return True
        if vector == X86_TRAP_DB and tr.stepping:
            tr.step_done = True
            return True
        return False

    def on_watch(self, tgids: set, kind: str, watch_addr: int) -> bool:
        """A watched access by the current task (inside the CPU's memory hook)."""
        task = self.kernel.current
        tr = self.tracees.get(task.pid)
        if tr is None or task.tgid not in tgids:
            return False
        if tr.event is not None:
            return True                 # a stop asked for earlier was lost to a page fault
        name = {"w": "watch", "r": "rwatch", "rw": "awatch"}[kind]
        tr.event = self.stop_reply(task, SIGTRAP, f"{name}:{watch_addr:x};")
        return True

    def on_signal(self, task, signo: int, info):
        """ptrace_signal: a signal about to be acted on stops the task for gdb, unless gdb
        said to pass it; gdb's resume decides which signal (if any) goes on."""
        tr = self.tracees.get(task.pid)
        if tr is None or signo in self.pass_signals or not self.server.connected():
            return signo, info
        tr.in_signal_stop, tr.signal = True, signo
        self.stop(task, self.stop_reply(task, signo))
        tr.in_signal_stop = False
        new = tr.signal
        if new != signo and new:
            from glasskernel.uapi.siginfo import make_siginfo
            info = make_siginfo(new, 0)
        return new, info

    def on_fork(self, parent, child, flags: int) -> None:
        """After copy_process: a thread joins its process; a new process is held for gdb
        and reported as a fork or vfork event of the parent."""
        ptr = self.tracees.get(parent.pid)
        if ptr is None:
            return
        if flags & CLONE_THREAD:
            self.tracees[child.pid] = Tracee(child, "c")
            return
        self.procs.add(child.tgid)
        connected = self.server.connected()
        self.tracees[child.pid] = Tracee(child, None if connected else "c")
        if child.mm is not parent.mm:
            self.bps.copy_mm(parent.mm, child.mm)
        for watch in self.watches.values():
            if parent.tgid in watch.tgids:
                watch.tgids.add(child.tgid)
        if not connected:
            return
        if get_user_reg(child, "rflags") & TF:
            self._set_tf(child, False)
        kind = "vfork" if flags & CLONE_VFORK else "fork"
        self.stop(parent, self.stop_reply(parent, SIGTRAP, f"{kind}:p{child.tgid:x}.{child.pid:x};"))

    def on_vfork_done(self, parent) -> None:
        """The vfork parent got its memory back: vforkdone."""
        if parent.pid in self.tracees:
            self.stop(parent, self.stop_reply(parent, SIGTRAP, "vforkdone:;"))

    def on_exec(self, task, filename: bytes) -> None:
        """A successful execve: reported when the new program is about to run."""
        tr = self.tracees.get(task.pid)
        if tr is None or not self.server.connected():
            return
        for mm in [m for m in self.bps.by_mm if m is not task.mm and not _mm_in_use(self.kernel, m)]:
            self.bps.forget(mm)
        path = task.mm.exe_path or filename.decode("utf-8", "surrogateescape")
        self.exec_pending[task.pid] = path
        tr.event = self.stop_reply(task, SIGTRAP, f"exec:{path.encode('utf-8', 'surrogateescape').hex()};")

    def on_exit(self, task, status: int) -> None:
        """do_exit: the last thread of a traced process reports W (exit code) or X (signal)."""
        tr = self.tracees.pop(task.pid, None)
        if tr is None:
            return
        if any(t.pid in self.tracees for t in self.process_threads(task.tgid) if not t.exiting):
            return
        self.procs.discard(task.tgid)
        if not self.server.connected():
            return
        if status & 0x7F:
            reply = f"X{signals.to_gdb(status & 0x7F):02x};process:{task.tgid:x}"
        else:
            reply = f"W{(status >> 8) & 0xFF:02x};process:{task.tgid:x}"
        self.stop(task, reply)

    def on_syscall(self, task, nr: int, entry: bool) -> None:
        """catch syscall: the entry and return stops of a caught syscall (slow path)."""
        if task.pid not in self.tracees or (self.catch_set is not None and nr not in self.catch_set):
            return
        if entry:                         # what the syscall-entry stop shows, as on Linux
            set_user_reg(task, "rax", -ENOSYS & (1 << 64) - 1)
        elif not self._exec_event_first(task):
            return
        what = "syscall_entry" if entry else "syscall_return"
        self.stop(task, self.stop_reply(task, SIGTRAP, f"{what}:{nr:x};"))

    def _exec_event_first(self, task) -> bool:
        """A successful execve reports its exec event before its syscall-exit stop, as
        ptrace's PTRACE_EVENT_EXEC comes first: gdb must learn of the new program (and,
        across modes, read its description) before it reads the registers of the stop.
        False when gdb let the task go meanwhile."""
        tr = self.tracees.get(task.pid)
        if tr is None or tr.event is None or not tr.event[3:].startswith("exec:"):
            return tr is not None       # (a stop reply: T, the signal in hex, the event)
        reply, tr.event = tr.event, None
        self.stop(task, reply)
        return task.pid in self.tracees and not task.exiting

    def idle(self, delay_ns) -> bool:
        """Nothing to run. A pending interrupt stops here (every task sleeps); with only
        held tasks left and no timer, wait for gdb rather than call it a deadlock."""
        if self.interrupt_pending:
            self.service_interrupt(None)
            return True
        if self.server.disconnect_pending:
            self.server.disconnected()
            return True
        if delay_ns is None and not self.kernel.host_io.has_waiters() and self.server.connected() \
                and any(tr.action is None for tr in self.tracees.values()):
            self.server.wait_activity()
            return True
        return False

    # ----- catch syscall and watchpoints ----------------------------------------------------

    def set_catch_syscalls(self, enabled: bool, numbers) -> None:
        """QCatchSyscalls: caught syscalls must run on the slow path to stop there."""
        for entry in self.forced_slow:
            entry.slow = False
        self.forced_slow = []
        self.catching_syscalls = enabled
        self.catch_set = set(numbers) if numbers else None
        if not enabled:
            return
        for nr, entry in self.kernel.sys_call_table.items():
            if (self.catch_set is None or nr in self.catch_set) and not entry.slow:
                entry.slow = True
                self.forced_slow.append(entry)

    def add_watch(self, kind: str, addr: int, length: int, tgid: int) -> bool:
        """Z2-Z4 for process tgid (armed when the guest resumes). A fork child inherits
        its parent's watchpoints, as gdb expects of x86 debug registers."""
        if length <= 0 or addr < 0 or addr + length > USER_END:
            return False
        watch = self.watches.setdefault((kind, addr, length), Watch(kind, addr, length))
        watch.tgids.add(tgid)
        return True

    def remove_watch(self, kind: str, addr: int, length: int, tgid: int = None) -> None:
        """z2-z4 for tgid (all processes when None); the hooks go with the last one."""
        watch = self.watches.get((kind, addr, length))
        if watch is None:
            return
        watch.tgids.discard(tgid) if tgid is not None else watch.tgids.clear()
        if not watch.tgids:
            del self.watches[(kind, addr, length)]
            if watch.handles:
                self.kernel.cpu.remove_watch(watch.handles)

    def arm_watches(self) -> None:
        """The CPU's memory hooks see physical addresses: hook the frames behind each
        watched range in each watching process, first made private (copy-on-write
        broken, for a write watch) so that the frame stays the same while it runs."""
        cpu = self.kernel.cpu
        for watch in self.watches.values():
            ranges = set()
            for tgid in watch.tgids:
                task = self.find(tgid, None)
                if task is not None and task.mm is not None:
                    ranges |= physical_ranges(task.mm, watch.addr, watch.length, watch.kind != "r")
            if ranges == watch.ranges:
                continue
            if watch.handles:
                cpu.remove_watch(watch.handles)
            watch.ranges, watch.handles = ranges, []
            for lo, hi in sorted(ranges):
                watch.handles += cpu.add_watch(lo, hi, watch.kind, watch.hit_callback(self))


class Watch:
    """One watchpoint: the range, the processes it watches, its hooks on the CPU."""

    __slots__ = ("kind", "addr", "length", "tgids", "ranges", "handles")

    def __init__(self, kind: str, addr: int, length: int):
        self.kind, self.addr, self.length = kind, addr, length
        self.tgids = set()
        self.ranges = set()             # physical [lo, hi) ranges hooked
        self.handles = []

    def hit_callback(self, debugger):
        """The CPU hook's callback: a hit in any hooked frame."""
        return lambda _paddr, _size, _write: debugger.on_watch(self.tgids, self.kind, self.addr)


def _mm_in_use(kernel, mm) -> bool:
    """Does a task still use mm?"""
    return any(t.mm is mm for t in kernel.tasks.values())

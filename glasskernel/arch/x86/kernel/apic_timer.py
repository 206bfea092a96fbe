"""The timer interrupt, as an instruction budget (the local APIC timer's role).

The obvious design, a host thread calling ``uc_emu_stop`` every tick, is unsafe with
Unicorn 2.1.4: an asynchronous stop sometimes re-executes a memory read-modify-write
instruction on restart (measured: ``incq mem`` in a loop counted ~1,700 extra times over
a few thousand stops), silently corrupting the guest. A stop after a budget is exact:
the C tick hook (entry_shim.c) counts translated blocks as they start and stops the run
between two blocks. It costs a few ns per block, so it lives only in the CPU instance
that runs with a budget (cpu_pair.py), and the kernel asks for a budget only when
something else wants the CPU: another runnable task, a timer that must fire, or a task
sleeping on a host descriptor (checked at each tick). A task running alone runs
unbounded at full speed. (Without a C compiler the budget is Unicorn's instruction count,
~10-35x slower while it is on.)

The budget is counted in blocks (or instructions), so slices are deterministic: the same
program gives the same interleaving run after run.

Host signals (Ctrl-C) still need to reach a guest that never enters the kernel: a
watcher thread waits on Python's signal wake-up fd and stops the emulator; the signal is
then handled in Python. That stop is asynchronous, but it ends the run.
"""
import os
import signal
import threading

SLICE_INSNS = 200_000           # one time slice, in instructions (~5-10 ms emulated)
SLICE_BLOCKS = 40_000           # the same slice in translated blocks (~5 instructions each)
SLICE_NS = 200_000              # a slice in virtual time (deterministic runs)


def timer_budget(kernel) -> int:
    """Instructions the current task may run before the next "tick"; 0 = unbounded."""
    if kernel.sched.rq.queued or kernel.hrtimers.next_expiry_delay() is not None \
            or kernel.host_io.has_waiters():
        return SLICE_BLOCKS if kernel.cpu.budget_unit == "block" else SLICE_INSNS
    return 0


METER_BLOCKS = 1 << 24          # a metered run alone on the CPU: blocks between two counts


def run_metered(kernel, cpu, budget: int):
    """cpu.run for a metered kernel (kernel.block_budget set: `glasskernel batch`'s
    instruction budget): every run is counted, at most the blocks left. A run that would
    have been unbounded runs METER_BLOCKS at a time, going on in place between two counts
    (no clock read, no tick), so the guest sees the same clock, ticks and interleaving as
    unmetered. When the budget is spent every guest task gets SIGKILL, as at RLIMIT_CPU's
    hard limit, and the run's stop is reported as "metered" (not a timer tick)."""
    while True:
        blocks = min(budget or METER_BLOCKS, max(kernel.block_budget, 1))
        reason = cpu.run(cpu.read_reg("rip"), blocks)
        used = cpu.blocks_run(blocks)
        kernel.blocks_run += used
        kernel.block_budget -= used
        if reason != "tick" or blocks == budget:
            return reason
        if kernel.block_budget <= 0:
            break
    kernel.budget_spent = True
    for task in list(kernel.tasks.values()):
        if not task.kthread and not task.exiting:
            from glasskernel.kernel.signal import send_signal
            send_signal(task, signal.SIGKILL)
    return "metered"


class HostSignalWatcher:
    """Stops the CPU when the host process receives a signal Python will handle."""

    def __init__(self, cpu, wake=None):
        self.cpu = cpu
        self.wake = wake                 # also wakes the idle loop's poll (HostIo.wake)
        self._read_fd = self._write_fd = -1
        self._old_fd = None
        self._thread = None

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._old_fd = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        self._thread = threading.Thread(target=self._run, name="host-signals", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        signal.set_wakeup_fd(self._old_fd)
        os.close(self._write_fd)              # the reader sees EOF and ends
        self._thread.join()
        os.close(self._read_fd)
        self._thread = None

    def _run(self) -> None:
        while True:
            try:
                data = os.read(self._read_fd, 64)
            except OSError:
                return
            if not data:
                return
            self.cpu.interrupt()
            if self.wake is not None:
                # A signal that came just before the idle loop entered poll() has its
                # Python handler waiting for the main thread, which poll() would block
                # for ever: wake the poll, so the handler runs.
                self.wake()

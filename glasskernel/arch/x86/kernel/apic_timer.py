"""The local APIC timer: a periodic interrupt that takes the CPU away from user code.

A host thread stands for the timer hardware. Each tick it marks the CPU and asks the
emulator to return from ``run`` at the next instruction-block boundary; the run loop then
takes the "interrupt" (``scheduler_tick``, pending host signals such as Ctrl-C). One
persistent thread is used because a per-run timeout would start a thread every time the
emulator is entered, and an instruction count slows every instruction down (DESIGN.md §4).
"""
import threading

DEFAULT_HZ = 100


class ApicTimer:
    """Periodic ticks for one CPU while started."""

    def __init__(self, cpu, hz: int = DEFAULT_HZ):
        self.cpu = cpu
        self.period = 1.0 / hz
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"apic-timer-{self.cpu.cpu_id}",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.cpu.timer_interrupt()

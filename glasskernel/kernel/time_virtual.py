"""The virtual clock of deterministic runs (``--deterministic``).

A traced run should be reproducible byte for byte, so nothing the guest or the trace sees
may come from the host's clock or entropy. In a deterministic run the kernel's time is a
counter that moves only with what the run itself does:

- every read of the clock (by a syscall, the scheduler or a timer) moves it on by
  ``READ_STEP_NS``; a time slice used up by the budget moves it by ``SLICE_NS``
  (apic_timer.py);
- when every task sleeps, the idle loop jumps the clock to the next timer instead of
  sleeping on the host (a `sleep 10` takes no real time);
- the wall clock is a fixed epoch plus the counter, and random bytes come from a seeded
  generator.

Preemption is by a count of blocks or instructions already, so the interleaving of tasks repeats too.
Trace timestamps read the clock without moving it (``peek``), so turning tracing on does
not change what the guest sees.
"""
import random

READ_STEP_NS = 1_000                       # each clock read: one microsecond later
REALTIME_EPOCH_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z
DEFAULT_SEED = 0x676B                      # "gk"


class VirtualClock:
    """Monotonic and real time of a deterministic run, plus its random source."""

    def __init__(self, seed: int = DEFAULT_SEED):
        self.now = 0
        self.rng = random.Random(seed)

    def monotonic_ns(self) -> int:
        self.now += READ_STEP_NS
        return self.now

    def realtime_ns(self) -> int:
        return REALTIME_EPOCH_NS + self.monotonic_ns()

    def peek(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += max(0, ns)

    def cputime_ns(self, task) -> int:
        return task.utime_ns + task.stime_ns

    def random_bytes(self, n: int) -> bytes:
        return self.rng.randbytes(n)

"""Clock ids and time constants (include/uapi/linux/time.h)."""
from enum import IntEnum


class ClockId(IntEnum):
    CLOCK_REALTIME = 0
    CLOCK_MONOTONIC = 1
    CLOCK_PROCESS_CPUTIME_ID = 2
    CLOCK_THREAD_CPUTIME_ID = 3
    CLOCK_MONOTONIC_RAW = 4
    CLOCK_REALTIME_COARSE = 5
    CLOCK_MONOTONIC_COARSE = 6
    CLOCK_BOOTTIME = 7
    CLOCK_REALTIME_ALARM = 8
    CLOCK_BOOTTIME_ALARM = 9
    CLOCK_SGI_CYCLE = 10
    CLOCK_TAI = 11


TIMER_ABSTIME = 0x01               # clock_nanosleep flag
NSEC_PER_SEC = 1_000_000_000
NSEC_PER_USEC = 1_000
USEC_PER_SEC = 1_000_000

globals().update(ClockId.__members__)

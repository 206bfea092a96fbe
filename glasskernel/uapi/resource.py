"""Resource limits (include/uapi/asm-generic/resource.h, include/asm-generic/resource.h)."""
from enum import IntEnum

RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF  # also RLIM64_INFINITY: ~0UL on 64-bit
RLIM64_INFINITY = RLIM_INFINITY


class Rlimit(IntEnum):
    RLIMIT_CPU = 0
    RLIMIT_FSIZE = 1
    RLIMIT_DATA = 2
    RLIMIT_STACK = 3
    RLIMIT_CORE = 4
    RLIMIT_RSS = 5
    RLIMIT_NPROC = 6
    RLIMIT_NOFILE = 7
    RLIMIT_MEMLOCK = 8
    RLIMIT_AS = 9
    RLIMIT_LOCKS = 10
    RLIMIT_SIGPENDING = 11
    RLIMIT_MSGQUEUE = 12
    RLIMIT_NICE = 13
    RLIMIT_RTPRIO = 14
    RLIMIT_RTTIME = 15


RLIM_NLIMITS = 16
_STK_LIM = 8 * 1024 * 1024          # default soft stack limit: 8 MiB
MLOCK_LIMIT = 8 * 1024 * 1024       # default RLIMIT_MEMLOCK since Linux 5.16
MQ_BYTES_MAX = 819200
INR_OPEN_CUR = 1024                 # default soft RLIMIT_NOFILE
INR_OPEN_MAX = 4096                 # kernel's initial hard RLIMIT_NOFILE (systemd raises it)

# The limits init_task starts with (INIT_RLIMITS); fork copies them. NPROC and SIGPENDING are
# scaled from memory at boot, so glasskernel fills them in from the host at run time.
INIT_RLIMITS = {
    Rlimit.RLIMIT_CPU: (RLIM_INFINITY, RLIM_INFINITY),
    Rlimit.RLIMIT_FSIZE: (RLIM_INFINITY, RLIM_INFINITY),
    Rlimit.RLIMIT_DATA: (RLIM_INFINITY, RLIM_INFINITY),
    Rlimit.RLIMIT_STACK: (_STK_LIM, RLIM_INFINITY),
    Rlimit.RLIMIT_CORE: (0, RLIM_INFINITY),
    Rlimit.RLIMIT_RSS: (RLIM_INFINITY, RLIM_INFINITY),
    Rlimit.RLIMIT_NPROC: (0, 0),
    Rlimit.RLIMIT_NOFILE: (INR_OPEN_CUR, INR_OPEN_MAX),
    Rlimit.RLIMIT_MEMLOCK: (MLOCK_LIMIT, MLOCK_LIMIT),
    Rlimit.RLIMIT_AS: (RLIM_INFINITY, RLIM_INFINITY),
    Rlimit.RLIMIT_LOCKS: (RLIM_INFINITY, RLIM_INFINITY),
    Rlimit.RLIMIT_SIGPENDING: (0, 0),
    Rlimit.RLIMIT_MSGQUEUE: (MQ_BYTES_MAX, MQ_BYTES_MAX),
    Rlimit.RLIMIT_NICE: (0, 0),
    Rlimit.RLIMIT_RTPRIO: (0, 0),
    Rlimit.RLIMIT_RTTIME: (RLIM_INFINITY, RLIM_INFINITY),
}

globals().update(Rlimit.__members__)

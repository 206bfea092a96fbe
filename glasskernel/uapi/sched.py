"""clone(2) flags and scheduling constants (include/uapi/linux/sched.h)."""
from enum import IntEnum, IntFlag

from glasskernel.uapi import c_names

CSIGNAL = 0x000000FF               # low byte of clone flags: signal sent to the parent at exit


class CloneFlag(IntFlag):
    """clone flags above the CSIGNAL byte."""

    CLONE_VM = 0x00000100
    CLONE_FS = 0x00000200
    CLONE_FILES = 0x00000400
    CLONE_SIGHAND = 0x00000800
    CLONE_PIDFD = 0x00001000
    CLONE_PTRACE = 0x00002000
    CLONE_VFORK = 0x00004000
    CLONE_PARENT = 0x00008000
    CLONE_THREAD = 0x00010000
    CLONE_NEWNS = 0x00020000
    CLONE_SYSVSEM = 0x00040000
    CLONE_SETTLS = 0x00080000
    CLONE_PARENT_SETTID = 0x00100000
    CLONE_CHILD_CLEARTID = 0x00200000
    CLONE_DETACHED = 0x00400000
    CLONE_UNTRACED = 0x00800000
    CLONE_CHILD_SETTID = 0x01000000
    CLONE_NEWCGROUP = 0x02000000
    CLONE_NEWUTS = 0x04000000
    CLONE_NEWIPC = 0x08000000
    CLONE_NEWUSER = 0x10000000
    CLONE_NEWPID = 0x20000000
    CLONE_NEWNET = 0x40000000
    CLONE_IO = 0x80000000
    CLONE_CLEAR_SIGHAND = 0x100000000      # clone3 only
    CLONE_INTO_CGROUP = 0x200000000        # clone3 only
    CLONE_NEWTIME = 0x00000080             # clone3/unshare only (shares the CSIGNAL byte)


class SchedPolicy(IntEnum):
    SCHED_NORMAL = 0
    SCHED_FIFO = 1
    SCHED_RR = 2
    SCHED_BATCH = 3
    SCHED_IDLE = 5
    SCHED_DEADLINE = 6


globals().update(c_names(CloneFlag, SchedPolicy))

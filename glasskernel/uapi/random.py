"""getrandom(2) flags (include/uapi/linux/random.h)."""
from enum import IntFlag

from glasskernel.uapi import c_names


class GrndFlag(IntFlag):
    GRND_NONBLOCK = 0x0001
    GRND_RANDOM = 0x0002
    GRND_INSECURE = 0x0004


globals().update(c_names(GrndFlag))

"""getrandom(2) (drivers/char/random.c).

The bytes come from the host's kernel (os.urandom), whose pool is always initialised by the
time we run, so GRND_NONBLOCK never has to report EAGAIN.
"""
import os

from glasskernel.fs.read_write import MAX_RW_COUNT
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.random import GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM


def get_random_bytes(kernel, n: int) -> bytes:
    """n random bytes: the host's CSPRNG, or a deterministic run's seeded generator."""
    return os.urandom(n) if kernel.clock is None else kernel.clock.random_bytes(n)


def sys_getrandom(task, buf, count, flags) -> int:
    """getrandom(buf, count, flags): fill buf with up to count random bytes.

    EINVAL for unknown flags or GRND_INSECURE together with GRND_RANDOM. A fault part way
    returns the bytes copied so far, as copy_to_iter() does; a fault at once is EFAULT.
    """
    flags &= 0xFFFFFFFF
    if flags & ~int(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE):
        raise KernelError(Errno.EINVAL)
    if flags & GRND_INSECURE and flags & GRND_RANDOM:
        raise KernelError(Errno.EINVAL)
    count = min(count, MAX_RW_COUNT)
    return _fill_user(task, buf, count)


def _fill_user(task, buf: int, count: int) -> int:
    """get_random_bytes_user(): copy random bytes a page at a time.

    Going page by page makes a fault stop exactly at the first unmapped page, which is
    where the kernel's copy would stop too.
    """
    done = 0
    while done < count:
        n = min(count - done, PAGE_SIZE - ((buf + done) & (PAGE_SIZE - 1)))
        try:
            copy_to_user(task, buf + done, get_random_bytes(task.kernel, n))
        except KernelError:
            if done:
                return done
            raise
        done += n
    return done

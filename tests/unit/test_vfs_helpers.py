"""Shared helpers for the VFS unit tests: a task of a kernel that never runs, with an
address space for test buffers.

(Named test_vfs_helpers so it lives with the tests; it holds no tests itself.)
"""
import os
import struct

import factories
from factories import make_kernel, make_mm, map_anon
from glasskernel.fs.fs_struct import FsStruct
from glasskernel.kernel.task import Cred
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import INR_OPEN_CUR, INR_OPEN_MAX, RLIMIT_NOFILE

BASE = 0x10000
SIZE = 1 << 20
AT_FDCWD = 0xFFFFFF9C


def make_task(root_dir, cwd=None):
    """Task 100 ("prog") of a kernel whose sandbox root is ``root_dir`` (as with --root),
    with [BASE, BASE+SIZE) mapped for test buffers: anything else faults. Shut its kernel
    down when done."""
    kernel = make_kernel(root=str(root_dir))
    mm = make_mm(kernel)
    map_anon(mm, BASE, SIZE)
    mm.exe_path = "/bin/prog"
    task = factories.make_task(kernel, pid=100, comm="prog", cred=Cred(), mm=mm)
    task.fs = FsStruct.initial(kernel.vfs, cwd or str(root_dir))
    task.rlimits[RLIMIT_NOFILE] = (INR_OPEN_CUR, INR_OPEN_MAX)   # `ulimit -n` 1024, not the host's
    try:
        from glasskernel.fs.open import do_filp_open
        mm.exe_file = do_filp_open(task, AT_FDCWD, mm.exe_path, 0, 0)
    except KernelError:
        pass                         # a root without /bin/prog: /proc/self/exe is ENOENT
    return task


def _alloc(task, n):
    """A fresh buffer of n bytes in the test area: a bump allocator from BASE + 4096 whose
    next address is kept in the area's first page, which holds no buffer."""
    addr = int.from_bytes(task.mm.read(BASE, 8), "little") or BASE + 4096
    task.mm.write(BASE, (addr + ((n + 15) & ~15)).to_bytes(8, "little"))
    return addr


def s(task, text):
    """Put a NUL-terminated string in guest memory; return its address."""
    data = os.fsencode(text) + b"\0"
    addr = _alloc(task, len(data))
    task.mm.write(addr, data)
    return addr


def buf(task, n):
    return _alloc(task, n)


def errno_of(fn, *args):
    try:
        fn(*args)
    except KernelError as err:
        return Errno(err.errno)
    return 0


def stat_size(task, addr):
    """st_size from a struct stat at addr."""
    return struct.unpack_from("<q", task.mm.read(addr + 48, 8))[0]


def stat_mode(task, addr):
    return struct.unpack_from("<I", task.mm.read(addr + 24, 4))[0]


def snapshot(directory):
    """Every entry under a host directory: path -> (mode, content or link target)."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if os.path.islink(p):
                body = os.readlink(p)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    body = f.read()
            else:
                body = None
            result[os.path.relpath(p, directory)] = (st.st_mode, st.st_mtime_ns, body)
    return result

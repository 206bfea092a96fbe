"""Shared fakes for the VFS unit tests: a task with a bytearray address space.

(Named test_vfs_helpers so it lives with the tests; it holds no tests itself.)
"""
import os
import struct

from glasskernel.fs.file import FilesStruct
from glasskernel.fs.fs_struct import FsStruct
from glasskernel.fs.namespace import Vfs
from glasskernel.kernel.task import Task
from glasskernel.uapi.errno import Errno, KernelError

BASE = 0x10000
SIZE = 1 << 20
AT_FDCWD = 0xFFFFFF9C


class FakeMm:
    """task.mm over one bytearray mapped at BASE; anything else faults."""

    def __init__(self):
        self.mem = bytearray(SIZE)
        self.exe_path = "/bin/prog"
        self.exe_file = None         # make_task opens /bin/prog as the running executable
        self.brk = BASE + 4096       # bump allocator for test buffers

    def hiwater_rss(self) -> int:
        return 0                     # no page tables: nothing was ever resident

    def _check(self, addr, n):
        if addr < BASE or addr + n > BASE + SIZE:
            raise KernelError(Errno.EFAULT)

    def read(self, addr, n):
        self._check(addr, n)
        return bytes(self.mem[addr - BASE:addr - BASE + n])

    def write(self, addr, data):
        self._check(addr, len(data))
        self.mem[addr - BASE:addr - BASE + len(data)] = data

    def read_cstring(self, addr, limit):
        out = bytearray()
        for i in range(limit):
            b = self.read(addr + i, 1)
            if b == b"\0":
                return bytes(out)
            out += b
        raise KernelError(Errno.ENAMETOOLONG)

    def alloc(self, n):
        addr = self.brk
        self.brk += (n + 15) & ~15
        return addr


class FakeKernel:
    def __init__(self, vfs):
        self.vfs = vfs
        self.tasks = {}
        self.current = None          # the tasks here never run
        self.clock = None            # not deterministic: host randomness
        # Kernel's per-machine tables of pipes, sockets and inotify (its slots)
        self.pipe_user_bufs, self.inotify_ucounts = {}, {}
        self.unix_abstract, self.unix_bsd, self.unix_inflight = {}, {}, {}
        self.unix_inflight_socks, self.unix_gc_running = {}, False


def make_task(root_dir, cwd=None):
    """A task whose sandbox root is ``root_dir`` (as with --root)."""
    vfs = Vfs.create(str(root_dir))
    kernel = FakeKernel(vfs)
    task = Task(kernel=kernel, pid=100, tgid=100, comm="prog")
    task.mm = FakeMm()
    task.fs = FsStruct.initial(vfs, cwd or str(root_dir))
    task.files = FilesStruct()
    kernel.tasks[100] = task
    try:
        from glasskernel.fs.open import do_filp_open
        task.mm.exe_file = do_filp_open(task, AT_FDCWD, task.mm.exe_path, 0, 0)
    except KernelError:
        pass                         # a root without /bin/prog: /proc/self/exe is ENOENT
    return task


def s(task, text):
    """Put a NUL-terminated string in guest memory; return its address."""
    data = os.fsencode(text) + b"\0"
    addr = task.mm.alloc(len(data))
    task.mm.write(addr, data)
    return addr


def buf(task, n):
    return task.mm.alloc(n)


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

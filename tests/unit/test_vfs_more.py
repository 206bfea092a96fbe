"""Rename of lower directories, links, times, O_TRUNC on lower files, fchdir, exchange."""
import os
import struct

import pytest

from glasskernel.fs import namei_dir, open as fs_open, read_write, stat as fs_stat, utimes
from glasskernel.arch.x86.entry.syscall_64 import build_sys_call_table
from glasskernel.uapi.unistd_64 import NR
from glasskernel.uapi.fcntl import O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY
from glasskernel.uapi.stat import UTIME_OMIT
from glasskernel.uapi.errno import Errno
from factories import release_kernel
from test_vfs_helpers import AT_FDCWD, buf, errno_of, make_task, s, snapshot, stat_size


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    (root / "top" / "mid").mkdir(parents=True)
    (root / "top" / "mid" / "leaf").write_bytes(b"leaf")
    (root / "top" / "x").write_bytes(b"x" * 100)
    (root / "other").mkdir()
    t = make_task(root)
    yield t, root
    release_kernel(t.kernel)


def read_path(task, path):
    fd = fs_open.sys_open(task, s(task, path), O_RDONLY, 0)
    b = buf(task, 256)
    n = read_write.sys_read(task, fd, b, 256)
    fs_open.sys_close(task, fd)
    return task.mm.read(b, n)


def test_lower_tree_rename_and_exchange(env):
    task, root = env
    before = snapshot(root)
    assert namei_dir.sys_rename(task, s(task, "/top"), s(task, "/other/top")) == 0
    assert read_path(task, "/other/top/mid/leaf") == b"leaf"
    assert errno_of(read_path, task, "/top/x") == Errno.ENOENT
    namei_dir.sys_mkdir(task, s(task, "/top"), 0o755)
    assert errno_of(read_path, task, "/top/x") == Errno.ENOENT      # opaque
    assert namei_dir.sys_renameat2(task, AT_FDCWD, s(task, "/top"), AT_FDCWD,
                                   s(task, "/other/top"), 2) == 0
    assert read_path(task, "/top/mid/leaf") == b"leaf"
    assert snapshot(root) == before


def test_trunc_link_times_fchdir(env):
    task, root = env
    before = snapshot(root)
    fd = fs_open.sys_open(task, s(task, "/top/x"), O_WRONLY | O_TRUNC, 0)
    st = buf(task, 144)
    fs_stat.sys_newfstat(task, fd, st)
    assert stat_size(task, st) == 0
    assert namei_dir.sys_link(task, s(task, "/top/mid/leaf"), s(task, "/hard")) == 0
    assert read_path(task, "/hard") == b"leaf"
    assert errno_of(namei_dir.sys_link, task, s(task, "/top"), s(task, "/h2")) == Errno.EPERM
    ts = buf(task, 32)
    task.mm.write(ts, struct.pack("<qqqq", 1000, 5, 0, UTIME_OMIT))
    assert utimes.sys_utimensat(task, AT_FDCWD, s(task, "/top/mid/leaf"), ts, 0) == 0
    fs_stat.sys_newstat(task, s(task, "/top/mid/leaf"), st)
    assert struct.unpack_from("<QQ", task.mm.read(st + 72, 16)) == (1000, 5)
    task.mm.write(ts, struct.pack("<qqqq", 0, 10**9, 0, 0))
    assert errno_of(utimes.sys_utimensat, task, AT_FDCWD, s(task, "/top"), ts, 0) == Errno.EINVAL
    dfd = fs_open.sys_open(task, s(task, "/top/mid"), O_RDONLY | O_DIRECTORY, 0)
    assert fs_open.sys_fchdir(task, dfd) == 0
    assert read_path(task, "leaf") == b"leaf"
    assert namei_dir.sys_symlinkat(task, s(task, "leaf"), dfd, s(task, "ln")) == 0
    assert read_path(task, "/top/mid/ln") == b"leaf"
    assert errno_of(namei_dir.sys_symlink, task, s(task, ""), s(task, "/e")) == Errno.ENOENT
    assert errno_of(namei_dir.sys_symlink, task, s(task, "x"), s(task, "/e/")) == Errno.ENOENT
    assert snapshot(root) == before


def test_syscall_table_complete():
    for name in ("read", "write", "openat", "newfstatat", "statx", "getdents64", "dup3",
                 "renameat2", "faccessat2", "readlinkat", "getcwd", "ioctl", "fcntl"):
        assert callable(build_sys_call_table()[NR[name]].handler)

"""The sandbox: guest changes are visible to the guest, the --root directory is unchanged,
and no path (.., symlinks, /proc links) reaches outside it."""
import os
import struct

import pytest

from glasskernel.fs import namei_dir, open as fs_open, read_write, readdir, stat as fs_stat
from glasskernel.uapi.fcntl import AT_REMOVEDIR, O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY
from glasskernel.uapi.errno import Errno
from factories import release_kernel
from test_vfs_helpers import AT_FDCWD, buf, errno_of, make_task, s, snapshot, stat_size


@pytest.fixture
def hostroot(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(b"root:x:0:0\n")
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "a").write_bytes(b"AAA")
    (root / "d" / "sub" / "deep").write_bytes(b"deep")
    (root / "bin").mkdir()
    (root / "bin" / "prog").write_bytes(b"\x7fELF")
    os.chmod(root / "bin" / "prog", 0o755)
    os.symlink("/etc/passwd", root / "abs_link")
    os.symlink("../../../../../../..", root / "rel_escape")
    os.symlink("/", root / "to_root")
    (tmp_path / "secret").write_bytes(b"host secret")
    return root


@pytest.fixture
def task(hostroot):
    t = make_task(hostroot)
    yield t
    release_kernel(t.kernel)


def open_(task, path, flags=O_RDONLY, mode=0o644):
    return fs_open.sys_openat(task, AT_FDCWD, s(task, path), flags, mode)


def read_all(task, fd, n=4096):
    b = buf(task, n)
    got = read_write.sys_read(task, fd, b, n)
    return task.mm.read(b, got)


def write(task, fd, data):
    b = buf(task, len(data))
    task.mm.write(b, data)
    return read_write.sys_write(task, fd, b, len(data))


def names(task, path):
    fd = open_(task, path, O_RDONLY | O_DIRECTORY)
    out = []
    while True:
        b = buf(task, 512)
        n = readdir.sys_getdents64(task, fd, b, 512)
        if n == 0:
            break
        data, off = task.mm.read(b, n), 0
        while off < n:
            reclen = struct.unpack_from("<H", data, off + 16)[0]
            out.append(data[off + 19:off + reclen].split(b"\0")[0].decode())
            off += reclen
    fs_open.sys_close(task, fd)
    return sorted(out)


def test_writes_leave_lower_unchanged(task, hostroot):
    before = snapshot(hostroot)
    fd = open_(task, "/etc/passwd", O_WRONLY | O_APPEND)
    assert write(task, fd, b"guest:x:1:1\n") == 12
    fs_open.sys_close(task, fd)
    fd = open_(task, "/d/new", O_CREAT | O_WRONLY, 0o600)
    write(task, fd, b"hello")
    fs_open.sys_close(task, fd)
    assert namei_dir.sys_mkdir(task, s(task, "/d/newdir"), 0o755) == 0
    assert namei_dir.sys_unlink(task, s(task, "/d/a")) == 0
    assert namei_dir.sys_rename(task, s(task, "/d/sub"), s(task, "/moved")) == 0
    assert namei_dir.sys_symlink(task, s(task, "/etc"), s(task, "/lnk")) == 0
    assert fs_open.sys_chmod(task, s(task, "/bin/prog"), 0o700) == 0
    assert fs_open.sys_truncate(task, s(task, "/bin/prog"), 1) == 0
    assert snapshot(hostroot) == before
    # ... while the guest sees every change.
    fd = open_(task, "/etc/passwd")
    assert read_all(task, fd) == b"root:x:0:0\nguest:x:1:1\n"
    assert names(task, "/d") == [".", "..", "new", "newdir"]
    assert names(task, "/moved") == [".", "..", "deep"]
    assert errno_of(open_, task, "/d/sub/deep") == Errno.ENOENT
    fd = open_(task, "/moved/deep")
    assert read_all(task, fd) == b"deep"
    st = buf(task, 144)
    fs_stat.sys_newstat(task, s(task, "/bin/prog"), st)
    assert stat_size(task, st) == 1


def test_dotdot_and_symlinks_stay_inside(task):
    st = buf(task, 144)
    for path in ("/../../../secret", "/../secret", "/rel_escape/secret", "/to_root/../secret",
                 "/proc/self/root/../secret", "/proc/self/cwd/../../secret",
                 "/d/../../../../secret"):
        assert errno_of(fs_stat.sys_newstat, task, s(task, path), st) == Errno.ENOENT, path
    fd = open_(task, "/rel_escape/etc/passwd")
    assert read_all(task, fd) == b"root:x:0:0\n"
    fd = open_(task, "/abs_link")
    assert read_all(task, fd) == b"root:x:0:0\n"
    fd = open_(task, "/proc/self/root/../../etc/passwd")
    assert read_all(task, fd) == b"root:x:0:0\n"


def test_guest_symlink_to_host_path_resolves_in_guest(task):
    namei_dir.sys_symlink(task, s(task, "../secret"), s(task, "/esc"))
    assert errno_of(open_, task, "/esc") == Errno.ENOENT
    # Creating through a dangling symlink creates inside the sandbox.
    namei_dir.sys_symlink(task, s(task, "/../created"), s(task, "/dangling"))
    fd = open_(task, "/dangling", O_CREAT | O_WRONLY)
    write(task, fd, b"x")
    assert "created" in names(task, "/")


def test_stale_dir_fd_cannot_follow_planted_symlink(task, hostroot):
    dfd = open_(task, "/d/sub", O_RDONLY | O_DIRECTORY)
    namei_dir.sys_rename(task, s(task, "/d"), s(task, "/d2"))
    namei_dir.sys_symlink(task, s(task, str(hostroot.parent)), s(task, "/d"))
    st = buf(task, 144)
    r = errno_of(fs_stat.sys_newfstatat, task, dfd, s(task, "../../secret"), st, 0)
    assert r == Errno.ENOENT


def test_whiteout_and_getdents_merge(task):
    assert names(task, "/d") == [".", "..", "a", "sub"]
    fd = open_(task, "/d/b", O_CREAT | O_WRONLY)
    fs_open.sys_close(task, fd)
    namei_dir.sys_unlink(task, s(task, "/d/a"))
    assert names(task, "/d") == [".", "..", "b", "sub"]
    # recreate a deleted name: visible again, with new contents
    fd = open_(task, "/d/a", O_CREAT | O_WRONLY)
    write(task, fd, b"new")
    assert read_all(task, open_(task, "/d/a")) == b"new"
    # rmdir of a merged dir after emptying it; a new dir at that name is empty (opaque)
    namei_dir.sys_unlink(task, s(task, "/d/sub/deep"))
    assert namei_dir.sys_rmdir(task, s(task, "/d/sub")) == 0
    namei_dir.sys_mkdir(task, s(task, "/d/sub"), 0o755)
    assert names(task, "/d/sub") == [".", ".."]
    assert "proc" in names(task, "/") and "dev" in names(task, "/")


def test_rmdir_and_unlink_errors(task):
    assert errno_of(namei_dir.sys_rmdir, task, s(task, "/d")) == Errno.ENOTEMPTY
    assert errno_of(namei_dir.sys_rmdir, task, s(task, "/d/a")) == Errno.ENOTDIR
    assert errno_of(namei_dir.sys_unlink, task, s(task, "/d")) == Errno.EISDIR
    assert errno_of(namei_dir.sys_unlink, task, s(task, "/d/a/")) == Errno.ENOTDIR
    assert errno_of(namei_dir.sys_rmdir, task, s(task, "/d/.")) == Errno.EINVAL
    assert errno_of(namei_dir.sys_rmdir, task, s(task, "/d/..")) == Errno.ENOTEMPTY
    assert errno_of(namei_dir.sys_unlinkat, task, AT_FDCWD, s(task, "/d"), 1) == Errno.EINVAL
    assert namei_dir.sys_unlinkat(task, AT_FDCWD, s(task, "/d/sub/deep"), 0) == 0
    assert namei_dir.sys_unlinkat(task, AT_FDCWD, s(task, "/d/sub"), AT_REMOVEDIR) == 0
    assert errno_of(namei_dir.sys_mkdir, task, s(task, "/d"), 0o755) == Errno.EEXIST
    assert errno_of(namei_dir.sys_rmdir, task, s(task, "/proc")) == Errno.EBUSY


def test_rename_rules(task):
    r = namei_dir.sys_renameat2
    assert errno_of(r, task, AT_FDCWD, s(task, "/d/a"), AT_FDCWD, s(task, "/etc/passwd"),
                    1) == Errno.EEXIST
    assert errno_of(r, task, AT_FDCWD, s(task, "/d"), AT_FDCWD, s(task, "/d/sub/x"),
                    0) == Errno.EINVAL
    assert errno_of(r, task, AT_FDCWD, s(task, "/d/a"), AT_FDCWD, s(task, "/d/sub"),
                    0) == Errno.EISDIR
    assert errno_of(r, task, AT_FDCWD, s(task, "/d/sub"), AT_FDCWD, s(task, "/d/a"),
                    0) == Errno.ENOTDIR
    assert errno_of(r, task, AT_FDCWD, s(task, "/etc"), AT_FDCWD, s(task, "/d"),
                    0) == Errno.ENOTEMPTY
    assert errno_of(r, task, AT_FDCWD, s(task, "/d/a"), AT_FDCWD, s(task, "/proc/x"),
                    0) == Errno.EXDEV
    assert errno_of(r, task, AT_FDCWD, s(task, "/d/a"), AT_FDCWD, s(task, "/d/b"),
                    3) == Errno.EINVAL
    assert r(task, AT_FDCWD, s(task, "/d/a"), AT_FDCWD, s(task, "/etc/passwd"), 0) == 0
    assert read_all(task, open_(task, "/etc/passwd")) == b"AAA"
    assert r(task, AT_FDCWD, s(task, "/etc/passwd"), AT_FDCWD, s(task, "/bin/prog"), 2) == 0
    assert read_all(task, open_(task, "/etc/passwd")) == b"\x7fELF"
    assert read_all(task, open_(task, "/bin/prog")) == b"AAA"

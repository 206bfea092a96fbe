"""open flags, fd table (dup family, fcntl, cloexec), stat/statx, readlink, getcwd,
/proc and /dev, EFAULT."""
import os
import struct

import pytest

from glasskernel.fs import (d_path, fcntl as fs_fcntl, file as fs_file, ioctl as fs_ioctl,
                            namei, open as fs_open, read_write, readdir,
                            stat as fs_stat)
from glasskernel.fs.file import FilesStruct
from glasskernel.uapi.fcntl import (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
                                    F_GETFL, F_SETFL, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY,
                                    O_EXCL, O_LARGEFILE, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY,
                                    O_RDWR, O_TRUNC, O_WRONLY)
from glasskernel.uapi.ioctls import Ioctl
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import RLIMIT_NOFILE
from factories import release_kernel
from test_vfs_helpers import (AT_FDCWD, buf, errno_of, make_task, s, stat_mode, stat_size)

BAD = 0xDEAD0000


@pytest.fixture
def task(tmp_path):
    root = tmp_path / "root"
    (root / "dir").mkdir(parents=True)
    (root / "dir" / "f").write_bytes(b"0123456789")
    (root / "bin").mkdir()
    (root / "bin" / "prog").write_bytes(b"\x7fELF....")
    os.chmod(root / "bin" / "prog", 0o755)
    (root / "noexec").write_bytes(b"x")
    os.chmod(root / "noexec", 0o644)
    os.symlink("dir/f", root / "lnk")
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    t = make_task(root, cwd=str(root / "dir"))
    yield t
    t.files.close_all()
    release_kernel(t.kernel)


def open_(task, path, flags=O_RDONLY, mode=0o644, dfd=AT_FDCWD):
    return fs_open.sys_openat(task, dfd, s(task, path), flags, mode)


def write(task, fd, data):
    b = buf(task, len(data))
    task.mm.write(b, data)
    return read_write.sys_write(task, fd, b, len(data))


def read(task, fd, n=100):
    b = buf(task, n)
    got = read_write.sys_read(task, fd, b, n)
    return task.mm.read(b, got)


def test_initial_cwd_and_getcwd(task):
    b = buf(task, 64)
    assert d_path.sys_getcwd(task, b, 64) == 5
    assert task.mm.read(b, 5) == b"/dir\0"
    assert errno_of(d_path.sys_getcwd, task, b, 4) == Errno.ERANGE
    assert read(task, open_(task, "f")) == b"0123456789"
    assert fs_open.sys_chdir(task, s(task, "..")) == 0
    assert d_path.sys_getcwd(task, b, 64) == 2
    assert errno_of(fs_open.sys_chdir, task, s(task, "noexec")) == Errno.ENOTDIR


def test_open_flags(task):
    assert errno_of(open_, task, "/dir/f", O_CREAT | O_EXCL | O_WRONLY) == Errno.EEXIST
    assert errno_of(open_, task, "/lnk", O_CREAT | O_EXCL | O_WRONLY) == Errno.EEXIST
    assert errno_of(open_, task, "/dir", O_WRONLY) == Errno.EISDIR
    assert errno_of(open_, task, "/dir", O_CREAT | O_RDONLY) == Errno.EISDIR
    assert errno_of(open_, task, "/dir/f", O_DIRECTORY) == Errno.ENOTDIR
    assert errno_of(open_, task, "/dir/f/", O_RDONLY) == Errno.ENOTDIR
    assert errno_of(open_, task, "/lnk", O_NOFOLLOW) == Errno.ELOOP
    assert errno_of(open_, task, "/loop1") == Errno.ELOOP
    assert errno_of(open_, task, "/nope/x") == Errno.ENOENT
    assert errno_of(open_, task, "") == Errno.ENOENT
    assert errno_of(open_, task, "/" + "a" * 256) == Errno.ENAMETOOLONG
    assert errno_of(open_, task, "/a" * 2100) == Errno.ENAMETOOLONG
    fd = open_(task, "/lnk", O_PATH | O_NOFOLLOW)
    assert fs_fcntl.sys_fcntl(task, fd, F_GETFL, 0) == O_PATH | O_NOFOLLOW
    assert errno_of(read, task, fd) == Errno.EBADF
    fd = open_(task, "/dir/f", O_RDWR | O_TRUNC)
    assert fs_fcntl.sys_fcntl(task, fd, F_GETFL, 0) == O_RDWR | O_LARGEFILE
    assert read(task, fd) == b""
    fd = open_(task, "/dir/new", O_CREAT | O_WRONLY, 0o777)
    st = buf(task, 144)
    fs_stat.sys_newfstat(task, fd, st)
    assert stat_mode(task, st) == 0o100755          # umask 022 applied
    assert errno_of(read, task, fd) == Errno.EBADF


def test_append_and_offsets(task):
    fd = open_(task, "/dir/f", O_RDWR | O_APPEND)
    assert write(task, fd, b"AB") == 2
    assert read_write.sys_lseek(task, fd, 0, 1) == 12
    read_write.sys_lseek(task, fd, 0, 0)
    assert write(task, fd, b"C") == 1                # O_APPEND: still at the end
    read_write.sys_lseek(task, fd, 0, 0)
    assert read(task, fd) == b"0123456789ABC"
    assert errno_of(read_write.sys_lseek, task, fd, (-1) & (2**64 - 1), 0) == Errno.EINVAL
    assert errno_of(read_write.sys_lseek, task, fd, 0, 7) == Errno.EINVAL
    b = buf(task, 4)
    assert read_write.sys_pread64(task, fd, b, 4, 2) == 4
    assert task.mm.read(b, 4) == b"2345"
    # writev gathers, readv scatters
    iov = buf(task, 32)
    p1, p2 = buf(task, 3), buf(task, 3)
    task.mm.write(p1, b"xyz")
    task.mm.write(p2, b"uvw")
    task.mm.write(iov, struct.pack("<QQQQ", p1, 3, p2, 3))
    assert read_write.sys_writev(task, fd, iov, 2) == 6
    read_write.sys_lseek(task, fd, 0, 0)
    assert read_write.sys_readv(task, fd, iov, 2) == 6
    assert task.mm.read(p1, 3) + task.mm.read(p2, 3) == b"012345"
    assert errno_of(read_write.sys_readv, task, fd, iov, 1025) == Errno.EINVAL


def test_dup_family(task):
    fd = open_(task, "/dir/f")
    d = fs_file.sys_dup(task, fd)
    assert d == fd + 1
    read(task, fd, 3)
    assert read(task, d, 2) == b"34"                 # shared offset
    assert fs_file.sys_dup2(task, fd, fd) == fd
    assert errno_of(fs_file.sys_dup2, task, 77, 77) == Errno.EBADF
    assert errno_of(fs_file.sys_dup3, task, fd, fd, 0) == Errno.EINVAL
    assert errno_of(fs_file.sys_dup3, task, fd, 9, 1) == Errno.EINVAL
    assert errno_of(fs_file.sys_dup2, task, fd, 5000) == Errno.EBADF
    assert errno_of(fs_file.sys_dup2, task, 66, 9) == Errno.EBADF
    assert fs_file.sys_dup3(task, fd, 9, O_CLOEXEC) == 9
    assert fs_fcntl.sys_fcntl(task, 9, F_GETFD, 0) == 1
    assert fs_file.sys_dup2(task, d, 9) == 9          # replaces, clears cloexec
    assert fs_fcntl.sys_fcntl(task, 9, F_GETFD, 0) == 0
    assert fs_fcntl.sys_fcntl(task, fd, F_DUPFD_CLOEXEC, 20) == 20
    assert 20 in task.files.cloexec
    task.files.close_on_exec()
    assert errno_of(fs_open.sys_close, task, 20) == Errno.EBADF
    assert errno_of(fs_fcntl.sys_fcntl, task, fd, F_DUPFD, 1024) == Errno.EINVAL
    fs_fcntl.sys_fcntl(task, fd, F_SETFL, O_APPEND | O_NONBLOCK | O_WRONLY)
    assert fs_fcntl.sys_fcntl(task, d, F_GETFL, 0) == O_APPEND | O_NONBLOCK | O_LARGEFILE
    fs_open.sys_close(task, fd)
    assert read(task, d, 2) == b"56"                 # still open through the dup


def test_emfile_and_fork_copy(task):
    fd = open_(task, "/dir/f")
    child = task.files.copy()
    task.files.close_fd(fd)
    assert child.fdget(fd).read(2) == b"01"
    child.close_all()
    task.rlimits[RLIMIT_NOFILE] = (4, 4)
    with pytest.raises(KernelError) as err:
        for _ in range(5):
            open_(task, "/dir/f")
    assert err.value.errno == Errno.EMFILE


def test_stat_statx_readlink(task):
    st = buf(task, 144)
    fs_stat.sys_newlstat(task, s(task, "/lnk"), st)
    assert stat_mode(task, st) & 0o170000 == 0o120000
    fs_stat.sys_newfstatat(task, AT_FDCWD, s(task, "/lnk"), st, 0)
    assert stat_size(task, st) == 10
    assert errno_of(fs_stat.sys_newfstatat, task, AT_FDCWD, s(task, "/"), st, 1) == Errno.EINVAL
    fd = open_(task, "/dir/f")
    fs_stat.sys_newfstatat(task, fd, s(task, ""), st, AT_EMPTY_PATH)
    assert stat_size(task, st) == 10
    assert errno_of(fs_stat.sys_newfstatat, task, fd, s(task, ""), st, 0) == Errno.ENOENT
    sx = buf(task, 256)
    assert fs_stat.sys_statx(task, AT_FDCWD, s(task, "/dir/f"), 0, 0x7FF, sx) == 0
    mask, = struct.unpack_from("<I", task.mm.read(sx, 4))
    assert mask & 0x7FF == 0x7FF
    assert struct.unpack_from("<Q", task.mm.read(sx + 0x28, 8))[0] == 10
    assert errno_of(fs_stat.sys_statx, task, AT_FDCWD, s(task, "/"), 0, 1 << 31, sx) == Errno.EINVAL
    b = buf(task, 64)
    assert fs_stat.sys_readlink(task, s(task, "/lnk"), b, 64) == 5
    assert task.mm.read(b, 5) == b"dir/f"
    assert fs_stat.sys_readlink(task, s(task, "/lnk"), b, 3) == 3
    assert errno_of(fs_stat.sys_readlink, task, s(task, "/dir/f"), b, 64) == Errno.EINVAL
    assert errno_of(fs_stat.sys_readlink, task, s(task, "/lnk"), b, 0) == Errno.EINVAL


def test_proc_links(task):
    b = buf(task, 128)
    n = fs_stat.sys_readlink(task, s(task, "/proc/self"), b, 128)
    assert task.mm.read(b, n) == b"100"
    n = fs_stat.sys_readlink(task, s(task, "/proc/self/exe"), b, 128)
    assert task.mm.read(b, n) == b"/bin/prog"
    n = fs_stat.sys_readlink(task, s(task, "/proc/self/cwd"), b, 128)
    assert task.mm.read(b, n) == b"/dir"
    fd = open_(task, "/dir/f")
    n = fs_stat.sys_readlink(task, s(task, f"/proc/self/fd/{fd}"), b, 128)
    assert task.mm.read(b, n) == b"/dir/f"
    fd2 = open_(task, f"/proc/self/fd/{fd}")
    assert read(task, fd2) == b"0123456789"
    assert read(task, open_(task, "/proc/self/cwd/f")) == b"0123456789"
    assert read(task, open_(task, "/proc/self/comm")) == b"prog\n"
    assert read(task, open_(task, "/proc/100/stat")).startswith(b"100 (prog) R")
    assert b"Pid:\t100" in read(task, open_(task, "/proc/self/status", O_RDONLY), 1000)
    assert errno_of(open_, task, "/proc/self/status", O_WRONLY) == Errno.EACCES
    assert errno_of(open_, task, "/proc/999/stat") == Errno.ENOENT


def test_dev_files(task):
    fd = open_(task, "/dev/zero", O_RDWR)
    assert read(task, fd, 8) == bytes(8)
    fd = open_(task, "/dev/null", O_RDWR)
    assert read(task, fd) == b""
    assert write(task, fd, b"abc") == 3
    fd = open_(task, "/dev/full", O_WRONLY)
    assert errno_of(write, task, fd, b"a") == Errno.ENOSPC
    assert len(read(task, open_(task, "/dev/urandom"), 16)) == 16
    assert errno_of(fs_ioctl.sys_ioctl, task, fd, Ioctl.TCGETS, buf(task, 64)) == Errno.ENOTTY
    st = buf(task, 144)
    fs_stat.sys_newstat(task, s(task, "/dev/null"), st)
    assert stat_mode(task, st) == 0o20666


def test_ioctl_generic(task):
    fd = open_(task, "/dir/f")
    assert fs_ioctl.sys_ioctl(task, fd, Ioctl.FIOCLEX, 0) == 0
    assert fs_fcntl.sys_fcntl(task, fd, F_GETFD, 0) == 1
    assert fs_ioctl.sys_ioctl(task, fd, Ioctl.FIONCLEX, 0) == 0
    assert fs_fcntl.sys_fcntl(task, fd, F_GETFD, 0) == 0
    one = buf(task, 4)
    task.mm.write(one, b"\1\0\0\0")
    fs_ioctl.sys_ioctl(task, fd, Ioctl.FIONBIO, one)
    assert fs_fcntl.sys_fcntl(task, fd, F_GETFL, 0) & O_NONBLOCK
    assert errno_of(fs_ioctl.sys_ioctl, task, fd, Ioctl.TIOCGWINSZ, one) == Errno.ENOTTY
    assert errno_of(fs_ioctl.sys_ioctl, task, 55, Ioctl.FIOCLEX, 0) == Errno.EBADF


def test_efault(task):
    fd = open_(task, "/dir/f", O_RDWR)
    assert errno_of(fs_open.sys_openat, task, AT_FDCWD, BAD, 0, 0) == Errno.EFAULT
    assert errno_of(read_write.sys_read, task, fd, BAD, 4) == Errno.EFAULT
    assert read_write.sys_lseek(task, fd, 0, 1) == 0      # offset not consumed
    assert errno_of(read_write.sys_write, task, fd, BAD, 4) == Errno.EFAULT
    assert errno_of(fs_stat.sys_newfstat, task, fd, BAD) == Errno.EFAULT
    assert errno_of(d_path.sys_getcwd, task, BAD, 100) == Errno.EFAULT
    assert errno_of(readdir.sys_getdents64, task, open_(task, "/dir"), BAD, 100) == Errno.EFAULT
    assert errno_of(read_write.sys_readv, task, fd, BAD, 1) == Errno.EFAULT


def test_getdents_small_buffer_and_offsets(task):
    fd = open_(task, "/dir", O_RDONLY | O_DIRECTORY)
    b = buf(task, 256)
    assert errno_of(readdir.sys_getdents64, task, fd, b, 10) == Errno.EINVAL
    n = readdir.sys_getdents64(task, fd, b, 24)      # exactly one record (".")
    assert n == 24
    d_off = struct.unpack_from("<q", task.mm.read(b + 8, 8))[0]
    rest = readdir.sys_getdents64(task, fd, b, 256)
    assert rest > 0 and readdir.sys_getdents64(task, fd, b, 256) == 0
    read_write.sys_lseek(task, fd, d_off, 0)
    assert readdir.sys_getdents64(task, fd, b, 256) == rest
    assert errno_of(readdir.sys_getdents64, task, open_(task, "/dir/f"), b, 256) == Errno.ENOTDIR


def test_open_exec(task):
    f = namei.open_exec(task, AT_FDCWD, b"/bin/prog", 0)
    assert f.pread(4, 0) == b"\x7fELF" and f.size() == 8 and f.path == "/bin/prog"
    f.close()
    assert errno_of(namei.open_exec, task, AT_FDCWD, b"/noexec", 0) == Errno.EACCES
    assert errno_of(namei.open_exec, task, AT_FDCWD, b"/dir", 0) == Errno.EACCES
    assert errno_of(namei.open_exec, task, AT_FDCWD, b"/none", 0) == Errno.ENOENT
    assert errno_of(namei.open_exec, task, AT_FDCWD, b"/dir/f/x", 0) == Errno.ENOTDIR
    assert errno_of(namei.open_exec, task, AT_FDCWD, b"/loop1", 0) == Errno.ELOOP
    assert errno_of(namei.open_exec, task, AT_FDCWD, b"/bin/prog", 0x8) == Errno.EINVAL
    fd = open_(task, "/bin/prog", O_PATH)
    f = namei.open_exec(task, fd, b"", AT_EMPTY_PATH)
    assert f.pread(4, 0) == b"\x7fELF"
    f.close()


def test_access_chmod_truncate(task):
    assert fs_open.sys_access(task, s(task, "/dir/f"), 4) == 0
    assert errno_of(fs_open.sys_access, task, s(task, "/dir/f"), 8) == Errno.EINVAL
    assert errno_of(fs_open.sys_access, task, s(task, "/nope"), 0) == Errno.ENOENT
    if os.geteuid() == 0:
        assert errno_of(fs_open.sys_access, task, s(task, "/noexec"), 1) == Errno.EACCES
    assert fs_open.sys_faccessat2(task, AT_FDCWD, s(task, "/lnk"), 0, AT_SYMLINK_NOFOLLOW) == 0
    assert errno_of(fs_open.sys_faccessat2, task, AT_FDCWD, s(task, "/"), 0, 1) == Errno.EINVAL
    fd = open_(task, "/dir/f")
    assert errno_of(fs_open.sys_ftruncate, task, fd, 0) == Errno.EINVAL
    assert errno_of(fs_open.sys_truncate, task, s(task, "/dir"), 0) == Errno.EISDIR
    assert fs_open.sys_umask(task, 0o077) == 0o022
    assert fs_open.sys_umask(task, 0o022) == 0o077


def test_with_stdio_and_initial(tmp_path):
    from glasskernel.fs.fs_struct import FsStruct
    from glasskernel.fs.namespace import Vfs
    files = FilesStruct.with_stdio()
    assert sorted(files.fds) == [0, 1, 2]
    files.close_all()
    os.fstat(1)                                      # host fd still open
    vfs = Vfs.create(str(tmp_path))
    assert FsStruct.initial(vfs, "/").cwd.path == "/"
    vfs.close()
    vfs = Vfs.create(None)
    assert FsStruct.initial(vfs, str(tmp_path)).cwd.path == str(tmp_path)
    vfs.close()

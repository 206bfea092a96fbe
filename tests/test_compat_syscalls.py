"""The i386 (compat) syscall wrappers write the i386 structs.

Each test runs a wrapper with a task whose address space is a bytearray
(tests/unit/test_vfs_helpers.py) and decodes what it wrote with the layouts
``gcc -m32`` gives (tests/programs/compat_layouts.c prints every offset and size), so
the expected layouts are the compiler's, not ours. Bytes past the struct are checked to
be untouched: a wrapper that wrote the x86-64 struct would run over them.
"""
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "unit"))
from factories import release_kernel  # noqa: E402
from test_vfs_helpers import AT_FDCWD, buf, errno_of, make_task, s  # noqa: E402

from glasskernel.arch.x86.entry.common import SyscallEntry  # noqa: E402
from glasskernel.arch.x86.kernel.process import ThreadStruct  # noqa: E402
from glasskernel.arch.x86.entry.syscall_32 import _ROWS as ROWS_32  # noqa: E402
from glasskernel.arch.x86.kernel import sys_ia32  # noqa: E402
from glasskernel.fs import (fcntl as fs_fcntl, open as fs_open, pipe, read_write,  # noqa: E402
                            readdir, select_compat, stat as fs_stat, statfs)
from glasskernel.ipc import compat as ipc_compat, sem, shm  # noqa: E402
from glasskernel.kernel import sys as ksys, sys_compat, time_compat, uid16  # noqa: E402
from glasskernel.kernel.task import Cred  # noqa: E402
from glasskernel.mm.page_alloc import PhysicalMemory  # noqa: E402
from glasskernel.net import compat as net_compat  # noqa: E402
from glasskernel.uapi.errno import Errno  # noqa: E402
from glasskernel.uapi.fcntl import AT_SYMLINK_NOFOLLOW, O_CREAT, O_RDWR  # noqa: E402
from glasskernel.uapi.unistd_32 import NR, SYSCALL_NAMES  # noqa: E402

GUARD = b"\xa5" * 64


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """struct.field -> (offset, size) and sizeof struct -> size, from gcc -m32."""
    import harness
    from conftest import toolchain_problem
    reason = toolchain_problem("m32")
    if reason:
        pytest.skip(reason)
    exe = harness.build("compat_layouts", "m32")
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        words = line.split()
        if words[0] == "sizeof":
            table["sizeof " + words[1]] = int(words[2])
        elif len(words) == 3:
            table[words[0]] = (int(words[1]), int(words[2]))
        else:
            table[words[0]] = int(words[1])
    return table


@pytest.fixture
def task(tmp_path):
    root = tmp_path / "root"
    (root / "dir").mkdir(parents=True)
    (root / "dir" / "f").write_bytes(b"0123456789")
    os.symlink("dir/f", root / "lnk")
    t = make_task(root, cwd=str(root))
    t.thread = ThreadStruct(ts_compat=True)          # in a compat syscall (TS_COMPAT)
    yield t
    t.files.close_all()
    release_kernel(t.kernel)


def out_buf(task, size: int) -> int:
    """A buffer of size bytes followed by guard bytes."""
    addr = buf(task, size + len(GUARD))
    task.mm.write(addr, b"\0" * size + GUARD)
    return addr


def field(task, addr, layout, name, signed=False) -> int:
    off, size = layout[name]
    return int.from_bytes(task.mm.read(addr + off, size), "little", signed=signed)


def assert_guard(task, addr, layout, struct_name):
    size = layout["sizeof " + struct_name]
    assert task.mm.read(addr + size, len(GUARD)) == GUARD, f"wrote past struct {struct_name}"


# ----- the table ----------------------------------------------------------------------

def test_rows_are_i386_numbers_with_at_most_six_arguments():
    seen = set()
    for nr, handler, support, note, *slow in ROWS_32:
        assert int(nr) in SYSCALL_NAMES and int(nr) not in seen
        seen.add(int(nr))
        assert SyscallEntry(int(nr), SYSCALL_NAMES[int(nr)], handler, support, note).nargs <= 6
    assert NR.socketcall == 102 and NR.mmap2 == 192 and NR.clock_gettime64 == 403


# ----- stat ----------------------------------------------------------------------------

def test_stat64_layout(task, layout):
    addr = out_buf(task, 96)
    assert sys_ia32.compat_sys_ia32_stat64(task, s(task, "/dir/f"), addr) == 0
    assert_guard(task, addr, layout, "stat64")
    kst = fs_stat.vfs_fstatat(task, AT_FDCWD, s(task, "/dir/f"), 0)
    assert field(task, addr, layout, "stat64.st_size") == 10
    assert field(task, addr, layout, "stat64.st_ino") == kst.st_ino
    assert field(task, addr, layout, "stat64.__st_ino") == kst.st_ino & 0xFFFFFFFF
    assert field(task, addr, layout, "stat64.st_mode") == kst.st_mode
    assert field(task, addr, layout, "stat64.st_nlink") == kst.st_nlink
    assert field(task, addr, layout, "stat64.st_blksize") == kst.st_blksize
    assert field(task, addr, layout, "stat64.st_blocks") == kst.st_blocks
    assert field(task, addr, layout, "stat64.st_mtime") == kst.mtime[0]
    assert field(task, addr, layout, "stat64.st_mtime_nsec") == kst.mtime[1]
    assert field(task, addr, layout, "stat64.st_ctime_nsec") == kst.ctime[1]
    dev = field(task, addr, layout, "stat64.st_dev")
    assert ((dev >> 8) & 0xFFF, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)) == \
        (os.major(kst.st_dev), os.minor(kst.st_dev))


def test_lstat64_fstat64_fstatat64(task, layout):
    addr = out_buf(task, 96)
    assert sys_ia32.compat_sys_ia32_lstat64(task, s(task, "/lnk"), addr) == 0
    assert field(task, addr, layout, "stat64.st_mode") & 0o170000 == 0o120000
    assert sys_ia32.compat_sys_ia32_fstatat64(task, AT_FDCWD, s(task, "lnk"), addr, 0) == 0
    assert field(task, addr, layout, "stat64.st_size") == 10
    assert sys_ia32.compat_sys_ia32_fstatat64(task, AT_FDCWD, s(task, "lnk"), addr,
                                              AT_SYMLINK_NOFOLLOW) == 0
    assert field(task, addr, layout, "stat64.st_size") == len("dir/f")
    fd = fs_open.sys_openat(task, AT_FDCWD, s(task, "/dir/f"), 0, 0)
    addr = out_buf(task, 96)
    assert sys_ia32.compat_sys_ia32_fstat64(task, fd, addr) == 0
    assert field(task, addr, layout, "stat64.st_size") == 10
    assert_guard(task, addr, layout, "stat64")
    assert errno_of(sys_ia32.compat_sys_ia32_fstatat64, task, AT_FDCWD, s(task, "lnk"),
                    addr, 0x10000) == Errno.EINVAL


def test_compat_stat_and_its_overflows(task, layout):
    addr = out_buf(task, 64)
    kst = fs_stat.vfs_fstatat(task, AT_FDCWD, s(task, "/dir/f"), 0)
    if kst.st_ino > 0xFFFFFFFF:
        assert errno_of(fs_stat.compat_sys_newstat, task, s(task, "/dir/f"), addr) == Errno.EOVERFLOW
    else:
        assert fs_stat.compat_sys_newstat(task, s(task, "/dir/f"), addr) == 0
        assert field(task, addr, layout, "stat.st_size") == 10
        assert field(task, addr, layout, "stat.st_ino") == kst.st_ino
        assert field(task, addr, layout, "stat.st_mode") == kst.st_mode
        assert field(task, addr, layout, "stat.st_uid") == (kst.st_uid if kst.st_uid < 65536 else 65534)
        assert_guard(task, addr, layout, "stat")
    fd = fs_open.sys_openat(task, AT_FDCWD, s(task, "/big"), O_CREAT | O_RDWR, 0o644)
    assert sys_ia32.sys_ia32_ftruncate64(task, fd, 0, 1) == 0        # 4 GiB, sparse
    assert errno_of(fs_stat.compat_sys_newfstat, task, fd, addr) == Errno.EOVERFLOW
    addr = out_buf(task, 96)
    assert sys_ia32.compat_sys_ia32_fstat64(task, fd, addr) == 0
    assert field(task, addr, layout, "stat64.st_size") == 1 << 32


def test_oldstat(task, layout):
    addr = out_buf(task, 32)
    kst = fs_stat.vfs_fstatat(task, AT_FDCWD, s(task, "/dir/f"), 0)
    if kst.st_ino > 0xFFFF:
        assert errno_of(fs_stat.sys_oldstat, task, s(task, "/dir/f"), addr) == Errno.EOVERFLOW
        return
    assert fs_stat.sys_oldstat(task, s(task, "/dir/f"), addr) == 0
    assert field(task, addr, layout, "__old_kernel_stat.st_size") == 10
    assert_guard(task, addr, layout, "__old_kernel_stat")


def test_statfs_and_statfs64(task, layout):
    native = buf(task, 120)
    statfs.sys_statfs(task, s(task, "/"), native)
    ftype, bsize = struct.unpack("<qq", task.mm.read(native, 16))
    addr = out_buf(task, 84)
    assert statfs.compat_sys_statfs64(task, s(task, "/"), 84, addr) == 0
    assert_guard(task, addr, layout, "statfs64")
    assert field(task, addr, layout, "statfs64.f_type") == ftype
    assert field(task, addr, layout, "statfs64.f_bsize") == bsize
    blocks = struct.unpack_from("<q", task.mm.read(native + 16, 8))[0]
    assert field(task, addr, layout, "statfs64.f_blocks") == blocks
    assert errno_of(statfs.compat_sys_statfs64, task, s(task, "/"), 88, addr) == Errno.EINVAL
    addr = out_buf(task, 64)
    if blocks >> 32:
        assert errno_of(statfs.compat_sys_statfs, task, s(task, "/"), addr) == Errno.EOVERFLOW
    else:
        assert statfs.compat_sys_statfs(task, s(task, "/"), addr) == 0
        assert field(task, addr, layout, "statfs.f_blocks") == blocks
        assert field(task, addr, layout, "statfs.f_namelen") == 255
        assert_guard(task, addr, layout, "statfs")


# ----- directories ---------------------------------------------------------------------

def _dirents(task, addr, n, layout):
    out, off = [], 0
    name_off = layout["linux_dirent.d_name"][0]
    while off < n:
        reclen = field(task, addr + off, layout, "linux_dirent.d_reclen")
        raw = task.mm.read(addr + off, reclen)
        name = raw[name_off:].split(b"\0")[0].decode()
        out.append((name, raw[-1], field(task, addr + off, layout, "linux_dirent.d_ino")))
        assert reclen % 4 == 0
        off += reclen
    return out


def test_getdents_records(task, layout):
    fd = fs_open.sys_openat(task, AT_FDCWD, s(task, "/"), 0o200000, 0)      # O_DIRECTORY
    addr = out_buf(task, 4096)
    n = readdir.compat_sys_getdents(task, fd, addr, 4096)
    entries = _dirents(task, addr, n, layout)
    names = {e[0] for e in entries}
    assert {".", "..", "dir", "lnk"} <= names
    dtypes = {e[0]: e[1] for e in entries}
    assert dtypes["dir"] == 4 and dtypes["lnk"] == 10              # DT_DIR, DT_LNK
    assert readdir.compat_sys_getdents(task, fd, addr, 4096) == 0    # at the end
    fd2 = fs_open.sys_openat(task, AT_FDCWD, s(task, "/"), 0o200000, 0)
    assert errno_of(readdir.compat_sys_getdents, task, fd2, addr, 8) == Errno.EINVAL


# ----- read/write ----------------------------------------------------------------------

def test_readv_writev_take_compat_iovecs(task, layout):
    assert layout["sizeof iovec"] == 8
    fd = fs_open.sys_openat(task, AT_FDCWD, s(task, "/v"), O_CREAT | O_RDWR, 0o644)
    a, b = s(task, "hello "), s(task, "world")
    vec = buf(task, 16)
    task.mm.write(vec, struct.pack("<IIII", a, 6, b, 5))
    assert read_write.sys_writev(task, fd, vec, 2) == 11
    assert read_write.compat_sys_preadv(task, fd, vec, 2, 0, 0) == 11
    assert task.mm.read(a, 6) + task.mm.read(b, 5) == b"hello world"
    task.mm.write(vec, struct.pack("<II", a, 0x80000000))
    assert errno_of(read_write.sys_readv, task, fd, vec, 1) == Errno.EINVAL


def test_two_register_offsets_and_llseek(task):
    fd = fs_open.sys_openat(task, AT_FDCWD, s(task, "/p"), O_CREAT | O_RDWR, 0o644)
    data = s(task, "xyz")
    assert sys_ia32.sys_ia32_pwrite64(task, fd, data, 3, 0x10, 1) == 3     # at 4 GiB + 16
    res = buf(task, 8)
    assert sys_ia32.sys_llseek(task, fd, 0, 0, res, 2) == 0                # SEEK_END
    assert struct.unpack("<q", task.mm.read(res, 8))[0] == (1 << 32) + 0x13
    out = buf(task, 3)
    assert sys_ia32.sys_ia32_pread64(task, fd, out, 3, 0x10, 1) == 3
    assert task.mm.read(out, 3) == b"xyz"
    assert errno_of(sys_ia32.sys_ia32_pread64, task, fd, out, 3, 0, 0x80000000) == Errno.EINVAL
    assert read_write.compat_sys_lseek(task, fd, 0xFFFFFFFF, 2) == (1 << 32) + 0x12
    assert errno_of(sys_ia32.sys_llseek, task, fd, 0xFFFFFFFF, 0xFFFFFFFF, res, 0) == Errno.EINVAL


def test_sendfile_compat_off_t(task):
    src = fs_open.sys_openat(task, AT_FDCWD, s(task, "/dir/f"), 0, 0)
    dst = fs_open.sys_openat(task, AT_FDCWD, s(task, "/o"), O_CREAT | O_RDWR, 0o644)
    off = buf(task, 8)
    task.mm.write(off, struct.pack("<iI", 4, 0xA5A5A5A5))
    assert read_write.compat_sys_sendfile(task, dst, src, off, 100) == 6
    assert task.mm.read(off, 8) == struct.pack("<iI", 10, 0xA5A5A5A5)      # 4 bytes written


# ----- fcntl64 -------------------------------------------------------------------------

def test_fcntl64_lock_structs(task, layout):
    fd = fs_open.sys_openat(task, AT_FDCWD, s(task, "/dir/f"), O_RDWR, 0)
    fl = out_buf(task, 16)
    task.mm.write(fl, struct.pack("<hhiii", 1, 0, 2, 3, 0))                # F_WRLCK 2..4
    assert fs_fcntl.compat_sys_fcntl64(task, fd, 6, fl) == 0               # F_SETLK
    fl64 = out_buf(task, 24)
    task.mm.write(fl64, struct.pack("<hhqqi", 0, 0, 0, 0, 0))
    assert fs_fcntl.compat_sys_fcntl64(task, fd, 12, fl64) == 0            # F_GETLK64
    assert field(task, fl64, layout, "flock64.l_type") == 2                # own lock: F_UNLCK
    assert_guard(task, fl64, layout, "flock64")
    assert errno_of(fs_fcntl.compat_sys_fcntl, task, fd, 12, fl64) == Errno.EINVAL
    assert fs_fcntl.compat_sys_fcntl64(task, fd, 1, 0) == 0                # F_GETFD


# ----- select --------------------------------------------------------------------------

def test_select_uses_32_bit_fd_set_words_and_timeval(task, layout):
    fds = buf(task, 8)
    pipe.sys_pipe(task, fds)
    rfd, wfd = struct.unpack("<ii", task.mm.read(fds, 8))
    task.mm.write(s(task, "x"), b"x")
    read_write.sys_write(task, wfd, s(task, "x"), 1)
    inp = out_buf(task, 4)
    task.mm.write(inp, struct.pack("<I", 1 << rfd))
    tv = out_buf(task, 8)
    task.mm.write(tv, struct.pack("<ii", 5, 0))
    n = max(rfd, wfd) + 1
    assert select_compat.compat_sys_select(task, n, inp, 0, 0, tv) == 1
    assert task.mm.read(inp, 4 + len(GUARD)) == struct.pack("<I", 1 << rfd) + GUARD
    assert_guard(task, tv, layout, "timeval")
    sec, usec = struct.unpack("<ii", task.mm.read(tv, 8))
    assert 0 <= sec <= 5 and 0 <= usec < 10**6
    arg = buf(task, 20)
    task.mm.write(arg, struct.pack("<5I", n, inp, 0, 0, 0))
    assert select_compat.compat_sys_old_select(task, arg) == 1


# ----- kernel/sys.c ---------------------------------------------------------------------

def test_rlimits(task, layout):
    r = out_buf(task, 8)
    ksys.do_prlimit(task, task, 1, (1 << 40, ksys.RLIM_INFINITY))           # RLIMIT_FSIZE
    assert sys_compat.compat_sys_getrlimit(task, 1, r) == 0
    assert_guard(task, r, layout, "rlimit")
    assert struct.unpack("<II", task.mm.read(r, 8)) == (0xFFFFFFFF, 0xFFFFFFFF)
    assert sys_compat.compat_sys_old_getrlimit(task, 1, r) == 0
    assert struct.unpack("<II", task.mm.read(r, 8)) == (0x7FFFFFFF, 0x7FFFFFFF)
    task.mm.write(r, struct.pack("<II", 4096, 0xFFFFFFFF))
    assert sys_compat.compat_sys_setrlimit(task, 1, r) == 0
    assert ksys.do_prlimit(task, task, 1, None) == (4096, ksys.RLIM_INFINITY)
    assert errno_of(sys_compat.compat_sys_old_getrlimit, task, 99, r) == Errno.EINVAL


def test_old_unames(task, layout):
    native = buf(task, 390)
    ksys.sys_uname(task, native)
    fields = [task.mm.read(native + 65 * i, 65).split(b"\0")[0] for i in range(5)]
    old = out_buf(task, 325)
    assert sys_compat.sys_olduname(task, old) == 0
    assert_guard(task, old, layout, "old_utsname")
    off = layout["old_utsname.release"][0]
    assert task.mm.read(old + off, 65).split(b"\0")[0] == fields[2]
    oldold = out_buf(task, 45)
    assert sys_compat.sys_oldolduname(task, oldold) == 0
    assert_guard(task, oldold, layout, "oldold_utsname")
    off = layout["oldold_utsname.machine"][0]
    assert task.mm.read(oldold + off, 9) == fields[4][:8].ljust(9, b"\0")
    assert errno_of(sys_compat.sys_olduname, task, 0) == Errno.EFAULT


def test_sysinfo_scales_memory_into_32_bits(task, layout):
    addr = out_buf(task, 64)
    assert sys_compat.compat_sys_sysinfo(task, addr) == 0
    assert_guard(task, addr, layout, "sysinfo")
    unit = field(task, addr, layout, "sysinfo.mem_unit")
    total = field(task, addr, layout, "sysinfo.totalram")
    native_total = ksys.sysinfo_values(task)[4]
    assert total * unit <= native_total < (total + 1) * unit


def test_uid16(task):
    task.cred = Cred(70000, 1001, 70000, 1003, ())
    assert uid16.sys_getuid16(task) == 65534
    assert uid16.sys_getgid16(task) == 1001
    assert uid16.low2highuid(0xFFFF) == 0xFFFFFFFF


# ----- time ----------------------------------------------------------------------------

def test_time32_calls(task, layout):
    import time
    ts = out_buf(task, 8)
    assert time_compat.sys_clock_gettime32(task, 0, ts) == 0
    assert_guard(task, ts, layout, "timespec")
    sec, nsec = struct.unpack("<ii", task.mm.read(ts, 8))
    assert abs(sec - time.time()) < 60 and 0 <= nsec < 10**9
    tv = out_buf(task, 8)
    assert time_compat.compat_sys_gettimeofday(task, tv, 0) == 0
    assert_guard(task, tv, layout, "timeval")
    task.mm.write(ts, struct.pack("<ii", 0, 10**9))
    assert errno_of(time_compat.sys_nanosleep_time32, task, ts, 0) == Errno.EINVAL
    task.mm.write(ts, struct.pack("<ii", 0, 0))
    task.kernel.clock_ns = time.monotonic_ns          # the hrtimer clock a sleep is timed on
    assert time_compat.sys_nanosleep_time32(task, ts, 0) == 0
    t = out_buf(task, 4)
    assert time_compat.sys_time32(task, t) == struct.unpack("<I", task.mm.read(t, 4))[0]
    assert task.mm.read(t + 4, len(GUARD)) == GUARD


# ----- sockets -------------------------------------------------------------------------

def _socketcall(task, call, *args):
    a = buf(task, 4 * len(args))
    task.mm.write(a, struct.pack(f"<{len(args)}I", *args))
    return net_compat.compat_sys_socketcall(task, call, a)


def test_socketcall_and_compat_scm_rights(task, layout):
    task.kernel.in_fast_syscall = False               # as on the slow path socketcall takes
    sv = buf(task, 8)
    assert _socketcall(task, 8, 1, 1, 0, sv) == 0                     # socketpair(AF_UNIX, STREAM)
    s0, s1 = struct.unpack("<ii", task.mm.read(sv, 8))
    payload = s(task, "hi")
    iov = buf(task, 8)
    task.mm.write(iov, struct.pack("<II", payload, 2))
    cmsg_len = layout["CMSG_LEN(4)"]
    ctl = buf(task, layout["CMSG_SPACE(4)"])
    task.mm.write(ctl, struct.pack("<Iiii", cmsg_len, 1, 1, s0))      # SOL_SOCKET, SCM_RIGHTS
    msg = buf(task, 28)
    task.mm.write(msg, struct.pack("<IiIIIII", 0, 0, iov, 1, ctl, layout["CMSG_SPACE(4)"], 0))
    assert _socketcall(task, 16, s0, msg, 0) == 2                      # SYS_SENDMSG
    rbuf, rctl = buf(task, 8), out_buf(task, 16)
    task.mm.write(iov, struct.pack("<II", rbuf, 8))
    task.mm.write(msg, struct.pack("<IiIIIII", 0, 0, iov, 1, rctl, 16, 0))
    assert _socketcall(task, 17, s1, msg, 0) == 2                      # SYS_RECVMSG
    assert task.mm.read(rbuf, 2) == b"hi"
    assert task.mm.read(rctl + 16, len(GUARD)) == GUARD
    length, level, type_, newfd = struct.unpack("<Iiii", task.mm.read(rctl, 16))
    assert (length, level, type_) == (cmsg_len, 1, 1) and newfd > s1
    off, _ = layout["msghdr.msg_controllen"]
    assert struct.unpack("<I", task.mm.read(msg + off, 4))[0] == layout["CMSG_SPACE(4)"]
    assert errno_of(_socketcall, task, 21, 0) == Errno.EINVAL
    task.mm.write(ctl, struct.pack("<Iiii", 8, 1, 1, s0))               # cmsg_len too short
    task.mm.write(iov, struct.pack("<II", payload, 2))
    task.mm.write(msg, struct.pack("<IiIIIII", 0, 0, iov, 1, ctl, 16, 0))
    assert errno_of(_socketcall, task, 16, s0, msg, 0) == Errno.EINVAL


# ----- System V IPC ---------------------------------------------------------------------

def test_ipc_multiplexer_messages_have_4_byte_types(task):
    from glasskernel.ipc.namespace import ipc_ns_of
    try:
        ipc_ns_of(task)
    except Exception:                  # the fake kernel has no IPC namespace
        pytest.skip("no IPC namespace on the fake task")
    qid = ipc_compat.compat_sys_ipc(task, 13, 0, 0o1600, 0, 0, 0)         # MSGGET IPC_PRIVATE
    m = buf(task, 8)
    task.mm.write(m, struct.pack("<i", 7) + b"abcd")
    assert ipc_compat.compat_sys_ipc(task, 11, qid, 4, 0, m, 0) == 0      # MSGSND
    out = out_buf(task, 8)
    kludge = buf(task, 8)
    task.mm.write(kludge, struct.pack("<Ii", out, 0))
    assert ipc_compat.compat_sys_ipc(task, 12, qid, 4, 0, kludge, 0) == 4  # MSGRCV, version 0
    assert task.mm.read(out, 8) == struct.pack("<i", 7) + b"abcd"
    assert errno_of(ipc_compat.compat_sys_ipc, task, 99, 0, 0, 0, 0, 0) == Errno.ENOSYS


def test_ipc_ctl_structs_are_the_i386_ipc64_ones(task, layout):
    qid = ipc_compat.compat_sys_ipc(task, 13, 0, 0o1640, 0, 0, 0)
    m = buf(task, 8)
    task.mm.write(m, struct.pack("<i", 3) + b"xyz!")
    ipc_compat.compat_sys_msgsnd(task, qid, m, 4, 0)
    ds = out_buf(task, 88)
    assert ipc_compat.compat_sys_msgctl(task, qid, 2, ds) == 0               # IPC_STAT
    assert_guard(task, ds, layout, "msqid64_ds")
    assert field(task, ds, layout, "ipc64_perm.mode") == 0o640
    assert field(task, ds, layout, "msqid64_ds.msg_qnum") == 1
    assert field(task, ds, layout, "msqid64_ds.msg_cbytes") == 4
    assert field(task, ds, layout, "msqid64_ds.msg_lspid") == task.tgid
    qbytes = field(task, ds, layout, "msqid64_ds.msg_qbytes")
    off = layout["msqid64_ds.msg_qbytes"][0]
    task.mm.write(ds + off, struct.pack("<I", qbytes // 2))
    task.mm.write(ds + layout["ipc64_perm.mode"][0], struct.pack("<H", 0o600))
    assert errno_of(ipc_compat.compat_sys_msgctl, task, qid, 1 | 0x100, ds) == Errno.EINVAL
    assert ipc_compat.compat_sys_msgctl(task, qid, 1, ds) == 0               # IPC_SET
    assert ipc_compat.compat_sys_msgctl(task, qid, 2 | 0x100, ds) == qid     # (Linux's quirk)
    assert field(task, ds, layout, "msqid64_ds.msg_qbytes") == qbytes // 2
    assert field(task, ds, layout, "ipc64_perm.mode") == 0o600
    assert errno_of(ipc_compat.compat_sys_ipc, task, 14, qid, 2, 0, ds, 0) == Errno.EINVAL  # old
    assert ipc_compat.compat_sys_ipc(task, 14, qid, 2 | 0x100, 0, ds, 0) == 0
    task.mm.phys = PhysicalMemory(4 << 30)                  # shmget's accounting looks at RAM
    shmid = shm.sys_shmget(task, 0, 8192, 0o1600)
    ds = out_buf(task, 84)
    assert ipc_compat.compat_sys_shmctl(task, shmid, 2, ds) == 0
    assert_guard(task, ds, layout, "shmid64_ds")
    assert field(task, ds, layout, "shmid64_ds.shm_segsz") == 8192
    assert field(task, ds, layout, "shmid64_ds.shm_cpid") == task.tgid
    info = out_buf(task, 36)
    assert ipc_compat.compat_sys_shmctl(task, 0, 3, info) >= 0               # IPC_INFO
    assert_guard(task, info, layout, "shminfo64")
    assert field(task, info, layout, "shminfo64.shmmni") > 0
    semid = sem.sys_semget(task, 0, 3, 0o1600)
    ds = out_buf(task, 64)
    assert ipc_compat.compat_sys_semctl(task, semid, 0, 2, ds) == 0
    assert_guard(task, ds, layout, "semid64_ds")
    assert field(task, ds, layout, "semid64_ds.sem_nsems") == 3


# ----- differential: i386 programs natively and under glasskernel ------------------------

@pytest.mark.timeout(300)
@pytest.mark.parametrize("program", ["compat_files", "compat_misc", "mremap_fixed"])
def test_i386_programs_match_native(build, program):
    """The calls above by number from a gcc -m32 program: the same output as natively."""
    from harness import differential
    native, _ = differential([build(program, "m32")])
    assert b"-38" not in native[0].replace(b"ipc bad call -38", b"")    # no ENOSYS natively

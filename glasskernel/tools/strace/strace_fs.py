"""Decoders for file and I/O syscalls in the strace-format log.

Mirrors strace's src/io.c, open.c, stat.c, statx.c, access.c, dirent64.c, readlink.c,
fcntl.c, dup.c, umask.c, chdir.c, mkdir.c, unlink.c, rename.c, link.c and pipe.c. Each
``dec_NAME(call)`` returns the text between the parentheses, or (args, return text) when
the return value has its own format.
"""
import struct

from glasskernel.tools.strace.strace_structs import (
    fmt_flock, fmt_int_list, fmt_stat, fmt_statx)
from glasskernel.tools.strace.strace_util import (
    MAX_ARRAY, Call, flag_names, fmt_addr, fmt_buffer, fmt_dirfd, fmt_flags, fmt_hex, fmt_oct,
    fmt_path, fmt_xval, read_struct, table_of)
from glasskernel.uapi.errno import KernelError
from glasskernel.uapi.fcntl import (
    FD_CLOEXEC, AccessMode, AtFlag, FcntlCmd, LockType, OpenFlag, RenameFlag, SealFlag, Seek,
    __O_TMPFILE)
from glasskernel.uapi.stat import StatxMask

# Flag tables in strace's printing order (src/xlat/*.in), which is not always numeric.
OPEN_FLAGS = table_of(OpenFlag, "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND",
                      "O_NONBLOCK", "O_SYNC", "O_DSYNC", "O_DIRECT", "O_LARGEFILE",
                      "O_NOFOLLOW", "O_NOATIME", "O_CLOEXEC", "O_PATH", "O_TMPFILE") + (
    (__O_TMPFILE, "__O_TMPFILE"), (int(OpenFlag.O_DIRECTORY), "O_DIRECTORY"),
    (int(OpenFlag.FASYNC), "FASYNC"))
_ACCMODES = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR", 3: "O_ACCMODE"}
AT_FLAGS = table_of(AtFlag, "AT_SYMLINK_NOFOLLOW", "AT_REMOVEDIR", "AT_SYMLINK_FOLLOW",
                    "AT_NO_AUTOMOUNT", "AT_EMPTY_PATH", "AT_RECURSIVE")
FACCESSAT_FLAGS = table_of(AtFlag, "AT_SYMLINK_NOFOLLOW", "AT_EACCESS", "AT_EMPTY_PATH")
STATX_SYNC = {0: "AT_STATX_SYNC_AS_STAT", 0x2000: "AT_STATX_FORCE_SYNC",
              0x4000: "AT_STATX_DONT_SYNC", 0x6000: "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC"}
ACCESS_MODES = table_of(AccessMode, "R_OK", "W_OK", "X_OK")
RENAME_FLAGS = table_of(RenameFlag, "RENAME_NOREPLACE", "RENAME_EXCHANGE", "RENAME_WHITEOUT")
SEAL_FLAGS = tuple((int(m), m.name) for m in SealFlag)
_SEEKS = {int(s): s.name for s in Seek}
_FCNTL_CMDS = {int(c): c.name for c in FcntlCmd}
_FD_FLAGS = ((FD_CLOEXEC, "FD_CLOEXEC"),)
_LOCK_TYPES = {int(t): t.name for t in LockType}
_IOVEC = struct.Struct("<QQ")
_CREATES = int(OpenFlag.O_CREAT) | __O_TMPFILE


def fmt_open_flags(flags: int) -> str:
    """open(2) flags: the access mode name first, then the flags (sprint_open_modes)."""
    flags &= 0xFFFFFFFF
    names, rest = flag_names(flags & ~3, OPEN_FLAGS)
    if rest:
        names.append(f"{rest:#x}")
    return "|".join([_ACCMODES[flags & 3]] + names)


def fmt_fd_open_flags(flags: int) -> str:
    """Flags of pipe2/dup3 (no access mode): O_CLOEXEC, 0 when none."""
    return fmt_flags(flags & 0xFFFFFFFF, OPEN_FLAGS, "O_???")


def _dirfd_path(c: Call, i: int = 0) -> str:
    """The (dirfd, pathname) pair the *at() calls take at arguments i and i+1."""
    return f"{fmt_dirfd(c.arg(i))}, {fmt_path(c.mem, c.arg(i + 1))}"


def _at(c: Call, decode) -> str:
    """An *at() call printed as its dirfd, then the plain call's decoder on the rest."""
    return f"{fmt_dirfd(c.arg(0))}, {decode(Call(c.name, c.args[1:], c.ret, c.mem))}"


def _with_mode(text: str, flags: int, mode: int) -> str:
    """open/openat take a mode only when they may create a file."""
    return f"{text}, {fmt_oct(mode)}" if flags & _CREATES else text


# --- read/write family -------------------------------------------------------------

def dec_read(c: Call) -> str:
    buf = fmt_addr(c.arg(1)) if c.failed else fmt_buffer(c.mem, c.arg(1), c.ret)
    return f"{c.int_arg(0)}, {buf}, {c.arg(2)}"


def dec_write(c: Call) -> str:
    return f"{c.int_arg(0)}, {fmt_buffer(c.mem, c.arg(1), c.arg(2))}, {c.arg(2)}"


def dec_pread64(c: Call) -> str:
    return f"{dec_read(c)}, {c.long_arg(3)}"


def dec_pwrite64(c: Call) -> str:
    return f"{dec_write(c)}, {c.long_arg(3)}"


def fmt_iovec(c: Call, addr: int, count: int, data_limit) -> str:
    """tprint_iov(): [{iov_base="..", iov_len=n}, ...], data cut at data_limit bytes overall."""
    if not addr:
        return "NULL"
    items = []
    for i in range(min(count, MAX_ARRAY)):
        entry = read_struct(c.mem, addr + 16 * i, _IOVEC)
        if entry is None:
            if not items:
                return fmt_hex(addr)
            items.append(f"... /* {fmt_hex(addr + 16 * i)} */")
            return "[" + ", ".join(items) + "]"
        base, length = entry
        shown = length if data_limit is None else max(0, min(length, data_limit))
        if data_limit is not None:
            data_limit -= shown
        items.append(f"{{iov_base={fmt_buffer(c.mem, base, shown)}, iov_len={length}}}")
    if count > MAX_ARRAY:
        items.append("...")
    return "[" + ", ".join(items) + "]"


def dec_readv(c: Call) -> str:
    iov = fmt_addr(c.arg(1)) if c.failed else fmt_iovec(c, c.arg(1), c.int_arg(2), c.ret)
    return f"{c.int_arg(0)}, {iov}, {c.int_arg(2)}"


def dec_writev(c: Call) -> str:
    return f"{c.int_arg(0)}, {fmt_iovec(c, c.arg(1), c.int_arg(2), None)}, {c.int_arg(2)}"


def dec_lseek(c: Call) -> str:
    whence = fmt_xval(c.uint_arg(2), _SEEKS, "SEEK_???")
    return f"{c.int_arg(0)}, {c.long_arg(1)}, {whence}"


# --- open/close/stat -------------------------------------------------------------------

def dec_open(c: Call) -> str:
    text = f"{fmt_path(c.mem, c.arg(0))}, {fmt_open_flags(c.arg(1))}"
    return _with_mode(text, c.arg(1), c.arg(2))


def dec_openat(c: Call) -> str:
    return _at(c, dec_open)


def dec_fd(c: Call) -> str:
    """Calls whose only argument is a descriptor: close, fchdir, dup."""
    return str(c.int_arg(0))


def _statbuf(c: Call, addr: int) -> str:
    return fmt_addr(addr) if c.failed else fmt_stat(c.mem, addr)


def dec_stat(c: Call) -> str:
    """stat and lstat(path, statbuf)."""
    return f"{fmt_path(c.mem, c.arg(0))}, {_statbuf(c, c.arg(1))}"


def dec_fstat(c: Call) -> str:
    return f"{c.int_arg(0)}, {_statbuf(c, c.arg(1))}"


def dec_newfstatat(c: Call) -> str:
    flags = fmt_flags(c.uint_arg(3), AT_FLAGS, "AT_???")
    return f"{_at(c, dec_stat)}, {flags}"


def dec_statx(c: Call) -> str:
    flags = c.uint_arg(2)
    sync = STATX_SYNC[flags & AtFlag.AT_STATX_SYNC_TYPE]
    rest = fmt_flags(flags & ~int(AtFlag.AT_STATX_SYNC_TYPE), AT_FLAGS, "AT_???", zero="")
    mask = fmt_flags(c.uint_arg(3), _STATX_MASKS, "STATX_???")
    buf = fmt_addr(c.arg(4)) if c.failed else fmt_statx(c.mem, c.arg(4))
    return f"{_dirfd_path(c)}, {sync + '|' + rest if rest else sync}, {mask}, {buf}"


_STATX_MASKS = ((int(StatxMask.STATX_ALL), "STATX_ALL"),
                (int(StatxMask.STATX_BASIC_STATS), "STATX_BASIC_STATS")) + tuple(
    (int(m), m.name) for m in StatxMask if m.name not in ("STATX_ALL", "STATX_BASIC_STATS"))


def dec_access(c: Call) -> str:
    return f"{fmt_path(c.mem, c.arg(0))}, {_access_mode(c.arg(1))}"


def _access_mode(mode: int) -> str:
    return fmt_flags(mode & 0xFFFFFFFF, ACCESS_MODES, "?_OK", zero="F_OK")


def dec_faccessat(c: Call) -> str:
    return _at(c, dec_access)


def dec_faccessat2(c: Call) -> str:
    flags = fmt_flags(c.uint_arg(3), FACCESSAT_FLAGS, "AT_???")
    return f"{dec_faccessat(c)}, {flags}"


# --- directories and links -------------------------------------------------------------

def dec_getdents64(c: Call) -> str:
    """getdents64(fd, dirp /* N entries */, count): entries counted, not listed."""
    if c.failed:
        return f"{c.int_arg(0)}, {fmt_hex(c.arg(1))}, {c.arg(2)}"
    return f"{c.int_arg(0)}, {fmt_hex(c.arg(1))} /* {_count_dirents(c)} entries */, {c.arg(2)}"


def _count_dirents(c: Call) -> int:
    """Walk linux_dirent64 records by d_reclen (offset 16) through the returned bytes."""
    try:
        data = c.mem.read(c.arg(1), c.ret) if c.ret > 0 else b""
    except KernelError:
        return 0
    count, offset = 0, 0
    while offset + 19 <= len(data):
        reclen = int.from_bytes(data[offset + 16:offset + 18], "little")
        if reclen == 0:
            break
        count, offset = count + 1, offset + reclen
    return count


def _link_buf(c: Call, addr: int) -> str:
    return fmt_addr(addr) if c.failed else fmt_buffer(c.mem, addr, c.ret)


def dec_readlink(c: Call) -> str:
    return f"{fmt_path(c.mem, c.arg(0))}, {_link_buf(c, c.arg(1))}, {c.arg(2)}"


def dec_readlinkat(c: Call) -> str:
    return _at(c, dec_readlink)


def dec_getcwd(c: Call) -> str:
    """getcwd(buf, size): the result includes its NUL, so show ret-1 bytes."""
    if c.failed or c.ret <= 0:
        return f"{fmt_addr(c.arg(0))}, {c.arg(1)}"
    return f"{fmt_buffer(c.mem, c.arg(0), c.ret - 1, limit=4096)}, {c.arg(1)}"


def dec_path(c: Call) -> str:
    """Calls whose only argument is a path: chdir, rmdir, unlink."""
    return fmt_path(c.mem, c.arg(0))


def dec_mkdir(c: Call) -> str:
    return f"{fmt_path(c.mem, c.arg(0))}, {fmt_oct(c.uint_arg(1))}"


def dec_mkdirat(c: Call) -> str:
    return _at(c, dec_mkdir)


def dec_unlinkat(c: Call) -> str:
    flags = fmt_flags(c.uint_arg(2), AT_FLAGS, "AT_???")
    return f"{_dirfd_path(c)}, {flags}"


def dec_two_paths(c: Call) -> str:
    """rename and symlink: two path arguments."""
    return f"{fmt_path(c.mem, c.arg(0))}, {fmt_path(c.mem, c.arg(1))}"


def dec_renameat(c: Call) -> str:
    return f"{_dirfd_path(c, 0)}, {_dirfd_path(c, 2)}"


def dec_renameat2(c: Call) -> str:
    flags = fmt_flags(c.uint_arg(4), RENAME_FLAGS, "RENAME_???")
    return f"{dec_renameat(c)}, {flags}"


def dec_umask(c: Call):
    return fmt_oct(c.uint_arg(0)), fmt_oct(c.ret)


# --- descriptors -------------------------------------------------------------------------

def dec_dup2(c: Call) -> str:
    return f"{c.int_arg(0)}, {c.int_arg(1)}"


def dec_dup3(c: Call) -> str:
    return f"{dec_dup2(c)}, {fmt_fd_open_flags(c.arg(2))}"


def dec_pipe2(c: Call) -> str:
    fds = fmt_addr(c.arg(0)) if c.failed else fmt_int_list(c.mem, c.arg(0), 2)
    return f"{fds}, {fmt_fd_open_flags(c.arg(1))}"


def dec_fcntl(c: Call):
    """fcntl(fd, cmd[, arg]): the argument and result decoded per command."""
    cmd = c.uint_arg(1)
    head = f"{c.int_arg(0)}, {fmt_xval(cmd, _FCNTL_CMDS, 'F_???')}"
    if cmd not in _FCNTL_CMDS:
        return f"{head}, {fmt_hex(c.arg(2))}"
    arg = _fcntl_arg(c, FcntlCmd(cmd))
    text = head if arg is None else f"{head}, {arg}"
    return text, _fcntl_ret(c, FcntlCmd(cmd))


def _fcntl_arg(c: Call, cmd: FcntlCmd):
    """The third argument's text, None for the 'get' commands that take none."""
    arg = c.arg(2)
    if cmd == FcntlCmd.F_SETFD:
        return fmt_flags(arg & 0xFFFFFFFF, _FD_FLAGS, "FD_???")
    if cmd == FcntlCmd.F_SETFL:
        return fmt_open_flags(arg)
    if cmd in (FcntlCmd.F_GETLK, FcntlCmd.F_OFD_GETLK):
        return fmt_addr(arg) if c.failed else fmt_flock(c.mem, arg)
    if cmd in (FcntlCmd.F_SETLK, FcntlCmd.F_SETLKW, FcntlCmd.F_OFD_SETLK,
               FcntlCmd.F_OFD_SETLKW):
        return fmt_flock(c.mem, arg)
    if cmd in (FcntlCmd.F_SETLEASE,):
        return fmt_xval(arg & 0xFFFFFFFF, _LOCK_TYPES, "F_???")
    if cmd == FcntlCmd.F_NOTIFY:
        from glasskernel.tools.strace.strace_notify import fmt_dnotify
        return fmt_dnotify(arg)
    if cmd == FcntlCmd.F_ADD_SEALS:
        return fmt_flags(arg & 0xFFFFFFFF, SEAL_FLAGS, "F_SEAL_???")
    if cmd.name.startswith("F_GET") and cmd not in (FcntlCmd.F_GETOWN_EX,):
        return None
    if cmd in (FcntlCmd.F_GETOWN_EX, FcntlCmd.F_SETOWN_EX, FcntlCmd.F_GETOWNER_UIDS):
        return fmt_addr(arg)
    return str(c.int_arg(2))


def _fcntl_ret(c: Call, cmd: FcntlCmd):
    """F_GETFD/F_GETFL/F_GETLEASE/F_GET_SEALS print the result as flags."""
    if c.failed:
        return None
    if cmd == FcntlCmd.F_GETFL:
        return f"{fmt_hex(c.ret)} (flags {fmt_open_flags(c.ret)})"
    if cmd == FcntlCmd.F_GETFD:
        return _flags_ret(c.ret, _FD_FLAGS)
    if cmd == FcntlCmd.F_GET_SEALS:
        return _flags_ret(c.ret, SEAL_FLAGS)
    if cmd == FcntlCmd.F_GETLEASE:
        return fmt_xval(c.ret, _LOCK_TYPES, "F_???")
    return None


def _flags_ret(value: int, table) -> str:
    """RVAL_HEX|RVAL_STR: 0x1 (flags FD_CLOEXEC), or 0 alone."""
    if not value:
        return "0"
    return f"{fmt_hex(value)} (flags {fmt_flags(value, table, '???')})"


def dec_fchdir(c: Call) -> str:
    return dec_fd(c)


"""read, write, their vector and positional forms, and lseek (fs/read_write.c).

Data moves through ``glasskernel.mm.uaccess`` only. Counts are clamped to MAX_RW_COUNT as
rw_verify_area does; a fault while copying out reports EFAULT and, for a seekable file,
leaves the offset where it was.
"""
import struct

from glasskernel.fs.internal import fd_arg, long_arg
from glasskernel.fs.notify import fsnotify
from glasskernel.kernel.compat import compat_iovec_pairs, compat_long, in_compat_syscall
from glasskernel.kernel.sched.park import ERESTART_PARK
from glasskernel.kernel.sched.wait import SlowPathRequired
from glasskernel.mm.filemap import generic_write_check_limits
from glasskernel.mm.uaccess import USER_HALF_END, check_user_ptr, copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_APPEND, SEEK_HOLE
from glasskernel.uapi.uio import UIO_MAXIOV

MAX_RW_COUNT = 0x7FFFF000         # INT_MAX & PAGE_MASK (include/linux/fs.h)
MAX_NON_LFS = 0x7FFFFFFF
_IOVEC = struct.Struct("<QQ")
_LOFF_T = struct.Struct("<q")
_COMPAT_OFF_T = struct.Struct("<i")


def _copy_out(task, file, buf: int, data: bytes, rewind_to: int | None) -> int:
    """Copy read data to the user; on EFAULT undo the offset move for seekable files."""
    try:
        copy_to_user(task, buf, data)
    except KernelError:
        if rewind_to is not None:
            file.pos = rewind_to
        raise
    return len(data)


def sys_read(task, fd, buf, count) -> int:
    """ksys_read: read up to count bytes at the file position. (ksys_read and ksys_write
    write out File.check_read/check_write and check_user_ptr: every read and write comes
    this way, and the calls were ~4% of a pipe round trip's instructions.)"""
    file = task.files.fdget(fd)                   # (fdget casts the register itself)
    if not file.readable:                         # FMODE_READ (File.check_read)
        raise KernelError(Errno.EBADF)
    if buf >= USER_HALF_END:                      # access_ok (check_user_ptr)
        raise KernelError(Errno.EFAULT)
    count = count if count < MAX_RW_COUNT else MAX_RW_COUNT
    if file.seekable:                             # _copy_out rewinds the offset on EFAULT
        start = file.pos
        n = _copy_out(task, file, buf, file.read(count), start)
        if fsnotify.nr_marks and n:
            fsnotify.fsnotify_file(file, fsnotify.FS_ACCESS)
        return n
    data = file.read(count)
    if data is None:                              # it must wait, and may park
        return ERESTART_PARK
    try:
        copy_to_user(task, buf, data)
    except KernelError:
        file.unread(data)                         # a pipe keeps what it could not copy
        raise
    if fsnotify.nr_marks and data:
        fsnotify.fsnotify_file(file, fsnotify.FS_ACCESS)
    return len(data)


def sys_write(task, fd, buf, count) -> int:
    """ksys_write: the user's bytes are fetched first (EFAULT before any effect)."""
    file = task.files.fdget(fd)
    if not file.writable:                         # FMODE_WRITE (File.check_write)
        raise KernelError(Errno.EBADF)
    count = count if count < MAX_RW_COUNT else MAX_RW_COUNT
    if file.is_regular:                           # RLIMIT_FSIZE (generic_write_checks)
        count = generic_write_check_limits(task, file, None, count)
    n = file.write(copy_from_user(task, buf, count))
    if fsnotify.nr_marks and n:
        fsnotify.fsnotify_file(file, fsnotify.FS_MODIFY)
    return n


def _positioned_file(task, fd, pos):
    """(file, offset) for the p* calls: EBADF for a bad fd first, then EINVAL if pos < 0."""
    pos = long_arg(pos)
    file = task.files.fdget(fd_arg(fd))
    if pos < 0:
        raise KernelError(Errno.EINVAL)
    return file, pos


def sys_pread64(task, fd, buf, count, pos) -> int:
    """ksys_pread64: EINVAL for a negative offset, ESPIPE if unseekable."""
    file, pos = _positioned_file(task, fd, pos)
    file.check_read()
    check_user_ptr(buf)
    data = file.pread(min(count, MAX_RW_COUNT), pos)
    return _notified(file, _copy_out(task, file, buf, data, None), fsnotify.FS_ACCESS)


def _notified(file, n: int, mask: int) -> int:
    """fsnotify_access/fsnotify_modify after a transfer that moved bytes."""
    if fsnotify.nr_marks and n:
        fsnotify.fsnotify_file(file, mask)
    return n


def sys_pwrite64(task, fd, buf, count, pos) -> int:
    file, pos = _positioned_file(task, fd, pos)
    file.check_write()
    count = min(count, MAX_RW_COUNT)
    if file.is_regular:
        count = generic_write_check_limits(task, file, pos, count)
    data = copy_from_user(task, buf, count)
    return _notified(file, file.pwrite(data, pos), fsnotify.FS_MODIFY)


def import_iovec(task, vec: int, vlen: int) -> list:
    """import_iovec: the (base, len) pairs, EINVAL for a bad count or a negative length.

    The total is clamped to MAX_RW_COUNT by shortening the tail, as Linux does.
    """
    vlen = fd_arg(vlen)
    if vlen < 0 or vlen > UIO_MAXIOV:
        raise KernelError(Errno.EINVAL)
    if in_compat_syscall(task):                   # a compat_iovec array (compat_import_iovec)
        pairs = compat_iovec_pairs(task, vec, vlen)
    else:
        pairs = _IOVEC.iter_unpack(copy_from_user(task, vec, vlen * _IOVEC.size))
    iovs, total = [], 0
    for base, length in pairs:
        if length >= 1 << 63:
            raise KernelError(Errno.EINVAL)
        length = min(length, MAX_RW_COUNT - total)
        total += length
        iovs.append((base, length))
    return iovs


def _scatter(task, iovs: list, data: bytes) -> int:
    """Copy ``data`` across the iovecs in order; return bytes placed."""
    done = 0
    for base, length in iovs:
        if done >= len(data):
            break
        chunk = data[done:done + length]
        copy_to_user(task, base, chunk)
        done += len(chunk)
    return done


def _gather(task, iovs: list) -> bytes:
    return b"".join(copy_from_user(task, base, length) for base, length in iovs)


def sys_readv(task, fd, vec, vlen) -> int:
    """do_readv: one read of the total length, scattered over the buffers."""
    file = task.files.fdget(fd_arg(fd))
    file.check_read()
    iovs = import_iovec(task, vec, vlen)
    start = file.pos if file.seekable else None
    data = file.read(sum(length for _base, length in iovs))
    if data is None:                              # it must wait, and may park
        return ERESTART_PARK
    try:
        return _notified(file, _scatter(task, iovs, data), fsnotify.FS_ACCESS)
    except KernelError:
        if start is not None:
            file.pos = start
        else:
            file.unread(data)                     # a pipe keeps what it could not copy
        raise


def sys_writev(task, fd, vec, vlen) -> int:
    """do_writev: the buffers are gathered and written as one (atomic) write."""
    file = task.files.fdget(fd_arg(fd))
    file.check_write()
    data = _gather(task, import_iovec(task, vec, vlen))
    if file.is_regular:
        data = data[:generic_write_check_limits(task, file, None, len(data))]
    return _notified(file, file.write(data), fsnotify.FS_MODIFY)


def sys_preadv(task, fd, vec, vlen, pos_l, pos_h=0) -> int:
    file, pos = _positioned_file(task, fd, pos_l)
    iovs = import_iovec(task, vec, vlen)
    data = file.pread(sum(length for _base, length in iovs), pos)
    return _notified(file, _scatter(task, iovs, data), fsnotify.FS_ACCESS)


def sys_pwritev(task, fd, vec, vlen, pos_l, pos_h=0) -> int:
    file, pos = _positioned_file(task, fd, pos_l)
    data = _gather(task, import_iovec(task, vec, vlen))
    if file.is_regular:
        data = data[:generic_write_check_limits(task, file, pos, len(data))]
    return _notified(file, file.pwrite(data, pos), fsnotify.FS_MODIFY)


def sys_lseek(task, fd, offset, whence) -> int:
    """ksys_lseek: EINVAL for an unknown whence or a negative result, ESPIPE for pipes."""
    file = task.files.fdget(fd_arg(fd))
    whence &= 0xFFFFFFFF
    if whence > SEEK_HOLE:
        raise KernelError(Errno.EINVAL)
    return file.lseek(long_arg(offset), whence)


_SENDFILE_CHUNK = 1 << 20


def _sendfile_source(task, in_fd: int):
    file = task.files.fdget(fd_arg(in_fd))
    file.check_read()
    if not file.seekable:
        raise KernelError(Errno.EINVAL)       # the source must be a file we can read at an offset
    return file


def sys_sendfile64(task, out_fd, in_fd, offset_ptr, count, *, off_t=None) -> int:
    """sendfile(2): copy between descriptors inside the kernel (do_sendfile).

    Reads from in_fd at *offset (then updated) or at its file position, and writes to
    out_fd at its own position. A destination opened O_APPEND is refused (EINVAL).
    off_t: the struct of *offset (i386's 32-bit compat_off_t, then EOVERFLOW past
    MAX_NON_LFS as do_sendfile's max).
    """
    src = _sendfile_source(task, in_fd)
    dst = task.files.fdget(fd_arg(out_fd))
    dst.check_write()
    if dst.flags & O_APPEND:
        raise KernelError(Errno.EINVAL)
    off_t = off_t or _LOFF_T
    pos = off_t.unpack(copy_from_user(task, offset_ptr, off_t.size))[0] if offset_ptr else src.pos
    if pos < 0:
        raise KernelError(Errno.EINVAL)
    count = min(count, MAX_RW_COUNT)
    if offset_ptr and off_t.size == 4 and pos + count > MAX_NON_LFS:
        if pos >= MAX_NON_LFS:
            raise KernelError(Errno.EOVERFLOW)
        count = MAX_NON_LFS - pos
    done = 0
    while done < count:
        data = src.pread(min(_SENDFILE_CHUNK, count - done), pos + done)
        if not data:
            break
        try:
            if dst.is_regular:
                data = data[:generic_write_check_limits(task, dst, None, len(data))]
            written = dst.write(data)
        except KernelError:
            if not done:
                raise
            break
        except SlowPathRequired:
            if not done:
                raise                          # nothing moved yet: rerun it where it may sleep
            break                              # keep what is done: a short sendfile
        done += written
        if written < len(data):
            break
    if offset_ptr:
        copy_to_user(task, offset_ptr, off_t.pack(pos + done))
    else:
        src.pos = pos + done
    if done and fsnotify.nr_marks:
        fsnotify.fsnotify_file(src, fsnotify.FS_ACCESS)
        fsnotify.fsnotify_file(dst, fsnotify.FS_MODIFY)
    return done


def _copy_range_files(task, fd_in: int, fd_out: int):
    """generic_copy_file_checks' descriptor part: a readable and a writable (not
    O_APPEND) regular file of the same filesystem."""
    src = task.files.fdget(fd_arg(fd_in))
    dst = task.files.fdget(fd_arg(fd_out))
    if not src.readable or not dst.writable or dst.flags & O_APPEND:
        raise KernelError(Errno.EBADF)
    if src.dentry.is_dir() or dst.dentry.is_dir():
        raise KernelError(Errno.EISDIR)
    if not src.is_regular or not dst.is_regular:
        raise KernelError(Errno.EINVAL)
    if type(src.dentry) is not type(dst.dentry):
        raise KernelError(Errno.EXDEV)
    return src, dst


def sys_copy_file_range(task, fd_in, off_in, fd_out, off_out, length, flags) -> int:
    """copy_file_range(2): copy up to length bytes between regular files at *off_in and
    *off_out (updated), or at the files' positions. Overlapping ranges of one file are
    EINVAL; reading at or past the end copies nothing."""
    from glasskernel.mm.uaccess import get_user_u64, put_user_u64
    if flags & 0xFFFFFFFF:
        raise KernelError(Errno.EINVAL)
    src, dst = _copy_range_files(task, fd_in, fd_out)
    pos_in = long_arg(get_user_u64(task, off_in)) if off_in else src.pos
    pos_out = long_arg(get_user_u64(task, off_out)) if off_out else dst.pos
    count = length & 0xFFFFFFFFFFFFFFFF
    if pos_in < 0 or pos_out < 0:
        raise KernelError(Errno.EINVAL)
    if pos_in + count > 1 << 63 or pos_out + count > 1 << 63:
        raise KernelError(Errno.EOVERFLOW)
    if src.dentry is dst.dentry and pos_in < pos_out + count and pos_out < pos_in + count:
        raise KernelError(Errno.EINVAL)
    count = min(count, MAX_RW_COUNT, max(0, src.size() - pos_in))
    if count:
        count = generic_write_check_limits(task, dst, pos_out, count)
    done = 0
    while done < count:
        data = src.pread(min(_SENDFILE_CHUNK, count - done), pos_in + done)
        if not data:
            break
        written = dst.pwrite(data, pos_out + done)
        done += written
        if written < len(data):
            break
    for ptr, file, pos in ((off_in, src, pos_in), (off_out, dst, pos_out)):
        if ptr:
            put_user_u64(task, ptr, pos + done)
        else:
            file.pos = pos + done
    if done and fsnotify.nr_marks:
        fsnotify.fsnotify_file(src, fsnotify.FS_ACCESS)
        fsnotify.fsnotify_file(dst, fsnotify.FS_MODIFY)
    return done


# ----- the i386 calls (fs/read_write.c's compat part) --------------------------------------

# compat_sys_lseek: lseek(2) of i386: a compat_off_t (sign-extended) offset; the result goes
# back in eax, cut to 32 bits as Linux's is.
def compat_sys_lseek(task, fd, offset, whence) -> int:
    return sys_lseek(task, fd, compat_long(offset), whence)


# compat_sys_preadv: preadv(2) of i386: compat iovecs, the offset in two registers.
def compat_sys_preadv(task, fd, vec, vlen, pos_low, pos_high) -> int:
    return sys_preadv(task, fd, vec, vlen, ((pos_high & 0xFFFFFFFF) << 32) | (pos_low & 0xFFFFFFFF))


# compat_sys_pwritev: pwritev(2) of i386.
def compat_sys_pwritev(task, fd, vec, vlen, pos_low, pos_high) -> int:
    return sys_pwritev(task, fd, vec, vlen, ((pos_high & 0xFFFFFFFF) << 32) | (pos_low & 0xFFFFFFFF))


# compat_sys_sendfile: sendfile(2) of i386: *offset is a compat_off_t.
def compat_sys_sendfile(task, out_fd, in_fd, offset, count) -> int:
    return sys_sendfile64(task, out_fd, in_fd, offset, count & 0xFFFFFFFF, off_t=_COMPAT_OFF_T)

"""The loop block device (drivers/block/loop.c) and the little of the block layer it needs
(block/ioctl.c: BLKGETSIZE64, BLKGETSIZE, BLKSSZGET, BLKBSZGET).

/dev/loop-control (misc 10:237) hands out devices: LOOP_CTL_GET_FREE, LOOP_CTL_ADD,
LOOP_CTL_REMOVE. /dev/loopN (block 7:N; loop0..loop7 exist from the start, as with
max_loop's default) is bound to an open file of the guest with LOOP_SET_FD or
LOOP_CONFIGURE; reads and writes go to that file at lo_offset, within lo_sizelimit. The
backing file is the guest's own open file, so a loop device reaches nothing the guest
could not reach already. No file system can be mounted from one (none is built in).
"""
import struct

from glasskernel.block.fops import register_blkdev
from glasskernel.fs.file_table import File
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

LOOP_MAJOR, MISC_MAJOR, LOOP_CTRL_MINOR = 7, 10, 237
MIN_COUNT = 8                                   # CONFIG_BLK_DEV_LOOP_MIN_COUNT
LOOP_SET_FD, LOOP_CLR_FD, LOOP_SET_STATUS, LOOP_GET_STATUS = 0x4C00, 0x4C01, 0x4C02, 0x4C03
LOOP_SET_STATUS64, LOOP_GET_STATUS64, LOOP_CHANGE_FD = 0x4C04, 0x4C05, 0x4C06
LOOP_SET_CAPACITY, LOOP_SET_DIRECT_IO, LOOP_SET_BLOCK_SIZE = 0x4C07, 0x4C08, 0x4C09
LOOP_CONFIGURE = 0x4C0A
LOOP_CTL_ADD, LOOP_CTL_REMOVE, LOOP_CTL_GET_FREE = 0x4C80, 0x4C81, 0x4C82
BLKROGET, BLKGETSIZE, BLKFLSBUF, BLKSSZGET = 0x125E, 0x1260, 0x1261, 0x1268
BLKBSZGET, BLKGETSIZE64 = 0x80081270, 0x80081272
LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR, LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO = 1, 4, 8, 16
SET_STATUS_SETTABLE = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN
SET_STATUS_CLEARABLE = LO_FLAGS_AUTOCLEAR
CONFIGURE_SETTABLE = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | \
    LO_FLAGS_DIRECT_IO
LO_NAME_SIZE, LO_KEY_SIZE = 64, 32
LLONG_MAX = (1 << 63) - 1
# struct loop_info (x86-64: __kernel_old_dev_t is unsigned long) and struct loop_info64
_INFO = struct.Struct("<i4xQQQiiii64s32s2Q4s4x")
_INFO64 = struct.Struct("<QQQQQIIII64s64s32s2Q")
_CONFIG_HEAD = struct.Struct("<II")


class LoopDevice:
    """struct loop_device: its number, backing file, geometry and flags."""

    __slots__ = ("number", "file", "offset", "sizelimit", "flags", "file_name", "crypt_name",
                 "block_size", "openers")

    def __init__(self, number: int):
        self.number = number
        self.file = None                # the backing File (Lo_bound when set)
        self.offset = self.sizelimit = self.flags = 0
        self.file_name = self.crypt_name = b""
        self.block_size = 512
        self.openers = 0                # open descriptions of /dev/loopN (disk_openers)

    def size(self) -> int:
        """get_size: the backing file past lo_offset, within lo_sizelimit, in sectors."""
        if self.file is None:
            return 0
        size = max(0, self.file.stat().st_size - self.offset)
        if self.sizelimit and self.sizelimit < size:
            size = self.sizelimit
        return size & ~511

    def clear(self) -> None:
        """__loop_clr_fd: unbind and forget the settings."""
        if self.file is not None:
            self.file.put()
        self.file = None
        self.offset = self.sizelimit = self.flags = 0
        self.file_name = self.crypt_name = b""
        self.block_size = 512


class LoopDevices:
    """The loop_index_idr of a run: the devices by number."""

    def __init__(self):
        self.devices = {n: LoopDevice(n) for n in range(MIN_COUNT)}


def loop_devices(kernel) -> LoopDevices:
    devs = kernel.loop_devices
    if devs is None:
        devs = kernel.loop_devices = LoopDevices()
    return devs


# --- /dev/loop-control ------------------------------------------------------------------
class LoopControlFile(File):
    """/dev/loop-control: loop_control_ioctl."""

    seekable = False

    def ioctl(self, cmd: int, arg: int, task) -> int:
        devs = loop_devices(task.kernel).devices
        parm = arg & 0xFFFFFFFF                 # the driver takes an int
        parm = parm - (1 << 32) if parm >= 1 << 31 else parm
        if cmd == LOOP_CTL_GET_FREE:
            for number in sorted(devs):
                if devs[number].file is None:
                    return number
            return _add(devs, -1)
        if cmd == LOOP_CTL_ADD:
            return _add(devs, parm)
        if cmd == LOOP_CTL_REMOVE:
            if parm < 0:
                raise KernelError(Errno.EINVAL)
            lo = devs.get(parm)
            if lo is None:
                raise KernelError(Errno.ENODEV)
            if lo.file is not None or lo.openers:
                raise KernelError(Errno.EBUSY)
            del devs[parm]
            return 0
        raise KernelError(Errno.ENOSYS)         # loop_control_ioctl's default

    def read_at(self, count: int, pos: int) -> bytes:
        raise KernelError(Errno.EINVAL)


def _add(devs: dict, number: int) -> int:
    """loop_add: device ``number`` (EEXIST if taken), or the first free number if < 0."""
    if number >= 0:
        if number in devs:
            raise KernelError(Errno.EEXIST)
        if number >= 1 << 20:
            raise KernelError(Errno.EINVAL)
    else:
        number = 0
        while number in devs:
            number += 1
    devs[number] = LoopDevice(number)
    return number


def loop_control_open(dentry, flags: int, task=None):
    return LoopControlFile(dentry, flags)


# --- /dev/loopN --------------------------------------------------------------------------
class LoopFile(File):
    """An open /dev/loopN: block reads and writes through to the backing file, and the
    loop and block ioctls."""

    def __init__(self, dentry, flags: int, lo: LoopDevice):
        super().__init__(dentry, flags)
        self.lo = lo
        lo.openers += 1

    def release(self) -> None:
        """lo_release: the last close of an autoclear device unbinds it."""
        lo = self.lo
        lo.openers -= 1
        if not lo.openers and lo.flags & LO_FLAGS_AUTOCLEAR and lo.file is not None:
            lo.clear()

    def size(self) -> int:
        return self.lo.size()

    def read_at(self, count: int, pos: int) -> bytes:
        lo = self.lo
        end = min(pos + count, lo.size())
        if lo.file is None or pos >= end:
            return b""
        return lo.file.read_at(end - pos, lo.offset + pos)

    def write_at(self, data: bytes, pos: int) -> int:
        lo = self.lo
        if lo.file is not None and lo.flags & LO_FLAGS_READ_ONLY:
            raise KernelError(Errno.EPERM)
        size = lo.size()
        if pos >= size:
            if not data:
                return 0
            raise KernelError(Errno.ENOSPC)
        data = bytes(data[:size - pos])
        return lo.file.write_at(data, lo.offset + pos)

    def fsync(self) -> None:
        """blkdev_fsync: the backing file's data is where the guest can read it."""

    def ioctl(self, cmd: int, arg: int, task) -> int:
        handler = _BLOCK_IOCTLS.get(cmd) or _LOOP_IOCTLS.get(cmd)
        if handler is None:
            raise KernelError(Errno.ENOTTY)
        return handler(self, task, arg)


def _blkdev_loop_open(task, dentry, minor: int, flags: int):
    """A loop node made with mknod (b 7 N) opens device N like /dev/loopN does."""
    return loop_open(minor)(dentry, flags, task)


def loop_open(number: int):
    """The opener of /dev/loopN (ENXIO once LOOP_CTL_REMOVE took the device away)."""
    def open_device(dentry, flags, task=None):
        lo = loop_devices(task.kernel).devices.get(number)
        if lo is None:
            raise KernelError(Errno.ENXIO)
        return LoopFile(dentry, flags, lo)
    return open_device


# --- the ioctls ----------------------------------------------------------------------------
def _put_u64(task, arg, value) -> int:
    copy_to_user(task, arg, struct.pack("<Q", value))
    return 0


def _put_i32(task, arg, value) -> int:
    copy_to_user(task, arg, struct.pack("<i", value))
    return 0


_BLOCK_IOCTLS = {
    BLKGETSIZE64: lambda f, task, arg: _put_u64(task, arg, f.lo.size()),
    BLKGETSIZE: lambda f, task, arg: _put_u64(task, arg, f.lo.size() >> 9),
    BLKSSZGET: lambda f, task, arg: _put_i32(task, arg, f.lo.block_size),
    BLKBSZGET: lambda f, task, arg: _put_i32(task, arg, 4096 if f.lo.file else 512),
    BLKROGET: lambda f, task, arg: _put_i32(task, arg, 1 if f.lo.flags & LO_FLAGS_READ_ONLY else 0),
    BLKFLSBUF: lambda f, task, arg: 0,
}


def loop_validate_file(task, fd: int) -> File:
    """The backing file: EBADF for a bad descriptor, EINVAL unless a regular file or a
    block device (not this loop device itself)."""
    if fd >= 1 << 31:
        raise KernelError(Errno.EBADF)
    file = task.files.fdget(fd)
    mode = file.stat().st_mode & 0o170000
    if mode not in (0o100000, 0o060000) or file.flags & 0o10000000:   # O_PATH
        raise KernelError(Errno.EBADF if file.flags & 0o10000000 else Errno.EINVAL)
    return file


def _bind(f: LoopFile, task, fd: int, info=None, config_flags: int = 0) -> int:
    """loop_configure: EBUSY if bound; the backing file; read-only unless both it and this
    device were opened for writing."""
    lo = f.lo
    file = loop_validate_file(task, fd)
    if lo.file is not None:
        raise KernelError(Errno.EBUSY)
    if isinstance(file, LoopFile) and file.lo is lo:
        raise KernelError(Errno.EBUSY)
    if info is not None:
        _set_from_info64(lo, info)
    lo.flags |= config_flags
    if not file.writable or not f.writable:
        lo.flags |= LO_FLAGS_READ_ONLY
    lo.file = file.get()
    return 0


def loop_set_fd(f, task, arg) -> int:
    return _bind(f, task, arg & 0xFFFFFFFF)


def loop_configure(f, task, arg) -> int:
    """LOOP_CONFIGURE: fd, block size and a loop_info64 in one go."""
    raw = copy_from_user(task, arg, _CONFIG_HEAD.size + _INFO64.size + 64)
    fd, block_size = _CONFIG_HEAD.unpack_from(raw)
    info = _INFO64.unpack_from(raw, _CONFIG_HEAD.size)
    if f.lo.file is not None:
        raise KernelError(Errno.EBUSY)
    loop_validate_file(task, fd)
    if info[8] & ~CONFIGURE_SETTABLE:
        raise KernelError(Errno.EINVAL)
    if block_size and (block_size < 512 or block_size > 4096 or block_size & (block_size - 1)):
        raise KernelError(Errno.EINVAL)
    _bind(f, task, fd, info, info[8] & CONFIGURE_SETTABLE)
    if block_size:
        f.lo.block_size = block_size
    return 0


def loop_clr_fd(f, task, arg) -> int:
    """LOOP_CLR_FD: ENXIO when unbound; while another opener holds the device it is only
    marked autoclear (the last close unbinds it)."""
    lo = f.lo
    if lo.file is None:
        raise KernelError(Errno.ENXIO)
    if lo.openers > 1:
        lo.flags |= LO_FLAGS_AUTOCLEAR
        return 0
    lo.clear()
    return 0


def _set_from_info64(lo: LoopDevice, info) -> None:
    """loop_set_status_from_info: no encryption (EINVAL), no offsets past LLONG_MAX."""
    _dev, _ino, _rdev, offset, sizelimit, _num, crypt, key_size, flags, name, cname = info[:11]
    if key_size > LO_KEY_SIZE or crypt != 0:
        raise KernelError(Errno.EINVAL)
    if offset > LLONG_MAX or sizelimit > LLONG_MAX:
        raise KernelError(Errno.EOVERFLOW)
    lo.offset, lo.sizelimit = offset, sizelimit
    lo.file_name = name.split(b"\0", 1)[0][:LO_NAME_SIZE - 1]
    lo.crypt_name = cname.split(b"\0", 1)[0][:LO_NAME_SIZE - 1]
    lo.flags = flags


def _set_status(f, info) -> int:
    """loop_set_status: ENXIO unbound; only AUTOCLEAR and PARTSCAN change, and
    PARTSCAN cannot be cleared."""
    lo = f.lo
    if lo.file is None:
        raise KernelError(Errno.ENXIO)
    prev = lo.flags
    _set_from_info64(lo, info)
    lo.flags = (lo.flags & SET_STATUS_SETTABLE) | (prev & ~SET_STATUS_SETTABLE) | \
        (prev & ~SET_STATUS_CLEARABLE)
    return 0


def loop_set_status(f, task, arg) -> int:
    """LOOP_SET_STATUS: the old struct, converted to loop_info64."""
    (number, dev, ino, rdev, offset, crypt, key_size, flags, name, _key, init0, init1,
     _res) = _INFO.unpack(copy_from_user(task, arg, _INFO.size))
    offset &= 0xFFFFFFFFFFFFFFFF  # the int widened as loop_info_to_64 does (a negative
                                  # one is then past LLONG_MAX: EOVERFLOW)
    return _set_status(f, (dev, ino, rdev, offset, 0, number, crypt, key_size,
                           flags & 0xFFFFFFFF, name, name, b"", init0, init1))


def loop_set_status64(f, task, arg) -> int:
    return _set_status(f, _INFO64.unpack(copy_from_user(task, arg, _INFO64.size)))


def _status(f):
    """loop_get_status: ENXIO unbound; the backing file's device and inode."""
    lo = f.lo
    if lo.file is None:
        raise KernelError(Errno.ENXIO)
    st = lo.file.stat()
    return lo, _huge_encode(st.st_dev), st.st_ino, _huge_encode(st.st_rdev)


def _huge_encode(dev: int) -> int:
    import os
    major, minor = os.major(dev), os.minor(dev)
    return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)


def loop_get_status(f, task, arg) -> int:
    """LOOP_GET_STATUS: EOVERFLOW when the offset does not fit the old int."""
    lo, dev, ino, rdev = _status(f)
    if lo.offset > 0x7FFFFFFF:
        raise KernelError(Errno.EOVERFLOW)
    copy_to_user(task, arg, _INFO.pack(lo.number, dev, ino, rdev, lo.offset, 0, 0, lo.flags,
                                       lo.file_name.ljust(LO_NAME_SIZE, b"\0"), b"", 0, 0, b""))
    return 0


def loop_get_status64(f, task, arg) -> int:
    lo, dev, ino, rdev = _status(f)
    copy_to_user(task, arg, _INFO64.pack(dev, ino, rdev, lo.offset, lo.sizelimit, lo.number,
                                         0, 0, lo.flags, lo.file_name, lo.crypt_name, b"",
                                         0, 0))
    return 0


def loop_change_fd(f, task, arg) -> int:
    """LOOP_CHANGE_FD: only for a read-only device, to a file of the same size."""
    lo = f.lo
    if lo.file is None:
        raise KernelError(Errno.ENXIO)
    if not lo.flags & LO_FLAGS_READ_ONLY:
        raise KernelError(Errno.EINVAL)
    file = loop_validate_file(task, arg & 0xFFFFFFFF)
    if file.stat().st_size != lo.file.stat().st_size:
        raise KernelError(Errno.EINVAL)
    lo.file.put()
    lo.file = file.get()
    return 0


def loop_set_block_size(f, task, arg) -> int:
    """LOOP_SET_BLOCK_SIZE: a power of two from 512 to PAGE_SIZE (EINVAL), bound only."""
    if f.lo.file is None:
        raise KernelError(Errno.ENXIO)
    if arg < 512 or arg > 4096 or arg & (arg - 1):
        raise KernelError(Errno.EINVAL)
    f.lo.block_size = arg
    return 0


def _bound_noop(f, task, arg) -> int:
    """LOOP_SET_CAPACITY (the size is read afresh each time anyway), LOOP_SET_DIRECT_IO."""
    if f.lo.file is None:
        raise KernelError(Errno.ENXIO)
    return 0


_LOOP_IOCTLS = {
    LOOP_SET_FD: loop_set_fd, LOOP_CLR_FD: loop_clr_fd, LOOP_CONFIGURE: loop_configure,
    LOOP_SET_STATUS: loop_set_status, LOOP_GET_STATUS: loop_get_status,
    LOOP_SET_STATUS64: loop_set_status64, LOOP_GET_STATUS64: loop_get_status64,
    LOOP_CHANGE_FD: loop_change_fd, LOOP_SET_BLOCK_SIZE: loop_set_block_size,
    LOOP_SET_CAPACITY: _bound_noop, LOOP_SET_DIRECT_IO: _bound_noop,
}


register_blkdev(LOOP_MAJOR, _blkdev_loop_open)

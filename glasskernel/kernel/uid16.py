"""The 16-bit uid/gid syscalls of i386 (kernel/uid16.c).

Before the *32 calls i386 passed ids as ``old_uid_t`` (u16): an id in is widened (0xFFFF,
the "unchanged" -1, stays -1), an id out past 65535 reads as the overflow id 65534.
"""
import struct

from glasskernel.fs import open as fs_open
from glasskernel.fs.stat import high2lowuid
from glasskernel.kernel import sys as ksys
from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError


def low2highuid(uid: int) -> int:
    """An old_uid_t argument as a uid: (old_uid_t)-1 stays -1 (0xFFFFFFFF)."""
    uid &= 0xFFFF
    return 0xFFFFFFFF if uid == 0xFFFF else uid


# sys_chown16: chown(2) number 182.
def sys_chown16(task, filename, user, group) -> int:
    return fs_open.sys_chown(task, filename, low2highuid(user), low2highuid(group))


# sys_lchown16: lchown(2) number 16.
def sys_lchown16(task, filename, user, group) -> int:
    return fs_open.sys_lchown(task, filename, low2highuid(user), low2highuid(group))


# sys_fchown16: fchown(2) number 95.
def sys_fchown16(task, fd, user, group) -> int:
    return fs_open.sys_fchown(task, fd, low2highuid(user), low2highuid(group))


# sys_setuid16 .. sys_setfsgid16: the native setters with widened ids.
def sys_setuid16(task, uid) -> int:
    return ksys.sys_setuid(task, low2highuid(uid))


def sys_setgid16(task, gid) -> int:
    return ksys.sys_setgid(task, low2highuid(gid))


def sys_setreuid16(task, ruid, euid) -> int:
    return ksys.sys_setreuid(task, low2highuid(ruid), low2highuid(euid))


def sys_setregid16(task, rgid, egid) -> int:
    return ksys.sys_setregid(task, low2highuid(rgid), low2highuid(egid))


def sys_setresuid16(task, ruid, euid, suid) -> int:
    return ksys.sys_setresuid(task, low2highuid(ruid), low2highuid(euid), low2highuid(suid))


def sys_setresgid16(task, rgid, egid, sgid) -> int:
    return ksys.sys_setresgid(task, low2highuid(rgid), low2highuid(egid), low2highuid(sgid))


def sys_setfsuid16(task, uid) -> int:
    return high2lowuid(ksys.sys_setfsuid(task, low2highuid(uid)))


def sys_setfsgid16(task, gid) -> int:
    return high2lowuid(ksys.sys_setfsgid(task, low2highuid(gid)))


# sys_getuid16 .. sys_getegid16: the native ids narrowed to 16 bits.
def sys_getuid16(task) -> int:
    return high2lowuid(ksys.sys_getuid(task))


def sys_geteuid16(task) -> int:
    return high2lowuid(ksys.sys_geteuid(task))


def sys_getgid16(task) -> int:
    return high2lowuid(ksys.sys_getgid(task))


def sys_getegid16(task) -> int:
    return high2lowuid(ksys.sys_getegid(task))


def _put_ids16(task, addrs, ids) -> int:
    for addr, value in zip(addrs, ids):
        copy_to_user(task, addr, struct.pack("<H", high2lowuid(value)))
    return 0


# sys_getresuid16: the three uids as old_uid_t.
def sys_getresuid16(task, ruid, euid, suid) -> int:
    ids = [ksys._uid_out(task, i) for i in ksys._ids(task.cred, "u")]
    return _put_ids16(task, (ruid, euid, suid), ids)


# sys_getresgid16: the three gids as old_gid_t.
def sys_getresgid16(task, rgid, egid, sgid) -> int:
    ids = [ksys._gid_out(task, i) for i in ksys._ids(task.cred, "g")]
    return _put_ids16(task, (rgid, egid, sgid), ids)


# sys_getgroups16: getgroups(2) with an old_gid_t array.
def sys_getgroups16(task, gidsetsize, grouplist) -> int:
    size = int_arg(gidsetsize)
    groups = [high2lowuid(ksys._gid_out(task, g)) for g in task.cred.groups]
    if size < 0:
        raise KernelError(Errno.EINVAL)
    if size == 0:
        return len(groups)
    if size < len(groups):
        raise KernelError(Errno.EINVAL)
    copy_to_user(task, grouplist, struct.pack(f"<{len(groups)}H", *groups))
    return len(groups)


# sys_setgroups16: setgroups(2) with an old_gid_t array (each widened as low2highgid).
def sys_setgroups16(task, gidsetsize, grouplist) -> int:
    return ksys.do_setgroups(task, int_arg(gidsetsize), lambda size: [
        low2highuid(g) for g in struct.unpack(f"<{size}H", copy_from_user(task, grouplist, 2 * size))])

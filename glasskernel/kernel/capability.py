"""capget(2), capset(2) and the capable() test the rest of the kernel asks
(kernel/capability.c).

The user header is {u32 version; int pid}; the data is one (version 1) or two
(versions 2 and 3) {u32 effective, permitted, inheritable} records, low word first.
"""
import struct

from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.capability import (
    CAP_FULL_SET, _KERNEL_CAPABILITY_VERSION, _LINUX_CAPABILITY_U32S_1, _LINUX_CAPABILITY_U32S_3,
    _LINUX_CAPABILITY_VERSION_1, _LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3, cap_raised)
from glasskernel.security.commoncap import cap_capable
from glasskernel.uapi.errno import Errno, KernelError

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_DATA = struct.Struct("<III")       # struct __user_cap_data_struct


def capable(task, cap: int) -> bool:
    """capable(): does the task have ``cap`` over the initial user namespace? (A task in
    a namespace of its own has none there, whatever its effective set says.)"""
    cred = task.cred
    if cred.user_ns is None:
        return cap_raised(cred.cap_effective, cap)
    from glasskernel.kernel.user_namespace import init_user_ns
    return cap_capable(cred, cap, init_user_ns)


def ns_capable(task, ns, cap: int) -> bool:
    """ns_capable(): does the task have ``cap`` over user namespace ns?"""
    from glasskernel.kernel.user_namespace import init_user_ns
    return cap_capable(task.cred, cap, ns if ns is not None else init_user_ns)


def cred_capable(cred, cap: int, st=None) -> bool:
    """capable() for code handed a cred rather than a task (the fs permission checks,
    which may run with access()'s overriding creds). With an inode's ``st`` it is
    capable_wrt_inode_uidgid: the capability in the cred's own user namespace, when that
    namespace maps the inode's owner and group."""
    if cred is None:
        return False
    ns = cred.user_ns
    if ns is None:
        return cap_raised(cred.cap_effective, cap)
    if st is not None:
        from glasskernel.kernel.user_namespace import privileged_wrt_inode_uidgid
        return cap_raised(cred.cap_effective, cap) and privileged_wrt_inode_uidgid(ns, st)
    from glasskernel.kernel.user_namespace import init_user_ns
    return cap_capable(cred, cap, init_user_ns)


def cap_validate_magic(task, header: int) -> int:
    """The number of 32-bit words the header's version exchanges. An unknown version is
    rewritten to the kernel's (so callers can probe it) and is EINVAL."""
    version = _U32.unpack(copy_from_user(task, header, 4))[0]
    if version == _LINUX_CAPABILITY_VERSION_1:
        return _LINUX_CAPABILITY_U32S_1
    if version in (_LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3):
        return _LINUX_CAPABILITY_U32S_3
    copy_to_user(task, header, _U32.pack(_KERNEL_CAPABILITY_VERSION))
    raise KernelError(Errno.EINVAL)


def _find_task_by_vpid(task, pid: int):
    from glasskernel.kernel.pid import find_task_by_vpid
    return find_task_by_vpid(task, pid)


def sys_capget(task, header, dataptr) -> int:
    """capget(2): a NULL data pointer only probes the version (0, even for a bad one,
    whose header is rewritten); pid 0 or our own is us, a negative pid EINVAL, a pid
    nobody has ESRCH."""
    try:
        tocopy = cap_validate_magic(task, header)
    except KernelError as err:
        if not dataptr and err.errno == Errno.EINVAL:
            return 0
        raise
    if not dataptr:
        return 0
    pid = _I32.unpack(copy_from_user(task, header + 4, 4))[0]
    if pid < 0:
        raise KernelError(Errno.EINVAL)
    target = task
    if pid and pid != _vnr(task):
        target = _find_task_by_vpid(task, pid)
        if target is None:
            raise KernelError(Errno.ESRCH)
    cred = target.cred
    data = b"".join(_DATA.pack(cred.cap_effective >> (32 * i) & 0xFFFFFFFF,
                               cred.cap_permitted >> (32 * i) & 0xFFFFFFFF,
                               cred.cap_inheritable >> (32 * i) & 0xFFFFFFFF) for i in range(tocopy))
    copy_to_user(task, dataptr, data)
    return 0


def _vnr(task) -> int:
    from glasskernel.kernel.sys import sys_gettid
    return sys_gettid(task)


def sys_capset(task, header, data) -> int:
    """capset(2): only our own sets (another pid is EPERM); the new sets must pass
    cap_capset's rules. Bits above CAP_LAST_CAP are dropped."""
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    from glasskernel.security.commoncap import cap_capset
    tocopy = cap_validate_magic(task, header)
    pid = _I32.unpack(copy_from_user(task, header + 4, 4))[0]
    if pid != 0 and pid != _vnr(task):
        raise KernelError(Errno.EPERM)
    raw = copy_from_user(task, data, tocopy * _DATA.size)
    effective = permitted = inheritable = 0
    for i in range(tocopy):
        e, p, inh = _DATA.unpack_from(raw, i * _DATA.size)
        effective |= e << (32 * i)
        permitted |= p << (32 * i)
        inheritable |= inh << (32 * i)
    new = prepare_creds(task)
    cap_capset(new, task.cred, effective & CAP_FULL_SET, inheritable & CAP_FULL_SET,
               permitted & CAP_FULL_SET)
    return commit_creds(task, new)

"""UTS namespaces (kernel/utsname.c): the host and domain names uname(2) shows.

The initial namespace starts from the host's uname (with our sysname and machine), or a
Kernel's ``utsname`` override; sethostname/setdomainname change the caller's namespace
only, so a guest never renames the host. CLONE_NEWUTS copies the caller's names into a
new namespace owned by the user namespace asking for it.
"""
import dataclasses
import os

from glasskernel.uapi.capability import CAP_SYS_ADMIN
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.sched import CLONE_NEWUTS
from glasskernel.uapi.utsname import NEW_UTS_LEN, NewUtsname

PROC_UTS_INIT_INO = 0xEFFFFFFE


class UtsNamespace:
    """struct uts_namespace: the names and the owning user namespace."""

    __slots__ = ("name", "user_ns", "inum")

    def __init__(self, name: NewUtsname, user_ns, inum: int):
        self.name, self.user_ns, self.inum = name, user_ns, inum


def init_uts_ns(kernel) -> UtsNamespace:
    """The run's initial namespace, made on first use from the host's names."""
    ns = kernel.init_uts_ns
    if ns is None:
        from glasskernel.kernel.user_namespace import init_user_ns
        host = os.uname()
        name = NewUtsname(sysname="Linux", nodename=host.nodename, release=host.release,
                          version=host.version, machine="x86_64", domainname="(none)")
        ns = kernel.init_uts_ns = UtsNamespace(name, init_user_ns, PROC_UTS_INIT_INO)
    return ns


def uts_ns_of(task) -> UtsNamespace:
    """current->nsproxy->uts_ns (the initial one for tasks made before namespaces)."""
    ns = getattr(task.nsproxy, "uts_ns", None)
    return ns if ns is not None else init_uts_ns(task.kernel)


def copy_utsname(flags: int, user_ns, old: UtsNamespace) -> UtsNamespace:
    """CLONE_NEWUTS: a copy of old's names owned by user_ns; otherwise old itself."""
    from glasskernel.kernel.pid import ns_alloc_inum
    if not flags & CLONE_NEWUTS:
        return old
    return UtsNamespace(old.name, user_ns, ns_alloc_inum())


def utsns_install(nsset, ns: UtsNamespace) -> None:
    """setns: CAP_SYS_ADMIN over the namespace's owner and over our own user namespace."""
    from glasskernel.kernel.capability import ns_capable
    if not ns_capable(nsset.task, ns.user_ns, CAP_SYS_ADMIN) or \
            not nsset.capable_in_own(CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    nsset.nsproxy.uts_ns = ns


def set_uts_field(task, field: str, raw: bytes) -> None:
    """Store raw bytes as a name of the task's namespace (they are shown byte for byte)."""
    ns = uts_ns_of(task)
    text = bytes(raw[:NEW_UTS_LEN]).decode("utf-8", "surrogateescape")
    ns.name = dataclasses.replace(ns.name, **{field: text})


def _set_name(task, field: str, name: int, length: int) -> int:
    """sethostname/setdomainname: CAP_SYS_ADMIN over the namespace (EPERM), then a
    length in 0..64 (EINVAL), then the bytes (EFAULT)."""
    from glasskernel.arch.x86.entry.args import int_arg
    from glasskernel.kernel.capability import ns_capable
    from glasskernel.mm.uaccess import copy_from_user
    if not ns_capable(task, uts_ns_of(task).user_ns, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    length = int_arg(length)
    if length < 0 or length > NEW_UTS_LEN:
        raise KernelError(Errno.EINVAL)
    raw = copy_from_user(task, name, length) if length else b""
    set_uts_field(task, field, raw)
    return 0


def sys_sethostname(task, name, length) -> int:
    """sethostname(2)."""
    return _set_name(task, "nodename", name, length)


def sys_setdomainname(task, name, length) -> int:
    """setdomainname(2)."""
    return _set_name(task, "domainname", name, length)

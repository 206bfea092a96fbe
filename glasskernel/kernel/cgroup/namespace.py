"""Cgroup namespaces (kernel/cgroup/namespace.c), an identity only: there is no cgroup
hierarchy yet, so a new namespace's root is the same (empty) one."""
from glasskernel.uapi.sched import CLONE_NEWCGROUP

PROC_CGROUP_INIT_INO = 0xEFFFFFFB


class CgroupNamespace:
    """struct cgroup_namespace: the owning user namespace and the nsfs inode number."""

    __slots__ = ("user_ns", "inum")

    def __init__(self, user_ns, inum: int):
        self.user_ns, self.inum = user_ns, inum


def init_cgroup_ns(kernel) -> CgroupNamespace:
    ns = kernel.init_cgroup_ns
    if ns is None:
        from glasskernel.kernel.user_namespace import init_user_ns
        ns = kernel.init_cgroup_ns = CgroupNamespace(init_user_ns, PROC_CGROUP_INIT_INO)
    return ns


def copy_cgroup_ns(flags: int, user_ns, old: CgroupNamespace) -> CgroupNamespace:
    """CLONE_NEWCGROUP: a new namespace owned by user_ns."""
    from glasskernel.kernel.pid import ns_alloc_inum
    if not flags & CLONE_NEWCGROUP:
        return old
    return CgroupNamespace(user_ns, ns_alloc_inum())

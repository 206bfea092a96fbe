"""Network namespaces (net/core/net_namespace.c), for now only an identity.

There is one network stack (AF_UNIX); ``copy_net_ns`` gives CLONE_NEWNET a
new ``Net`` that /proc/PID/ns/net and setns tell apart, sharing that stack.
"""
from glasskernel.uapi.sched import CLONE_NEWNET


class Net:
    """struct net: the owning user namespace and the nsfs inode number."""

    __slots__ = ("user_ns", "inum")

    def __init__(self, user_ns, inum: int):
        self.user_ns, self.inum = user_ns, inum


def init_net(kernel) -> Net:
    """The run's first network namespace (numbered dynamically, as init_net is)."""
    net = getattr(kernel, "init_net", None)
    if net is None:
        from glasskernel.kernel.pid import ns_alloc_inum
        from glasskernel.kernel.user_namespace import init_user_ns
        net = kernel.init_net = Net(init_user_ns, ns_alloc_inum())
    return net


def copy_net_ns(flags: int, user_ns, old_net: Net) -> Net:
    """CLONE_NEWNET: a new namespace owned by user_ns; otherwise old_net itself."""
    from glasskernel.kernel.pid import ns_alloc_inum
    if not flags & CLONE_NEWNET:
        return old_net
    return Net(user_ns, ns_alloc_inum())

"""get_mempolicy(2) and set_mempolicy(2) (mm/mempolicy.c) on a machine with one memory node.

Node 0 is the only node and every page lives there, so a policy changes nothing about
where memory comes from; it is still checked and kept as Linux does (task.mempolicy,
copied by fork as mpol_dup does), so get_mempolicy reports what set_mempolicy set.
procps's ps sets and reads the default policy at start; numactl asks the same.
mbind (a policy per VMA) is not provided.
"""
from glasskernel.mm.uaccess import copy_to_user, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError

MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL = 0, 1, 2, 3, 4
MPOL_PREFERRED_MANY, MPOL_MAX = 5, 6
MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES = 1 << 15, 1 << 14
MPOL_MODE_FLAGS = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES
MPOL_F_NODE, MPOL_F_ADDR, MPOL_F_MEMS_ALLOWED = 1 << 0, 1 << 1, 1 << 2
NR_NODE_IDS = 1
PAGE_SIZE = 4096


def copy_nodes_to_user(task, mask: int, maxnode: int, nodes: int) -> None:
    """The node mask as an array of longs: maxnode - 1 bits, zeros past the nodes we have
    (EINVAL for more than a page of them). A compat caller gets the same bytes: Linux
    clears whole 64-bit words there too, and one node fits the first u32."""
    copy = ((maxnode - 1 + 63) // 64) * 8
    nbytes = ((NR_NODE_IDS + 63) // 64) * 8
    if copy > nbytes:
        if copy > PAGE_SIZE:
            raise KernelError(Errno.EINVAL)
        copy_to_user(task, mask + nbytes, bytes(copy - nbytes))
        copy = nbytes
    copy_to_user(task, mask, nodes.to_bytes(8, "little")[:copy])


def sys_get_mempolicy(task, policy, nmask, maxnode, addr, flags) -> int:
    """kernel_get_mempolicy + do_get_mempolicy for the default policy."""
    flags &= 0xFFFFFFFFFFFFFFFF
    if nmask and maxnode < NR_NODE_IDS:
        raise KernelError(Errno.EINVAL)
    if flags & ~(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED):
        raise KernelError(Errno.EINVAL)
    nodes = 0
    if flags & MPOL_F_MEMS_ALLOWED:
        if flags & (MPOL_F_NODE | MPOL_F_ADDR):
            raise KernelError(Errno.EINVAL)
        mode, nodes = MPOL_DEFAULT, 1               # cpuset_current_mems_allowed
    elif flags & MPOL_F_ADDR:
        if task.mm.vma_containing(addr) is None:
            raise KernelError(Errno.EFAULT)
        mode = 0 if flags & MPOL_F_NODE else MPOL_DEFAULT   # node 0 holds every page
    else:
        mode, mode_flags, nodes = task.mempolicy or (MPOL_DEFAULT, 0, 0)
        if flags & MPOL_F_NODE:
            if mode != MPOL_INTERLEAVE:
                raise KernelError(Errno.EINVAL)
            mode = 0                                # the next interleave node: node 0
        else:
            mode |= mode_flags
    if policy:
        put_user_i32(task, policy, mode)
    if nmask:
        copy_nodes_to_user(task, nmask, maxnode, nodes)
    return 0


def get_nodes(task, nmask: int, maxnode: int) -> int:
    """The node mask a caller passes: maxnode - 1 bits (EINVAL past a page of them, or
    naming a node this machine does not have)."""
    maxnode -= 1
    if maxnode <= 0 or not nmask:
        return 0
    if maxnode > PAGE_SIZE * 8:
        raise KernelError(Errno.EINVAL)
    from glasskernel.mm.uaccess import copy_from_user
    from glasskernel.kernel.compat import in_compat_syscall
    if in_compat_syscall(task):                 # compat_get_bitmap: u32 words
        data = copy_from_user(task, nmask, (maxnode + 31) // 32 * 4)
    else:
        data = copy_from_user(task, nmask, (maxnode + 63) // 64 * 8)
    nodes = int.from_bytes(data, "little") & ((1 << maxnode) - 1)
    if nodes >> NR_NODE_IDS:
        raise KernelError(Errno.EINVAL)
    return nodes


def sys_set_mempolicy(task, mode, nmask, maxnode) -> int:
    """kernel_set_mempolicy: check mode, flags and nodes as mpol_new does, then keep it."""
    mode &= 0xFFFFFFFF
    mode_flags = mode & MPOL_MODE_FLAGS
    mode &= ~MPOL_MODE_FLAGS
    if mode >= MPOL_MAX or mode_flags == MPOL_MODE_FLAGS:
        raise KernelError(Errno.EINVAL)
    nodes = get_nodes(task, nmask, maxnode)
    if mode == MPOL_DEFAULT:
        if nodes:
            raise KernelError(Errno.EINVAL)
        task.mempolicy = None
        return 0
    if mode == MPOL_LOCAL or (mode == MPOL_PREFERRED and not nodes):
        if nodes or mode_flags:
            raise KernelError(Errno.EINVAL)
        task.mempolicy = (MPOL_LOCAL, 0, 0)
        return 0
    if not nodes:
        raise KernelError(Errno.EINVAL)
    task.mempolicy = (mode, mode_flags, nodes)
    return 0

"""User namespaces (kernel/user_namespace.c): nested id spaces that own the other
namespaces and scope capabilities.

Credentials hold *kernel* ids (kuid/kgid: the initial namespace's numbers). A namespace's
uid_map and gid_map translate between its own ids and kernel ids; ``from_kuid`` is how a
kernel id is shown to a task (65534, the overflow id, when it has no mapping there) and
``make_kuid`` how an id a task passes in becomes a kernel id (-1: invalid there). A task
that creates a namespace gets every capability in it, and its creator (the owner's euid
in the parent) has every capability in it too: ``cap_capable`` in security/commoncap.py
walks these parents. ``cred.user_ns`` None is the initial namespace.
"""
from glasskernel.uapi.capability import CAP_FULL_SET, CAP_SETFCAP, CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN
from glasskernel.uapi.errno import Errno, KernelError

PROC_USER_INIT_INO = 0xEFFFFFFD
USERNS_SETGROUPS_ALLOWED = 1
UID_GID_MAP_MAX_EXTENTS = 340
USER_NS_MAX_LEVEL = 32             # create_user_ns refuses a parent deeper than this (ENOSPC)
OVERFLOWUID = OVERFLOWGID = 65534
U32 = 0xFFFFFFFF
PAGE_SIZE = 4096


class IdMap:
    """struct uid_gid_map: extents (first, lower_first, count); lower ids are kernel ids."""

    __slots__ = ("extents",)

    def __init__(self, extents=()):
        self.extents = list(extents)

    def down(self, first: int, count: int = 1) -> int:
        """map_id_range_down: the kernel id of ns ids first..first+count-1, -1 if unmapped."""
        for upper, lower, n in self.extents:
            if upper <= first and first + count - 1 <= upper + n - 1:
                return lower + first - upper
        return -1

    def up(self, kid: int) -> int:
        """map_id_up: the ns id of kernel id kid, -1 if unmapped."""
        for upper, lower, n in self.extents:
            if lower <= kid <= lower + n - 1:
                return upper + kid - lower
        return -1


class UserNamespace:
    """struct user_namespace: its maps, parent, owner and nesting level."""

    __slots__ = ("parent", "level", "owner", "group", "uid_map", "gid_map", "flags",
                 "inum", "parent_could_setfcap")

    def __init__(self, parent, owner: int, group: int, inum: int):
        self.parent, self.owner, self.group, self.inum = parent, owner, group, inum
        self.level = 0 if parent is None else parent.level + 1
        full = [(0, 0, U32)] if parent is None else []
        self.uid_map, self.gid_map = IdMap(full), IdMap(full)
        self.flags = USERNS_SETGROUPS_ALLOWED if parent is None else parent.flags
        self.parent_could_setfcap = False

    @property
    def user_ns(self):
        """ns_common's owner: a user namespace's is its parent (NS_GET_USERNS)."""
        return self.parent


init_user_ns = UserNamespace(None, 0, 0, PROC_USER_INIT_INO)


def cred_user_ns(cred) -> UserNamespace:
    ns = cred.user_ns
    return init_user_ns if ns is None else ns


def current_user_ns(task) -> UserNamespace:
    return cred_user_ns(task.cred)


def make_kuid(ns, uid: int) -> int:
    """A uid of ns as a kernel id; -1 when ns does not map it."""
    return uid if ns is None or ns is init_user_ns else ns.uid_map.down(uid & U32)


def make_kgid(ns, gid: int) -> int:
    return gid if ns is None or ns is init_user_ns else ns.gid_map.down(gid & U32)


def from_kuid(ns, kuid: int) -> int:
    """from_kuid_munged: how ns shows a kernel uid (the overflow uid if unmapped)."""
    if ns is None or ns is init_user_ns:
        return kuid
    uid = ns.uid_map.up(kuid)
    return OVERFLOWUID if uid < 0 else uid


def from_kgid(ns, kgid: int) -> int:
    if ns is None or ns is init_user_ns:
        return kgid
    gid = ns.gid_map.up(kgid)
    return OVERFLOWGID if gid < 0 else gid


def kuid_has_mapping(ns, kuid: int) -> bool:
    return ns is None or ns is init_user_ns or ns.uid_map.up(kuid) >= 0


def kgid_has_mapping(ns, kgid: int) -> bool:
    return ns is None or ns is init_user_ns or ns.gid_map.up(kgid) >= 0


def privileged_wrt_inode_uidgid(ns, st) -> bool:
    """Does ns map the inode's owner and group (so its capabilities apply to it)?"""
    return kuid_has_mapping(ns, st.st_uid) and kgid_has_mapping(ns, st.st_gid)


def in_userns(ancestor, child) -> bool:
    """Is child ancestor itself or nested below it?"""
    while child is not None and child.level > ancestor.level:
        child = child.parent
    return child is ancestor


def set_cred_user_ns(cred, ns) -> None:
    """A task entering ns starts with every capability there and no inheritable ones."""
    cred.cap_permitted = cred.cap_effective = cred.cap_bset = CAP_FULL_SET
    cred.cap_inheritable = cred.cap_ambient = 0
    cred.securebits = 0
    cred.user_ns = ns


def create_user_ns(task, cred) -> None:
    """create_user_ns: a child of cred's namespace owned by its euid/egid, installed in
    cred. ENOSPC past the nesting limit; EPERM in a chroot or when the creator's ids
    have no mapping in the parent (who made it could not be told)."""
    from glasskernel.kernel.pid import ns_alloc_inum
    parent = cred_user_ns(cred)
    if parent.level > USER_NS_MAX_LEVEL:
        raise KernelError(Errno.ENOSPC)
    if current_chrooted(task):
        raise KernelError(Errno.EPERM)
    if not kuid_has_mapping(parent, cred.euid) or not kgid_has_mapping(parent, cred.egid):
        raise KernelError(Errno.EPERM)
    ns = UserNamespace(parent, cred.euid, cred.egid, ns_alloc_inum())
    ns.parent_could_setfcap = bool(cred.cap_effective >> CAP_SETFCAP & 1)
    set_cred_user_ns(cred, ns)


def current_chrooted(task) -> bool:
    """Is the task's root other than its mount namespace's root (after chroot(2))?"""
    fs = task.fs
    root = fs.root if fs is not None else None
    return root is not None and getattr(root, "path", "/") != "/"


def userns_install(nsset, ns) -> None:
    """setns into a user namespace: not our own (EINVAL), only single-threaded with an
    unshared fs_struct (EINVAL), with CAP_SYS_ADMIN there (EPERM)."""
    from glasskernel.kernel.capability import ns_capable
    task = nsset.task
    if ns is current_user_ns(task):
        raise KernelError(Errno.EINVAL)
    if task.signal.nr_threads > 1:
        raise KernelError(Errno.EINVAL)
    if task.fs is not None and task.fs.users != 1:
        raise KernelError(Errno.EINVAL)
    if not ns_capable(task, ns, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    set_cred_user_ns(nsset.new_cred(), ns)


def userns_may_setgroups(ns) -> bool:
    """setgroups is allowed once a gid_map is written, unless "deny" was written first."""
    return bool(ns.gid_map.extents) and bool(ns.flags & USERNS_SETGROUPS_ALLOWED)


# ----- /proc/PID/uid_map, gid_map, setgroups ---------------------------------------------------

def map_show(ns, map_name: str, reader_cred) -> bytes:
    """uid_m_show/gid_m_show: each extent, its lower ids as the reader's namespace (or,
    for a reader inside ns, the parent) sees them."""
    lower_ns = cred_user_ns(reader_cred)
    if lower_ns is ns and ns.parent is not None:
        lower_ns = ns.parent
    show = from_kuid if map_name == "uid_map" else from_kgid
    return "".join(f"{first:10d} {show(lower_ns, lower):10d} {count:10d}\n"
                   for first, lower, count in getattr(ns, map_name).extents).encode()


def proc_map_write(ns, map_name: str, opener_cred, data: bytes, pos: int) -> int:
    """proc_uid_map_write/proc_gid_map_write: written once, by a task in ns or its parent."""
    if ns.parent is None:
        raise KernelError(Errno.EPERM)
    seq_ns = cred_user_ns(opener_cred)
    if seq_ns is not ns and seq_ns is not ns.parent:
        raise KernelError(Errno.EPERM)
    return map_write(ns, map_name, opener_cred, data, pos)


def _parse_map(data: bytes) -> list:
    """The lines "first lower count" of a map write; EINVAL on junk, overlaps, wraps."""
    import re
    extents = []
    text = data.decode("latin-1")
    lines = text.split("\n")
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
    for i, line in enumerate(lines):
        m = re.fullmatch(r"\s*(\d*)(\s+)(\d*)(\s+)(\d*)\s*", line)
        if m is None:
            raise KernelError(Errno.EINVAL)
        first, lower, count = (int(g or "0") & U32 for g in m.group(1, 3, 5))
        if first == U32 or lower == U32:
            raise KernelError(Errno.EINVAL)
        if count == 0 or first + count > U32 or lower + count > U32:     # u32 wrap
            raise KernelError(Errno.EINVAL)
        for pf, pl, pc in extents:
            if pf <= first + count - 1 and pf + pc - 1 >= first:
                raise KernelError(Errno.EINVAL)
            if pl <= lower + count - 1 and pl + pc - 1 >= lower:
                raise KernelError(Errno.EINVAL)
        if len(extents) + 1 == UID_GID_MAP_MAX_EXTENTS and i + 1 < len(lines):
            raise KernelError(Errno.EINVAL)
        extents.append((first, lower, count))
    if not extents:
        raise KernelError(Errno.EINVAL)
    return extents


def map_write(ns, map_name: str, cred, data: bytes, pos: int) -> int:
    """map_write: one successful write at offset 0 of less than a page, with
    CAP_SYS_ADMIN over ns; ids the writer may use; lower ids mapped in the parent."""
    from glasskernel.security.commoncap import cap_capable
    if pos != 0 or len(data) >= PAGE_SIZE:
        raise KernelError(Errno.EINVAL)
    idmap = getattr(ns, map_name)
    if idmap.extents:
        raise KernelError(Errno.EPERM)
    cap_setid = CAP_SETUID if map_name == "uid_map" else CAP_SETGID
    if not cap_capable(cred, CAP_SYS_ADMIN, ns):
        raise KernelError(Errno.EPERM)
    extents = _parse_map(bytes(data).split(b"\0", 1)[0])
    if not new_idmap_permitted(cred, ns, cap_setid, extents):
        raise KernelError(Errno.EPERM)
    parent_map = getattr(ns.parent, map_name)
    kernel_extents = []
    for first, lower, count in extents:
        klower = parent_map.down(lower, count)
        if klower < 0:
            raise KernelError(Errno.EPERM)
        kernel_extents.append((first, klower, count))
    idmap.extents = kernel_extents
    return len(data)


def new_idmap_permitted(cred, ns, cap_setid: int, extents: list) -> bool:
    """The owner may map just its own euid (or, after setgroups "deny", its egid); any
    other map needs cap_setid over the parent (and CAP_SETFCAP there to map root)."""
    from glasskernel.security.commoncap import cap_capable
    if cap_setid == CAP_SETUID and any(lower == 0 for _f, lower, _c in extents):
        if ns is cred_user_ns(cred):
            if not ns.parent_could_setfcap:
                return False
        elif not cap_capable(cred, CAP_SETFCAP, ns.parent):
            return False
    if len(extents) == 1 and extents[0][2] == 1 and ns.owner == cred.euid:
        lower = extents[0][1]
        if cap_setid == CAP_SETUID and make_kuid(ns.parent, lower) == cred.euid:
            return True
        if (cap_setid == CAP_SETGID and not ns.flags & USERNS_SETGROUPS_ALLOWED
                and make_kgid(ns.parent, lower) == cred.egid):
            return True
    return cap_capable(cred, cap_setid, ns.parent)


def cap_capable_over(cred, ns) -> bool:
    """CAP_SYS_ADMIN over ns, for cred."""
    from glasskernel.security.commoncap import cap_capable
    return cap_capable(cred, CAP_SYS_ADMIN, ns)


def setgroups_show(ns) -> bytes:
    return b"allow\n" if ns.flags & USERNS_SETGROUPS_ALLOWED else b"deny\n"


def proc_setgroups_write(ns, opener_cred, data: bytes, pos: int) -> int:
    """"allow" or "deny" (spaces after); deny only before a gid_map, allow only if not
    denied. Opening it for writing needs CAP_SYS_ADMIN over ns (proc_setgroups_open)."""
    if pos != 0 or len(data) >= 8:
        raise KernelError(Errno.EINVAL)
    text = bytes(data).split(b"\0", 1)[0]
    if text.startswith(b"allow"):
        allowed, rest = True, text[5:]
    elif text.startswith(b"deny"):
        allowed, rest = False, text[4:]
    else:
        raise KernelError(Errno.EINVAL)
    if rest.strip(b" \t\n\v\f\r"):
        raise KernelError(Errno.EINVAL)
    if allowed:
        if not ns.flags & USERNS_SETGROUPS_ALLOWED:
            raise KernelError(Errno.EPERM)
    else:
        if ns.gid_map.extents:
            raise KernelError(Errno.EPERM)
        ns.flags &= ~USERNS_SETGROUPS_ALLOWED
    return len(data)


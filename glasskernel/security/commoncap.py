"""The capability rules every Linux runs (security/commoncap.c): capset's checks, what
set*uid and execve do to the capability sets, and the capability prctls.

Capabilities are held in the credentials' user namespace (kernel/user_namespace.py) and
count there and in every namespace below it that the same euid created; "root" is uid 0
of the initial namespace. There are no file capabilities: an executable never has
any (get_file_caps finds none), so execve gives root the bounding set and everyone else
only the ambient set.
"""
from glasskernel.uapi.capability import (
    CAP_FS_SET, CAP_SETPCAP, SECURE_ALL_BITS, SECURE_ALL_LOCKS, SECURE_KEEP_CAPS,
    SECURE_KEEP_CAPS_LOCKED, SECURE_NO_CAP_AMBIENT_RAISE, SECURE_NO_SETUID_FIXUP,
    SECURE_NOROOT, cap_issubset, cap_raised, cap_valid, issecure_mask)
from glasskernel.uapi.errno import Errno, KernelError

LSM_SETID_ID, LSM_SETID_RE, LSM_SETID_RES, LSM_SETID_FS = 1, 2, 4, 8
PR_CAPBSET_READ, PR_CAPBSET_DROP = 23, 24
PR_GET_KEEPCAPS, PR_SET_KEEPCAPS = 7, 8
PR_GET_SECUREBITS, PR_SET_SECUREBITS = 27, 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER, PR_CAP_AMBIENT_CLEAR_ALL = 1, 2, 3, 4
CAP_PRCTL_OPTIONS = frozenset((PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS,
                               PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_CAP_AMBIENT))


def issecure(cred, bit: int) -> bool:
    return bool(cred.securebits & issecure_mask(bit))


def cap_capable(cred, cap: int, targ_ns=None) -> bool:
    """cap_capable: does cred have ``cap`` over user namespace targ_ns (default: its
    own)? In its own namespace the effective set decides; in one below it, being the
    euid that created it (or an ancestor of it) gives every capability; elsewhere none."""
    own = cred.user_ns
    if targ_ns is None or targ_ns is own:
        return cap_raised(cred.cap_effective, cap)
    from glasskernel.kernel.user_namespace import init_user_ns
    own = own or init_user_ns
    ns = targ_ns
    while True:
        if ns is own:
            return cap_raised(cred.cap_effective, cap)
        if ns.level <= own.level:
            return False
        if ns.parent is own and ns.owner == cred.euid:
            return True
        ns = ns.parent


def cap_inh_is_capped(cred) -> bool:
    """Without CAP_SETPCAP, the new inheritable set must come from the old one and
    the permitted set."""
    return not cap_capable(cred, CAP_SETPCAP)


def cap_capset(new, old, effective: int, inheritable: int, permitted: int) -> None:
    """cap_capset: EPERM unless pI' is within pI|pP (or CAP_SETPCAP) and within
    pI|bset, pP' within pP and pE' within pP'; then the ambient set keeps only what is
    both permitted and inheritable."""
    if cap_inh_is_capped(old) and not cap_issubset(inheritable, old.cap_inheritable | old.cap_permitted):
        raise KernelError(Errno.EPERM)
    if not cap_issubset(inheritable, old.cap_inheritable | old.cap_bset):
        raise KernelError(Errno.EPERM)
    if not cap_issubset(permitted, old.cap_permitted):
        raise KernelError(Errno.EPERM)
    if not cap_issubset(effective, permitted):
        raise KernelError(Errno.EPERM)
    new.cap_effective, new.cap_inheritable, new.cap_permitted = effective, inheritable, permitted
    new.cap_ambient &= permitted & inheritable


def root_uid(cred) -> int:
    """The kernel uid of root in the cred's user namespace (-1 when it maps none)."""
    ns = cred.user_ns
    if ns is None:
        return 0
    from glasskernel.kernel.user_namespace import make_kuid
    return make_kuid(ns, 0)


def cap_emulate_setxuid(new, old) -> None:
    """Leaving root in all of real, effective and saved drops pP and pE (unless
    SECBIT_KEEP_CAPS) and always pA; an effective uid leaving root drops pE, one
    returning to root gets pE = pP back (root: uid 0 of the cred's user namespace)."""
    root = root_uid(old)
    was_root = root in (old.uid, old.euid, old.suid)
    if was_root and root not in (new.uid, new.euid, new.suid):
        if not issecure(new, SECURE_KEEP_CAPS):
            new.cap_permitted = new.cap_effective = 0
        new.cap_ambient = 0
    if old.euid == root and new.euid != root:
        new.cap_effective = 0
    if old.euid != root and new.euid == root:
        new.cap_effective = new.cap_permitted


def cap_task_fix_setuid(new, old, flags: int) -> None:
    """After a set*uid (or setfsuid, LSM_SETID_FS) changed ``new``, make the capability
    sets follow, unless SECBIT_NO_SETUID_FIXUP."""
    if issecure(new, SECURE_NO_SETUID_FIXUP):
        return
    if flags != LSM_SETID_FS:
        cap_emulate_setxuid(new, old)
        return
    root = root_uid(old)
    if old.fsuid == root and new.fsuid != root:
        new.cap_effective &= ~CAP_FS_SET
    if old.fsuid != root and new.fsuid == root:
        new.cap_effective |= new.cap_permitted & CAP_FS_SET


def cap_bprm_creds_from_file(new, old, no_new_privs: bool = False) -> bool:
    """execve's new capability sets (``new`` already holds the ids the exec gives).

    No executable has file capabilities here, so pP' = (root ? bset|pI : 0) | pA' and
    pE' = (effective root ? pP' : pA'); a set-id exec clears the ambient set, and
    SECBIT_KEEP_CAPS never survives. Returns whether the exec is "secure" (AT_SECURE).
    """
    effective = False
    new.cap_permitted = 0
    root = root_uid(new)
    if not issecure(new, SECURE_NOROOT):
        if root in (new.euid, new.uid):
            new.cap_permitted = old.cap_bset | old.cap_inheritable
        effective = new.euid == root
    is_setid = new.euid != old.uid or new.egid != old.gid
    if (is_setid or not cap_issubset(new.cap_permitted, old.cap_permitted)) and no_new_privs:
        new.euid, new.egid = new.uid, new.gid        # LSM_UNSAFE_NO_NEW_PRIVS: no more
        new.cap_permitted &= old.cap_permitted       # than before, maybe less
    new.suid = new.fsuid = new.euid
    new.sgid = new.fsgid = new.egid
    if is_setid:
        new.cap_ambient = 0
    new.cap_permitted |= new.cap_ambient
    new.cap_effective = new.cap_permitted if effective else new.cap_ambient
    new.securebits &= ~issecure_mask(SECURE_KEEP_CAPS)
    return is_setid or (new.uid != root and (effective or not cap_issubset(new.cap_permitted, new.cap_ambient)))


def cap_prctl_drop(task, cap: int) -> int:
    """PR_CAPBSET_DROP: EPERM without CAP_SETPCAP, EINVAL for an unknown capability."""
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    if not cap_capable(task.cred, CAP_SETPCAP):
        raise KernelError(Errno.EPERM)
    if not cap_valid(cap):
        raise KernelError(Errno.EINVAL)
    new = prepare_creds(task)
    new.cap_bset &= ~(1 << cap)
    return commit_creds(task, new)


def _set_securebits(task, bits: int) -> int:
    """PR_SET_SECUREBITS: EPERM for changing a locked bit, unlocking, an unknown bit,
    or anything at all without CAP_SETPCAP."""
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    old = task.cred.securebits
    if (((old & SECURE_ALL_LOCKS) >> 1) & (old ^ bits) or old & SECURE_ALL_LOCKS & ~bits
            or bits & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS) or not cap_capable(task.cred, CAP_SETPCAP)):
        raise KernelError(Errno.EPERM)
    new = prepare_creds(task)
    new.securebits = bits
    return commit_creds(task, new)


def _set_keepcaps(task, arg2: int) -> int:
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    if arg2 > 1:
        raise KernelError(Errno.EINVAL)
    if issecure(task.cred, SECURE_KEEP_CAPS_LOCKED):
        raise KernelError(Errno.EPERM)
    new = prepare_creds(task)
    new.securebits = (new.securebits & ~issecure_mask(SECURE_KEEP_CAPS)) | (arg2 << SECURE_KEEP_CAPS)
    return commit_creds(task, new)


def _cap_ambient(task, op: int, cap: int, arg4: int, arg5: int) -> int:
    """PR_CAP_AMBIENT: IS_SET, RAISE (only what is permitted and inheritable, unless
    SECBIT_NO_CAP_AMBIENT_RAISE), LOWER, CLEAR_ALL."""
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    cred = task.cred
    if op == PR_CAP_AMBIENT_CLEAR_ALL:
        if cap | arg4 | arg5:
            raise KernelError(Errno.EINVAL)
        new = prepare_creds(task)
        new.cap_ambient = 0
        return commit_creds(task, new)
    if not cap_valid(cap) or arg4 or arg5:
        raise KernelError(Errno.EINVAL)
    if op == PR_CAP_AMBIENT_IS_SET:
        return int(cap_raised(cred.cap_ambient, cap))
    if op not in (PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER):
        raise KernelError(Errno.EINVAL)
    if op == PR_CAP_AMBIENT_RAISE and (not cap_raised(cred.cap_permitted, cap) or
                                       not cap_raised(cred.cap_inheritable, cap) or
                                       issecure(cred, SECURE_NO_CAP_AMBIENT_RAISE)):
        raise KernelError(Errno.EPERM)
    new = prepare_creds(task)
    if op == PR_CAP_AMBIENT_RAISE:
        new.cap_ambient |= 1 << cap
    else:
        new.cap_ambient &= ~(1 << cap)
    return commit_creds(task, new)


def cap_task_prctl(task, option: int, arg2: int, arg3: int, arg4: int, arg5: int) -> int:
    """The capability prctls (arguments are unsigned longs); the caller routes only
    CAP_PRCTL_OPTIONS here."""
    cred = task.cred
    if option == PR_CAPBSET_READ:
        if not cap_valid(arg2):
            raise KernelError(Errno.EINVAL)
        return int(cap_raised(cred.cap_bset, arg2))
    if option == PR_CAPBSET_DROP:
        return cap_prctl_drop(task, arg2)
    if option == PR_SET_SECUREBITS:
        return _set_securebits(task, arg2)
    if option == PR_GET_SECUREBITS:
        return cred.securebits
    if option == PR_GET_KEEPCAPS:
        return int(issecure(cred, SECURE_KEEP_CAPS))
    if option == PR_SET_KEEPCAPS:
        return _set_keepcaps(task, arg2)
    return _cap_ambient(task, arg2, arg3, arg4, arg5)

"""Task credentials (kernel/cred.c): prepare a copy, change it, commit it.

A task's ``Cred`` is replaced as a whole (``commit_creds``) rather than changed in place,
so a change that fails half-way leaves the task's ids and capabilities as they were, and
commit_creds sees the old and the new to decide what else a change of identity resets.
"""
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.uapi.capability import cap_issubset
from glasskernel.uapi.sched import CLONE_NEWUSER


@traced()
def copy_creds(flags, current, p) -> None:
    """copy_process's credentials step: the child's own copy of the parent's;
    CLONE_NEWUSER puts it in a new user namespace."""
    from glasskernel.kernel.fork import struct_copy
    p.cred = struct_copy(current.cred)
    if flags & CLONE_NEWUSER:
        from glasskernel.kernel.user_namespace import create_user_ns
        create_user_ns(current, p.cred)


def prepare_creds(task):
    """A private copy of the task's credentials, to change and then commit."""
    from glasskernel.kernel.fork import struct_copy
    return struct_copy(task.cred)


def commit_creds(task, new) -> int:
    """Install ``new``. A change of effective or fs ids, or a gain of permitted
    capabilities, makes the process non-dumpable (suid_dumpable 0) and clears its
    parent-death signal, as Linux does for any change of identity."""
    old = task.cred
    if (old.euid != new.euid or old.egid != new.egid or old.fsuid != new.fsuid
            or old.fsgid != new.fsgid or not cap_issubset(new.cap_permitted, old.cap_permitted)):
        task.dumpable = 0
        task.pdeath_signal = 0
    task.cred = new
    return 0


def bprm_creds_from_file(bprm) -> None:
    """execve's credentials, past the point of no return: compute them (the capability
    rules of cap_bprm_creds_from_file), set the new mm's dumpability from the ids the
    exec started with, and commit them. A "secure" exec loses its parent-death signal."""
    from glasskernel.security.commoncap import cap_bprm_creds_from_file
    task = bprm.task
    old = task.cred
    new = prepare_creds(task)
    bprm.secureexec = cap_bprm_creds_from_file(new, old, bool(task.no_new_privs))
    if bprm.secureexec:
        task.pdeath_signal = 0
    task.dumpable = 1 if old.euid == old.uid and old.egid == old.gid else 0
    commit_creds(task, new)

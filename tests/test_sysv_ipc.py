"""System V IPC (glasskernel/ipc/): differential tests of shm, sem and msg.

The programs print only what does not depend on the host's other IPC objects (ids and
keys are compared, not printed), and remove everything they make, so the native run
leaves the host as it found it. They switch to uid 1000 for the permission checks, so
they run as root only.
"""
from __future__ import annotations

import os

import pytest

from harness import differential

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switches uids: needs root")


def test_shm(build, toolchain):
    """shmget/shmat/shmdt/shmctl: keys and IPC_PRIVATE, sizes, attach addresses
    (SHM_RND, SHM_REMAP), SHM_RDONLY (SIGSEGV on a write, EACCES for mprotect), sharing
    across fork, detach at exit and exec, IPC_RMID while attached (SHM_DEST, key gone,
    destroyed at the last detach), IPC_STAT/IPC_SET/IPC_INFO/SHM_INFO/SHM_STAT(_ANY),
    SHM_LOCK, permissions of another uid, /proc/self/maps."""
    exe = build("ipc_shm", toolchain)
    native, _ = differential([exe])
    assert b"child sees: parent wrote this / tail" in native[0]
    assert b"after exec: nattch 0" in native[0]


def test_sem(build, toolchain):
    """semget/semop/semtimedop/semctl: the getters and setters, all-or-nothing semop
    and its errors, sleepers woken by semop and SETVAL (GETNCNT/GETZCNT count them),
    EIDRM on removal, EINTR despite SA_RESTART, the timeout, SEM_UNDO at exit (clamped,
    forgotten by SETVAL, not inherited by fork, its range), another uid's permissions,
    /proc/sysvipc/sem. Children report through their exit status, so output order does
    not depend on scheduling."""
    exe = build("ipc_sem", toolchain)
    native, _ = differential([exe])
    assert b"removed under it: Identifier removed" in native[0]
    assert b"[after undo at exit] 0 4" in native[0]


def test_msg(build, toolchain):
    """msgget/msgsnd/msgrcv/msgctl: types (0, n, -n, MSG_EXCEPT), MSG_NOERROR and E2BIG,
    IPC_NOWAIT, MSG_COPY, the argument errors, q_qbytes (raising it past msgmnb needs
    CAP_SYS_RESOURCE), a sender sleeping on a full queue, receivers woken by a send (or
    given E2BIG), EINTR despite SA_RESTART, EIDRM on removal for receivers and senders,
    IPC_INFO/MSG_INFO/MSG_STAT, another uid's permissions, /proc/sysvipc/msg."""
    exe = build("ipc_msg", toolchain)
    native, _ = differential([exe])
    assert b"receiver of a removed queue: Identifier removed" in native[0]
    assert b"sleeping sender: status 0" in native[0]

"""Namespaces (kernel/nsproxy.py, kernel/utsname.py, kernel/user_namespace.py,
kernel/time_namespace.py, fs/proc/namespaces.py): the same programs natively (as root)
and under glasskernel. Every program changes namespaces only in forked children that
unshared first, so the native runs leave the host as it was."""
import os

import pytest

from harness import differential, run_glasskernel

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="creating namespaces natively needs CAP_SYS_ADMIN")


@needs_root
def test_uts_namespace(build, toolchain):
    """sethostname/setdomainname and /proc/sys/kernel/{hostname,domainname} after
    unshare(CLONE_NEWUTS) change the child's names only; EINVAL/EFAULT/EPERM as Linux."""
    native, _ = differential([build("ns_uts", toolchain)])
    assert b"child nodename ns-guest-a domainname dom.example" in native[0]
    assert b"parent nodename unchanged: yes" in native[0]
    assert b"unprivileged sethostname: -1 Operation not permitted" in native[0]


@needs_root
def test_user_namespace(build, toolchain):
    """uid_map/gid_map/setgroups write rules, ids before and after mapping (getuid,
    getresuid, /proc/self/status, stat), capabilities inside but not over the initial
    namespace, nesting to 33 levels (ENOSPC), clone(CLONE_NEWUSER) mapped from outside."""
    native, _ = differential([build("ns_user", toolchain)])
    out = native[0]
    assert b"unmapped: uid 65534" in out and b"mapped: uid 0" in out
    assert b"raise hard limit: -1 Operation not permitted" in out
    assert b"nesting stops after 33: No space left on device" in out
    assert b"clone child after map: uid 0" in out


@needs_root
def test_time_namespace(build, toolchain):
    """timens_offsets seen by the children through libc's clock_gettime (the vDSO) and
    the raw syscall, sysinfo, /proc/uptime; taken out of absolute sleeps and timerfds;
    frozen once a task entered (EACCES)."""
    native, _ = differential([build("ns_time", toolchain)])
    out = native[0]
    assert b"vdso monotonic +100000" in out and b"syscall boottime +200000" in out
    assert b"offsets after a task entered: -1 Permission denied" in out
    assert b"vdso monotonic after setns +0" in out
    assert b"own vdso monotonic after setns +100000" in out


@needs_root
def test_unshare_setns(build, toolchain):
    """The unshare/setns errno matrix, joining by nsfs fd and by pidfd, the NS_GET_*
    ioctls, and /proc/PID/ns links same or different as the namespaces are."""
    native, _ = differential([build("ns_setns", toolchain)])
    out = native[0]
    assert b"setns pidfd ipc|net: 0" in out and b"hostname now sibling" in out
    assert b"threaded unshare CLONE_NEWUSER: -1 Invalid argument" in out
    assert b"child pid 1" in out
    assert b"pid nesting stops at level 32: No space left on device" in out


def test_time_namespace_no_shared_mm(build):
    """Linux 6.1 refuses CLONE_VM (or CLONE_THREAD) while the children's time namespace
    is not the caller's (EINVAL); later kernels allow it, so this is not differential."""
    exe = build("ns_time_vm", "glibc")
    out, err, status = run_glasskernel([exe])
    assert status == 0, err
    assert b"clone CLONE_VM: -1 Invalid argument" in out


def test_unshare_files_nr_open(build):
    """unshare(CLONE_FILES) and fork copy the descriptor table: with fs.nr_open lowered
    below an open descriptor the copy fails with EMFILE (LTP unshare03). Guest only:
    natively it would change the host's sysctl."""
    out, err, status = run_glasskernel([build("ns_nr_open", "glibc")])
    assert status == 0, err
    assert out.decode() == ("write 63: -22\nwrite 64: 2\nunshare CLONE_FILES: -1 Too many open files\n"
                            "fork: -1 Too many open files\nfork after close: 0\n")

"""Identity, system information and resource-limit syscalls (kernel/sys.c).

uname, getpid/gettid/getppid, the uid/gid getters, getgroups (kernel/groups.c), sysinfo and
the rlimit family (getrlimit, setrlimit, prlimit64 and their common do_prlimit). umask is in
fs/open.py. Handlers take raw unsigned 64-bit register values and return the result or
raise KernelError, as everywhere in glasskernel.
"""
import dataclasses
import os
import resource as _host_resource
import struct

from glasskernel.kernel.capability import capable
from glasskernel.kernel.exec_domain import (PER_LINUX32, PER_MASK, UNAME26, override_architecture,
                                            override_release)
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.capability import CAP_SYS_RESOURCE
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import INIT_RLIMITS, RLIM_INFINITY, RLIM_NLIMITS, Rlimit
from glasskernel.uapi.utsname import NewUtsname
from glasskernel.arch.x86.entry.args import int_arg

_RLIMIT64 = struct.Struct("<QQ")
_SYSINFO = struct.Struct("<q3QQQQQQQH6xQQI4x")   # struct sysinfo, 112 bytes on x86-64
NR_OPEN = 1024 * 1024                           # sysctl fs.nr_open's default: ceiling of RLIMIT_NOFILE


def _nr_open() -> int:
    from glasskernel.fs.file import file_sysctl
    return file_sysctl.nr_open


# --- uname ----------------------------------------------------------------------------

def utsname_of(task) -> NewUtsname:
    """The task's UTS identity: its UTS namespace's names (kernel/utsname.py). The host's
    release is reported so programs that check the kernel version behave as they do
    natively; a Kernel may override the initial names with a ``utsname`` attribute."""
    from glasskernel.kernel.utsname import uts_ns_of
    return uts_ns_of(task).name


def sys_uname(task, name) -> int:
    """uname(2) (newuname): copy struct new_utsname to user space."""
    uts = utsname_of(task)
    if task.personality & UNAME26:
        uts = dataclasses.replace(uts, release=override_release(uts.release))
    if task.personality & PER_MASK == PER_LINUX32:
        uts = dataclasses.replace(uts, machine=override_architecture(task, uts.machine))
    copy_to_user(task, name, uts.pack())
    return 0


# --- process identity -----------------------------------------------------------------

def _vnr(task, target, tgid: bool) -> int:
    """target's number as task sees it (the root number for tasks without pid links)."""
    links = task.pid_links
    if not links or len(links) == 1 or not target.pid_links:
        return target.tgid if tgid else target.pid      # the root namespace: root numbers
    from glasskernel.kernel.pid import task_pid_vnr, task_tgid_vnr
    return task_tgid_vnr(target, task) if tgid else task_pid_vnr(target, task)


def sys_getpid(task) -> int:
    """getpid(2): the thread-group id, which is what user space calls the process id."""
    return _vnr(task, task, True)


def sys_gettid(task) -> int:
    """gettid(2): this thread's own id."""
    return _vnr(task, task, False)


def sys_getppid(task) -> int:
    """getppid(2): the parent's process id as we see it; 0 if it is outside our namespace."""
    parent = task.real_parent or task.parent
    return _vnr(task, parent, True) if parent is not None else 0


def _uid_out(task, kuid: int) -> int:
    """from_kuid_munged in the caller's user namespace."""
    ns = task.cred.user_ns
    if ns is None:
        return kuid
    from glasskernel.kernel.user_namespace import from_kuid
    return from_kuid(ns, kuid)


def _gid_out(task, kgid: int) -> int:
    ns = task.cred.user_ns
    if ns is None:
        return kgid
    from glasskernel.kernel.user_namespace import from_kgid
    return from_kgid(ns, kgid)


def sys_getuid(task) -> int:
    return _uid_out(task, task.cred.uid)


def sys_geteuid(task) -> int:
    return _uid_out(task, task.cred.euid)


def sys_getgid(task) -> int:
    return _gid_out(task, task.cred.gid)


def sys_getegid(task) -> int:
    return _gid_out(task, task.cred.egid)


def sys_getgroups(task, gidsetsize, grouplist) -> int:
    """getgroups(2) (kernel/groups.c): size 0 asks for the count; too small a size is EINVAL."""
    size = int_arg(gidsetsize)
    groups = tuple(_gid_out(task, g) for g in task.cred.groups)
    if size < 0:
        raise KernelError(Errno.EINVAL)
    if size == 0:
        return len(groups)
    if size < len(groups):
        raise KernelError(Errno.EINVAL)
    copy_to_user(task, grouplist, struct.pack(f"<{len(groups)}I", *groups))
    return len(groups)


# --- sysinfo --------------------------------------------------------------------------

def _host_meminfo() -> dict:
    """Fields of the host's /proc/meminfo in bytes (empty when unreadable)."""
    info = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if parts:
                    info[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    except OSError:
        pass
    return info


def _uptime_seconds(task) -> int:
    """Seconds since this kernel booted (what /proc/uptime says), rounded up as
    get_avenrun's caller does for a part second."""
    from glasskernel.kernel.time_namespace import timens_add_boottime
    kernel = task.kernel
    ns = timens_add_boottime(task, max(kernel.clock_ns() - kernel.boot_time_ns, 0))
    return -(-ns // 1_000_000_000)


def sysinfo_values(task) -> tuple:
    """The fields of struct sysinfo: the uptime of this kernel, the guest's RAM (--mem)
    and what is free of it, no swap, no load average, our own process count."""
    meminfo = _host_meminfo()
    page = os.sysconf("SC_PAGE_SIZE")
    phys = task.kernel.phys
    total, free = phys.total_pages * page, phys.free_pages() * page
    meminfo = dict(meminfo, Shmem=0, Buffers=0, SwapTotal=0, SwapFree=0)
    loads = [0, 0, 0]                   # no load average is kept (/proc/loadavg says 0.00)
    procs = len(task.kernel.tasks) or 1
    return (_uptime_seconds(task), *loads, total, free, meminfo.get("Shmem", 0),
            meminfo.get("Buffers", 0), meminfo.get("SwapTotal", 0), meminfo.get("SwapFree", 0),
            min(procs, 0xFFFF), 0, 0, 1)


def sys_sysinfo(task, info) -> int:
    """sysinfo(2): uptime, loads, memory and swap sizes (mem_unit 1), number of tasks."""
    copy_to_user(task, info, _SYSINFO.pack(*sysinfo_values(task)))
    return 0


# --- resource limits ------------------------------------------------------------------

_RLIMIT_BY_NUMBER = {int(r): r for r in Rlimit}


class Rlimits(dict):
    """signal_struct->rlim: resource -> (cur, max), keyed by ``Rlimit``.

    Lookups also accept the name ("RLIMIT_STACK") or the plain number, so callers may use
    whichever they hold.
    """

    @staticmethod
    def key(resource):
        if isinstance(resource, str):
            return Rlimit[resource]
        key = _RLIMIT_BY_NUMBER.get(int(resource))    # (Rlimit(n) costs an enum call:
        if key is None:                                # this is on the stack-growth path)
            raise ValueError(f"{resource} is not a valid Rlimit")
        return key

    def __getitem__(self, resource):
        return super().__getitem__(self.key(resource))

    def __setitem__(self, resource, value):
        super().__setitem__(self.key(resource), tuple(value))

    def __contains__(self, resource):
        try:
            return super().__contains__(self.key(resource))
        except (KeyError, ValueError):
            return False

    def get(self, resource, default=None):
        # An IntEnum member hashes and compares as its number, so a plain number finds
        # its Rlimit key directly (the page-fault path asks for RLIMIT_STACK this way).
        if isinstance(resource, str):
            resource = Rlimit[resource]
        return dict.get(self, resource, default)

    def copy(self) -> "Rlimits":
        """fork's copy of the limits (a new process gets its own signal_struct)."""
        return Rlimits(self)


def task_rlimit(task, resource) -> int:
    """The task's soft limit of a resource (task_rlimit, include/linux/sched/signal.h),
    the boot default if none was set. A plain dict lookup, without Rlimits' name
    conversion: the page-fault path asks for RLIMIT_STACK at every stack growth."""
    return dict.get(task.rlimits or _NO_RLIMITS, resource, INIT_RLIMITS[resource])[0]


_NO_RLIMITS = {}


def _from_host(value: int) -> int:
    return RLIM_INFINITY if value == _host_resource.RLIM_INFINITY or value < 0 else value


_boot_rlimits = None


def default_rlimits() -> Rlimits:
    """The limits a new init task starts with: the host shell's, else the kernel's INIT_RLIMITS.

    Taking the host's values makes ``ulimit -a`` and prlimit agree with native runs. They
    are read once, before raise_host_nofile changes our own.
    """
    global _boot_rlimits
    if _boot_rlimits is None:
        _boot_rlimits = _host_rlimits()
    return _boot_rlimits.copy()


def raise_host_nofile() -> None:
    """Every guest file holds a host descriptor of ours, and all guest processes share
    our one table: its soft limit goes up to the hard one, so that the guest meets its
    own per-process RLIMIT_NOFILE (EMFILE) long before our table (ENFILE for it)."""
    default_rlimits()                              # the guest keeps the host's values
    try:
        soft, hard = _host_resource.getrlimit(_host_resource.RLIMIT_NOFILE)
        if soft != hard:
            _host_resource.setrlimit(_host_resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


def _host_rlimits() -> Rlimits:
    limits = Rlimits(INIT_RLIMITS)
    for res in Rlimit:
        host_id = getattr(_host_resource, res.name, None)
        if host_id is None:
            continue
        try:
            cur, hard = _host_resource.getrlimit(host_id)
        except (ValueError, OSError):
            continue
        limits[res] = (_from_host(cur), _from_host(hard))
    return limits


def _find_task(task, pid: int):
    """The target of prlimit64: 0 or our own ids mean us; others are looked up (ESRCH)."""
    if pid in (0, task.pid, task.tgid):
        return task
    other = task.kernel.tasks.get(pid)
    if other is None:
        raise KernelError(Errno.ESRCH)
    return other


def do_prlimit(task, target, resource: int, new):
    """do_prlimit(): validate and install new (cur, max), return the old pair.

    EINVAL for an unknown resource or cur > max; EPERM for raising the hard limit without
    privilege, or RLIMIT_NOFILE beyond fs.nr_open.
    """
    if not 0 <= resource < RLIM_NLIMITS:
        raise KernelError(Errno.EINVAL)
    if not target.rlimits:
        target.rlimits = default_rlimits()
    old = target.rlimits.get(resource, INIT_RLIMITS[Rlimit(resource)])
    if new is not None:
        cur, hard = new
        if cur > hard:
            raise KernelError(Errno.EINVAL)
        if resource == Rlimit.RLIMIT_CPU and cur != RLIM_INFINITY and task.kernel.in_fast_syscall:
            # It arms a timer: the emulator's unbounded run must end for it to be heard.
            from glasskernel.kernel.sched.wait import SlowPathRequired
            raise SlowPathRequired()
        if resource == Rlimit.RLIMIT_NOFILE and hard > _nr_open():
            raise KernelError(Errno.EPERM)
        if hard > old[1] and not capable(task, CAP_SYS_RESOURCE):
            raise KernelError(Errno.EPERM)
        target.rlimits[resource] = (cur, hard)
        if resource == Rlimit.RLIMIT_AS and target.mm is not None:
            target.mm.rlimit_as = cur              # for stack growth in the fault path
        if resource == Rlimit.RLIMIT_CPU and cur != RLIM_INFINITY:
            from glasskernel.kernel.time_itimer import update_rlimit_cpu
            update_rlimit_cpu(target)              # arm the CPU-time check
    return old


def _read_rlimit(task, addr: int):
    return _RLIMIT64.unpack(copy_from_user(task, addr, _RLIMIT64.size))


def sys_prlimit64(task, pid, resource, new_rlim, old_rlim) -> int:
    """prlimit64(2): get and/or set a limit of this or another process."""
    target = _find_task(task, int_arg(pid))
    new = _read_rlimit(task, new_rlim) if new_rlim else None
    old = do_prlimit(task, target, resource & 0xFFFFFFFF, new)
    if old_rlim:
        copy_to_user(task, old_rlim, _RLIMIT64.pack(*old))
    return 0


def sys_getrlimit(task, resource, rlim) -> int:
    """getrlimit(2): the 64-bit struct rlimit, same as prlimit64 with no new value."""
    old = do_prlimit(task, task, resource & 0xFFFFFFFF, None)
    copy_to_user(task, rlim, _RLIMIT64.pack(*old))
    return 0


def sys_setrlimit(task, resource, rlim) -> int:
    """setrlimit(2)."""
    do_prlimit(task, task, resource & 0xFFFFFFFF, _read_rlimit(task, rlim))
    return 0


# --- credentials (the set*id part of kernel/sys.c) --------------------------------------
# Rules for an unprivileged caller: each new id must be one of the current real, effective
# or saved ids; CAP_SETUID (CAP_SETGID for the gids) may set anything. -1 means
# "unchanged". Each call changes a copy of the creds and commits it; the uid calls then
# let the capability sets follow (cap_task_fix_setuid).

_NO_CHANGE = 0xFFFFFFFF


def _id_arg(value: int) -> int:
    return value & 0xFFFFFFFF


def _kid_arg(task, kind: str, value: int) -> int:
    """make_kuid/make_kgid in the caller's namespace: -1 stays "unchanged"; an id the
    namespace does not map is EINVAL."""
    value = _id_arg(value)
    ns = task.cred.user_ns
    if value == _NO_CHANGE or ns is None:
        return value
    from glasskernel.kernel.user_namespace import make_kgid, make_kuid
    kid = (make_kuid if kind == "u" else make_kgid)(ns, value)
    if kid < 0:
        raise KernelError(Errno.EINVAL)
    return kid


def _allowed(new: int, *current: int) -> bool:
    return new == _NO_CHANGE or new in current


def _set_ids(cred, kind: str, real: int, effective: int, saved: int) -> None:
    """Apply a set[res]uid/gid triple whose members passed the permission check."""
    names = ("uid", "euid", "suid", "fsuid") if kind == "u" else ("gid", "egid", "sgid", "fsgid")
    for name, value in zip(names[:3], (real, effective, saved)):
        if value != _NO_CHANGE:
            setattr(cred, name, value)
    setattr(cred, names[3], getattr(cred, names[1]))


def _ids(cred, kind: str) -> tuple:
    return (cred.uid, cred.euid, cred.suid) if kind == "u" else (cred.gid, cred.egid, cred.sgid)


def _privileged(task, kind: str = "u") -> bool:
    """ns_capable_setid: CAP_SETUID for the uid calls, CAP_SETGID for the gid ones."""
    from glasskernel.kernel.capability import ns_capable
    from glasskernel.kernel.user_namespace import current_user_ns
    from glasskernel.uapi.capability import CAP_SETGID, CAP_SETUID
    return ns_capable(task, current_user_ns(task), CAP_SETUID if kind == "u" else CAP_SETGID)


def _commit_ids(task, kind: str, real: int, effective: int, saved: int, how: int) -> int:
    """Set the ids on a copy of the creds, fix the capabilities up, commit."""
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    from glasskernel.security.commoncap import cap_task_fix_setuid
    new = prepare_creds(task)
    _set_ids(new, kind, real, effective, saved)
    if kind == "u":
        cap_task_fix_setuid(new, task.cred, how)
    return commit_creds(task, new)


def do_setresid(task, kind: str, real: int, effective: int, saved: int) -> int:
    from glasskernel.security.commoncap import LSM_SETID_RES
    real, effective, saved = (_kid_arg(task, kind, v) for v in (real, effective, saved))
    current = _ids(task.cred, kind)
    if not _privileged(task, kind) and not all(_allowed(v, *current) for v in (real, effective, saved)):
        raise KernelError(Errno.EPERM)
    return _commit_ids(task, kind, real, effective, saved, LSM_SETID_RES)


def do_setid(task, kind: str, value: int) -> int:
    """setuid/setgid: privileged callers set all three ids, others only the effective one."""
    from glasskernel.security.commoncap import LSM_SETID_ID
    if _id_arg(value) == _NO_CHANGE:
        raise KernelError(Errno.EINVAL)
    value = _kid_arg(task, kind, value)
    if _privileged(task, kind):
        return _commit_ids(task, kind, value, value, value, LSM_SETID_ID)
    real, _eff, saved = _ids(task.cred, kind)
    if value not in (real, saved):
        raise KernelError(Errno.EPERM)
    return _commit_ids(task, kind, _NO_CHANGE, value, _NO_CHANGE, LSM_SETID_ID)


def do_setreid(task, kind: str, real: int, effective: int) -> int:
    """setreuid/setregid: the saved id follows the effective one when it changes."""
    from glasskernel.security.commoncap import LSM_SETID_RE
    real, effective = _kid_arg(task, kind, real), _kid_arg(task, kind, effective)
    cur_real, cur_eff, cur_saved = _ids(task.cred, kind)
    if not _privileged(task, kind):
        if not _allowed(real, cur_real, cur_eff) or not _allowed(effective, cur_real, cur_eff, cur_saved):
            raise KernelError(Errno.EPERM)
    saved = _NO_CHANGE
    if real != _NO_CHANGE or (effective != _NO_CHANGE and effective != cur_real):
        saved = effective if effective != _NO_CHANGE else cur_eff
    return _commit_ids(task, kind, real, effective, saved, LSM_SETID_RE)


def do_setfsid(task, kind: str, value: int) -> int:
    """setfsuid/setfsgid: always return the old fs id; change it only to one of the
    real, effective, saved or fs ids, or to anything with CAP_SETUID/CAP_SETGID. -1 only
    asks. A new fsuid moves the file-system capabilities in or out of pE."""
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    from glasskernel.security.commoncap import LSM_SETID_FS, cap_task_fix_setuid
    old = task.cred
    fs_name = "fsuid" if kind == "u" else "fsgid"
    old_fs = getattr(old, fs_name)
    shown = (_uid_out if kind == "u" else _gid_out)(task, old_fs)
    try:
        value = _kid_arg(task, kind, value)
    except KernelError:
        return shown                        # an id with no mapping: nothing changes
    if value == _NO_CHANGE or value == old_fs:
        return shown
    if value not in (*_ids(old, kind), old_fs) and not _privileged(task, kind):
        return shown
    new = prepare_creds(task)
    setattr(new, fs_name, value)
    if kind == "u":
        cap_task_fix_setuid(new, old, LSM_SETID_FS)
    commit_creds(task, new)
    return shown


def sys_setfsuid(task, uid) -> int:
    return do_setfsid(task, "u", uid)


def sys_setfsgid(task, gid) -> int:
    return do_setfsid(task, "g", gid)


def sys_setuid(task, uid) -> int:
    return do_setid(task, "u", uid)


def sys_setgid(task, gid) -> int:
    return do_setid(task, "g", gid)


def sys_setreuid(task, ruid, euid) -> int:
    return do_setreid(task, "u", ruid, euid)


def sys_setregid(task, rgid, egid) -> int:
    return do_setreid(task, "g", rgid, egid)


def sys_setresuid(task, ruid, euid, suid) -> int:
    return do_setresid(task, "u", ruid, euid, suid)


def sys_setresgid(task, rgid, egid, sgid) -> int:
    return do_setresid(task, "g", rgid, egid, sgid)


def _put_ids(task, addrs, values) -> int:
    for addr, value in zip(addrs, values):
        copy_to_user(task, addr, struct.pack("<I", value))
    return 0


def sys_getresuid(task, ruid, euid, suid) -> int:
    return _put_ids(task, (ruid, euid, suid), [_uid_out(task, i) for i in _ids(task.cred, "u")])


def sys_getresgid(task, rgid, egid, sgid) -> int:
    return _put_ids(task, (rgid, egid, sgid), [_gid_out(task, i) for i in _ids(task.cred, "g")])


def sys_setgroups(task, gidsetsize, grouplist) -> int:
    """setgroups(2) (kernel/groups.c): privileged only; at most NGROUPS_MAX entries."""
    return do_setgroups(task, int_arg(gidsetsize),
                        lambda size: struct.unpack(f"<{size}I", copy_from_user(task, grouplist, 4 * size)))


def do_setgroups(task, size: int, read_gids) -> int:
    """setgroups' checks, then the gids read_gids(size) returns (a user array of
    gid_t, or of old_gid_t for setgroups16) become the groups."""
    if size < 0 or size > 65536:
        raise KernelError(Errno.EINVAL)
    from glasskernel.kernel.user_namespace import current_user_ns, userns_may_setgroups
    if not _privileged(task, "g") or (task.cred.user_ns is not None
                                      and not userns_may_setgroups(current_user_ns(task))):
        raise KernelError(Errno.EPERM)
    gids = read_gids(size) if size else ()
    from glasskernel.kernel.cred import commit_creds, prepare_creds
    new = prepare_creds(task)
    new.groups = tuple(sorted(set(_kid_arg(task, "g", g) for g in gids)))
    return commit_creds(task, new)


# --- getrusage --------------------------------------------------------------------------
RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1
_RUSAGE = struct.Struct("<qqqq14q")


def _timeval(ns: int) -> tuple:
    return ns // 10**9, ns % 10**9 // 1000


def sys_getrusage(task, who, ru) -> int:
    """getrusage(2): CPU times of the caller, its thread, or its reaped children."""
    copy_to_user(task, ru, _RUSAGE.pack(*getrusage_fields(task, int_arg(who))))
    return 0


def getrusage_fields(task, who: int) -> list:
    """getrusage: the 18 fields of struct rusage (two timevals, then the 14 longs)."""
    if who == RUSAGE_CHILDREN:
        utime, stime, maxrss = task.signal.cutime_ns, task.signal.cstime_ns, task.signal.cmaxrss
    elif who in (RUSAGE_SELF, RUSAGE_THREAD):
        from glasskernel.kernel.sched.cputime import task_cputime, thread_group_cputime
        utime, stime = (thread_group_cputime if who == RUSAGE_SELF else task_cputime)(task)
        maxrss = max(task.signal.maxrss, task.mm.hiwater_rss() if task.mm else 0)
    else:
        raise KernelError(Errno.EINVAL)
    return [*_timeval(utime), *_timeval(stime), maxrss * 4] + [0] * 13     # ru_maxrss: KiB

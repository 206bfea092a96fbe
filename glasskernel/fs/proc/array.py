"""Text of /proc/<pid>/{stat,status,cmdline,environ,comm} (fs/proc/array.c, base.c).

Formats follow Linux 6.1 field for field. Numbers are shown as the reader
(``kernel.current``) sees them. Kernel threads and zombies have no mm: their memory fields
are 0 and their status has no Vm* lines, as in Linux. Counters this kernel does not keep
(page faults, delay accounting) are 0.
"""
import os

from glasskernel.fs.proc.internal import (all_tasks, group_nr_ns, ns_level, pid_nr_ns, pid_ns_of,
                                          tgid_nr_ns, viewer_of)
from glasskernel.kernel.sched.cputime import task_cputime, thread_group_cputime
from glasskernel.fs.proc import task_mmu
from glasskernel.kernel.task import EXIT_DEAD, task_state_index, task_state_to_char

USER_HZ = 100
NSEC_PER_TICK = 1_000_000_000 // USER_HZ
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF
RLIMIT_RSS, RLIMIT_SIGPENDING = 5, 11
SIG_DFL, SIG_IGN = 0, 1
NSIG = 64

# include/linux/sched.h task->flags
PF_EXITING = 0x00000004
PF_FORKNOEXEC = 0x00000040
PF_SUPERPRIV = 0x00000100
PF_NOFREEZE = 0x00008000
PF_KTHREAD = 0x00200000
PF_RANDOMIZE = 0x00400000

# task_state_array: what get_task_state prints, by task_state_index.
task_state_array = ("R (running)", "S (sleeping)", "D (disk sleep)", "T (stopped)",
                    "t (tracing stop)", "X (dead)", "Z (zombie)", "P (parked)", "I (idle)")


# ----- task properties ------------------------------------------------------------------------

def get_task_state(task) -> str:
    """The state field of /proc/PID/status ("S (sleeping)"); stat shows its letter."""
    return task_state_array[task_state_index(task)]


def task_flags(task) -> int:
    """task->flags as Linux would have them for this task."""
    if task.kthread:
        flags = PF_KTHREAD | PF_NOFREEZE | PF_FORKNOEXEC
    else:
        flags = 0               # no PF_RANDOMIZE: layouts are never randomised here
        if not task.did_exec:
            flags |= PF_FORKNOEXEC
    if task.exiting or task.exit_state:
        flags |= PF_EXITING
    return flags


def parent_tgid(task, ns) -> int:
    """task_tgid_nr_ns(real_parent): 0 without a parent or outside the reader's namespace."""
    parent = task.real_parent
    if parent is None or task.exit_state == EXIT_DEAD:
        return 0
    return tgid_nr_ns(parent, ns)


def thread_group(task) -> list:
    """The threads of task's group still in the task table (a zombie leader included)."""
    group = [t for t in all_tasks(task).values() if t.tgid == task.tgid]
    return group or [task]


def num_threads(task) -> int:
    """get_nr_threads: Linux counts a thread until it is released, so zombies count."""
    return len(thread_group(task))


def _tty_fields(task, sig, ns) -> tuple:
    """tty_nr (the device number, encoded as new_encode_dev does) and the terminal's
    foreground group, or 0 and -1 without a controlling terminal."""
    tty = sig.tty if sig is not None else None
    if tty is None:
        return 0, -1
    major, minor = os.major(tty.rdev), os.minor(tty.rdev)
    tty_nr = (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)
    return tty_nr, group_nr_ns(task, tty.pgrp, ns) if tty.pgrp else -1


def _rlimit_cur(task, resource: int, default: int) -> int:
    limits = task.rlimits or {}
    try:
        value = limits.get(resource)
    except (KeyError, ValueError):
        value = None
    return value[0] if value else default


def sig_ign_catch(task) -> tuple:
    """collect_sigign_sigcatch: masks of ignored and caught signals."""
    ignored = caught = 0
    sighand = task.sighand
    actions = sighand.action if sighand is not None else []
    for signo in range(1, min(NSIG, len(actions) - 1) + 1):
        handler = actions[signo].handler
        if handler == SIG_IGN:
            ignored |= 1 << (signo - 1)
        elif handler != SIG_DFL:
            caught |= 1 << (signo - 1)
    return ignored, caught


def shared_pending(task) -> int:
    """signal->shared_pending: always empty here, where a process-wide signal is queued on
    one of its threads (Task.pending) and SigPnd shows it."""
    return 0


def ptrace_may_read(viewer, task) -> bool:
    """ptrace_may_access(PTRACE_MODE_READ_FSCREDS), without LSMs: same ids (and a
    dumpable target) or CAP_SYS_PTRACE."""
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_SYS_PTRACE
    if viewer is task or viewer.tgid == task.tgid:
        return True
    if capable(viewer, CAP_SYS_PTRACE):
        return True
    if task.kthread:
        return False
    vc, tc = viewer.cred, task.cred
    same_user = vc.fsuid == tc.uid == tc.euid == tc.suid
    same_group = vc.fsgid == tc.gid == tc.egid == tc.sgid
    return same_user and same_group and bool(task.dumpable)


def _ticks(ns: int) -> int:
    """nsec_to_clock_t."""
    return max(int(ns), 0) // NSEC_PER_TICK


def _start_ticks(task) -> int:
    """start_time since boot, in the reader's time namespace (timens_add_boottime_ns)."""
    from glasskernel.kernel.time_namespace import timens_add_boottime
    boot = task.kernel.boot_time_ns
    return _ticks(timens_add_boottime(viewer_of(task), (task.start_time_ns or boot) - boot))


# ----- /proc/<pid>/stat -----------------------------------------------------------------------

def do_task_stat(task, whole: bool = True) -> bytes:
    """do_task_stat: the 52 space-separated fields of /proc/<pid>/stat."""
    viewer = viewer_of(task)
    ns = pid_ns_of(viewer)
    permitted = ptrace_may_read(viewer, task)
    mm = task.mm if not task.kthread else None
    sig = task.signal
    group = thread_group(task)
    utime, stime = (thread_group_cputime if whole else task_cputime)(task)
    pending = task.pending              # the thread's private set, as Linux prints it
    cutime = sig.cutime_ns if sig is not None else 0
    cstime = sig.cstime_ns if sig is not None else 0
    pgid = group_nr_ns(task, sig.pgrp, ns) if sig is not None else 0
    sid = group_nr_ns(task, sig.session, ns) if sig is not None else 0
    ignored, caught = sig_ign_catch(task)
    state = task_state_to_char(task)
    wchan = 1 if permitted and state != "R" and (not whole or len(group) < 2) else 0
    vsize = task_mmu.total_vm(mm) * task_mmu.PAGE_SIZE if mm is not None else 0
    rss = task_mmu.rss_pages(mm) if mm is not None else 0
    rsslim = _rlimit_cur(task, RLIMIT_RSS, RLIM_INFINITY)

    fields = [
        pid_nr_ns(task, ns), f"({task.comm[:15]})", state,
        parent_tgid(task, ns), pgid, sid,
        *_tty_fields(task, sig, ns),                       # tty_nr, tpgid
        task_flags(task),
        0, 0, 0, 0,                                         # minflt cminflt majflt cmajflt
        _ticks(utime), _ticks(stime), _ticks(cutime), _ticks(cstime),
        20 + task.nice, task.nice, len(group),
        0,                                                  # itrealvalue
        _start_ticks(task), vsize, rss, rsslim,
        (mm.start_code if permitted else 1) if mm is not None else 0,
        (mm.end_code if permitted else 1) if mm is not None else 0,
        mm.start_stack if permitted and mm is not None else 0,
        0, 0,                                               # kstkesp, kstkeip
        pending & 0x7FFFFFFF, task.blocked & 0x7FFFFFFF,
        ignored & 0x7FFFFFFF, caught & 0x7FFFFFFF,
        wchan, 0, 0,                                        # wchan, nswap, cnswap
        task.exit_signal, 0,                                # exit_signal, processor
        0, 0, 0, 0, 0,                                      # rt_priority policy blkio gtime cgtime
    ]
    if mm is not None and permitted:
        fields += [mm.start_data, mm.end_data,
                   mm.start_brk, *arg_env_bounds(mm)]
    else:
        fields += [0] * 7
    fields.append(task.exit_code if permitted and (task.exiting or task.exit_state) else 0)
    return (" ".join(str(f) for f in fields) + "\n").encode()


def proc_tgid_stat(task) -> bytes:
    return do_task_stat(task, whole=True)


def proc_tid_stat(task) -> bytes:
    return do_task_stat(task, whole=False)


proc_pid_stat = proc_tgid_stat


# ----- /proc/<pid>/status ---------------------------------------------------------------------

def _umask_text(umask: int) -> str:
    """printf("%#04o")."""
    text = "0" + format(umask, "o") if umask else "0"
    return text.rjust(4, "0")


def _max_fds(files) -> int:
    """fdt->max_fds: 64 (NR_OPEN_DEFAULT) until the table grows, then 128 * 2^k."""
    fds = files.fds
    highest = max(fds) if fds else 0
    if highest < 64:
        return 64
    n = highest // 128 + 1
    return 128 * (1 << (n - 1).bit_length())


def _escape_name(name: str) -> str:
    """proc_task_name(escape=true): seq_escape_str(ESCAPE_SPACE | ESCAPE_SPECIAL, "\\n\\\\")."""
    table = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v",
             "\a": "\\a", "\b": "\\b", "\x1b": "\\e", '"': '\\"'}
    return "".join(table.get(c, c) for c in name)


def _ns_levels(task, viewer_ns) -> list:
    """The namespaces from the reader's level down to the task's own (pid->numbers[g].ns)."""
    links = task.pid_links
    if viewer_ns is None or not links:
        return [viewer_ns]
    start = ns_level(viewer_ns)
    return [ns for ns, _ in links if ns_level(ns) >= start]


def task_state(task, viewer) -> list:
    """task_state: Umask .. NSsid."""
    ns = pid_ns_of(viewer)
    cred = task.cred
    lines = []
    if task.fs is not None:
        lines.append(f"Umask:\t{_umask_text(task.fs.umask)}")
    sig = task.signal
    pgrp = sig.pgrp if sig is not None else 0
    session = sig.session if sig is not None else 0
    levels = _ns_levels(task, ns)
    from glasskernel.kernel.user_namespace import cred_user_ns, from_kgid, from_kuid
    user_ns = cred_user_ns(viewer.cred) if viewer is not None else None
    u = [from_kuid(user_ns, i) for i in (cred.uid, cred.euid, cred.suid, cred.fsuid)]
    g = [from_kgid(user_ns, i) for i in (cred.gid, cred.egid, cred.sgid, cred.fsgid)]
    groups = " ".join(str(from_kgid(user_ns, i)) for i in cred.groups)
    lines += [
        f"State:\t{get_task_state(task)}",
        f"Tgid:\t{tgid_nr_ns(task, ns)}",
        "Ngid:\t0",
        f"Pid:\t{pid_nr_ns(task, ns)}",
        f"PPid:\t{parent_tgid(task, ns)}",
        "TracerPid:\t0",
        "Uid:\t" + "\t".join(map(str, u)),
        "Gid:\t" + "\t".join(map(str, g)),
        f"FDSize:\t{_max_fds(task.files) if task.files is not None else 0}",
        f"Groups:\t{groups} ",
        "NStgid:" + "".join(f"\t{tgid_nr_ns(task, n)}" for n in levels),
        "NSpid:" + "".join(f"\t{pid_nr_ns(task, n)}" for n in levels),
        "NSpgid:" + "".join(f"\t{group_nr_ns(task, pgrp, n)}" for n in levels),
        "NSsid:" + "".join(f"\t{group_nr_ns(task, session, n)}" for n in levels),
    ]
    return lines


def _render_sigset(header: str, mask: int) -> str:
    return f"{header}\t{mask & ((1 << NSIG) - 1):016x}"


def task_sig(task) -> list:
    """task_sig: Threads, SigQ and the five signal masks."""
    ignored, caught = sig_ign_catch(task)
    qsize = sum(bin(t.pending).count("1") for t in all_tasks(task).values()
                if t.cred.uid == task.cred.uid)
    qlim = _rlimit_cur(task, RLIMIT_SIGPENDING, 0)
    return [
        f"Threads:\t{num_threads(task)}",
        f"SigQ:\t{qsize}/{qlim}",
        _render_sigset("SigPnd:", task.pending),
        _render_sigset("ShdPnd:", shared_pending(task)),
        _render_sigset("SigBlk:", task.blocked),
        _render_sigset("SigIgn:", ignored),
        _render_sigset("SigCgt:", caught),
    ]


def task_cap(task) -> list:
    """task_cap: the five capability sets of the task's creds."""
    cred = task.cred
    return [f"CapInh:\t{cred.cap_inheritable:016x}", f"CapPrm:\t{cred.cap_permitted:016x}",
            f"CapEff:\t{cred.cap_effective:016x}", f"CapBnd:\t{cred.cap_bset:016x}",
            f"CapAmb:\t{cred.cap_ambient:016x}"]


def task_seccomp(task) -> list:
    return [f"NoNewPrivs:\t{int(bool(task.no_new_privs))}", "Seccomp:\t0",
            "Seccomp_filters:\t0",
            "Speculation_Store_Bypass:\tthread vulnerable",
            "SpeculationIndirectBranch:\tconditional enabled"]


def task_cpus_allowed(task) -> list:
    ncpus = task.kernel.nr_cpus
    mask = (1 << ncpus) - 1
    cpu_list = "0" if ncpus == 1 else f"0-{ncpus - 1}"
    mems = ",".join(["00000000"] * 31 + ["00000001"])
    return [f"Cpus_allowed:\t{mask:x}", f"Cpus_allowed_list:\t{cpu_list}",
            f"Mems_allowed:\t{mems}", "Mems_allowed_list:\t0"]


def proc_pid_status(task) -> bytes:
    """proc_pid_status: the human-readable summary, in Linux 6.1's order."""
    viewer = viewer_of(task)
    lines = [f"Name:\t{_escape_name(task.comm[:15])}"]
    lines += task_state(task, viewer)
    mm = task.mm if not task.kthread else None
    if mm is not None:
        lines += task_mmu.task_mem(mm)
        lines += ["CoreDumping:\t0", "THP_enabled:\t1"]
    lines += task_sig(task)
    lines += task_cap(task)
    lines += task_seccomp(task)
    lines += task_cpus_allowed(task)
    lines += [f"voluntary_ctxt_switches:\t{task.nvcsw}",
              f"nonvoluntary_ctxt_switches:\t{task.nivcsw}"]
    return ("\n".join(lines) + "\n").encode()


# ----- cmdline, environ, comm -----------------------------------------------------------------

def _read_user(mm, start: int, length: int) -> bytes:
    """access_remote_vm: as much of [start, start+length) as is readable."""
    from glasskernel.uapi.errno import KernelError
    if length <= 0:
        return b""
    try:
        return mm.read(start, length)
    except KernelError:
        pass
    # Read page by page and stop at the first hole.
    out = bytearray()
    addr, end = start, start + length
    while addr < end:
        chunk = min(end - addr, task_mmu.PAGE_SIZE - (addr & (task_mmu.PAGE_SIZE - 1)))
        try:
            out += mm.read(addr, chunk)
        except KernelError:
            break
        addr += chunk
    return bytes(out)


AT_EXECFN = 31


def arg_env_bounds(mm) -> tuple:
    """(arg_start, arg_end, env_start, env_end) of the mm.

    exec records them in the mm; where only arg_start was recorded, they are found again
    from the initial stack: argc at start_stack, argc strings from arg_start, then the
    environment strings up to the file name (AT_EXECFN), which exec puts right above them.
    """
    arg_start, arg_end = mm.arg_start, mm.arg_end
    env_start, env_end = mm.env_start, mm.env_end
    if arg_end or not arg_start or not mm.start_stack:
        return arg_start, arg_end, env_start, env_end
    from glasskernel.uapi.errno import KernelError
    try:
        argc = int.from_bytes(mm.read(mm.start_stack, 8), "little")
        addr = arg_start
        for _ in range(min(argc, 1 << 20)):
            addr += len(mm.read_cstring(addr, 1 << 17)) + 1
    except KernelError:
        return arg_start, 0, 0, 0
    env_end = addr
    auxv = mm.auxv
    for i in range(0, len(auxv) - 15, 16):
        if int.from_bytes(auxv[i:i + 8], "little") == AT_EXECFN:
            execfn = int.from_bytes(auxv[i + 8:i + 16], "little")
            if execfn >= addr:
                env_end = execfn
            break
    return arg_start, addr, addr, env_end


def proc_pid_cmdline(task) -> bytes:
    """get_mm_cmdline: the argv strings, each NUL-terminated; setproctitle-aware."""
    mm = task.mm if not task.kthread else None
    if mm is None:
        return b""
    arg_start, arg_end, env_start, env_end = arg_env_bounds(mm)
    if not arg_start or arg_start >= arg_end:
        return b""
    if env_start != arg_end or env_end < env_start:
        env_start = env_end = arg_end
    last = _read_user(mm, arg_end - 1, 1)
    if last and last != b"\0":
        # The NUL that ended the arguments was overwritten: setproctitle(3). Show one
        # string, which may run into the environment area, up to a page.
        data = _read_user(mm, arg_start, min(env_end - arg_start, task_mmu.PAGE_SIZE))
        nul = data.find(b"\0")
        return data if nul < 0 else data[:nul + 1]
    return _read_user(mm, arg_start, arg_end - arg_start)


def proc_pid_environ(task) -> bytes:
    """environ_read: the environment strings as exec left them."""
    mm = task.mm if not task.kthread else None
    if mm is None:
        return b""
    _, _, env_start, env_end = arg_env_bounds(mm)
    if not env_start or env_end <= env_start:
        return b""
    return _read_user(mm, env_start, env_end - env_start)


def proc_pid_comm(task) -> bytes:
    return (task.comm[:15] + "\n").encode()

"""System-wide /proc files: uptime, loadavg, stat, meminfo, version, cpuinfo
(fs/proc/uptime.c, loadavg.c, stat.c, meminfo.c, version.c, arch/x86/kernel/cpu/proc.c).

Times count from this kernel's boot (``kernel.boot_time_ns``, monotonic), as the
starttime field of /proc/<pid>/stat does, so that ``btime + starttime / HZ`` is the wall
time a process started. CPU time is what the tasks still in the table have used; the rest
of the time since boot is idle. Memory and the CPU model are the host's.
"""
import os
import time

from glasskernel.fs.proc.internal import all_tasks, pid_ns_of

USER_HZ = 100
NSEC_PER_TICK = 1_000_000_000 // USER_HZ
NR_SOFTIRQS = 10


def _now_ns(kernel) -> int:
    return kernel.clock_ns()


def _uptime_ns(kernel) -> int:
    return max(_now_ns(kernel) - kernel.boot_time_ns, 0)


def _cpu_times(viewer) -> dict:
    """Nanoseconds of user, nice, system and idle time since boot (kcpustat)."""
    user = nice = system = 0
    for task in all_tasks(viewer).values():
        if task.nice > 0:
            nice += task.utime_ns
        else:
            user += task.utime_ns
        system += task.stime_ns
    ncpus = viewer.kernel.nr_cpus
    idle = max(_uptime_ns(viewer.kernel) * ncpus - user - nice - system, 0)
    return {"user": user, "nice": nice, "system": system, "idle": idle}


def _nr_running(viewer) -> int:
    from glasskernel.kernel.task import task_state_index
    return sum(1 for t in all_tasks(viewer).values() if task_state_index(t) == 0)


def proc_uptime(viewer) -> bytes:
    """uptime_proc_show: seconds since boot and idle seconds, two decimals (truncated)."""
    from glasskernel.kernel.time_namespace import timens_add_boottime
    uptime = timens_add_boottime(viewer, _uptime_ns(viewer.kernel))
    idle = _cpu_times(viewer)["idle"]
    return (f"{uptime // 10**9}.{uptime % 10**9 // 10**7:02d} "
            f"{idle // 10**9}.{idle % 10**9 // 10**7:02d}\n").encode()


def proc_loadavg(viewer) -> bytes:
    """loadavg_proc_show: this kernel keeps no load average; running/threads and last pid."""
    tasks = all_tasks(viewer)
    ns = pid_ns_of(viewer)
    last_pid = getattr(ns, "last_pid", 0) if ns is not None else max(tasks, default=0)
    return f"0.00 0.00 0.00 {_nr_running(viewer)}/{len(tasks)} {last_pid}\n".encode()


def proc_stat(viewer) -> bytes:
    """show_stat: cpu times in USER_HZ ticks, context switches, btime, forks."""
    kernel = viewer.kernel
    cpu = _cpu_times(viewer)
    ncpus = kernel.nr_cpus

    def cpu_line(label, div):
        values = [cpu["user"], cpu["nice"], cpu["system"], cpu["idle"]] + [0] * 6
        return label + "".join(f" {v // div // NSEC_PER_TICK}" for v in values)

    tasks = all_tasks(viewer)
    ctxt = sum(t.nvcsw + t.nivcsw for t in tasks.values())
    btime = int(time.time() - _uptime_ns(kernel) / 1e9)
    root_ns = None
    for task in tasks.values():
        links = task.pid_links
        if links:
            root_ns = links[0][0]
            break
    forks = getattr(root_ns, "last_pid", len(tasks)) if root_ns is not None else len(tasks)
    lines = ["cpu " + cpu_line("", 1)]
    lines += [cpu_line(f"cpu{i}", ncpus) for i in range(ncpus)]
    lines += ["intr 0", f"ctxt {ctxt}", f"btime {btime}", f"processes {forks}",
              f"procs_running {_nr_running(viewer)}", "procs_blocked 0",
              "softirq 0" + " 0" * NR_SOFTIRQS]
    return ("\n".join(lines) + "\n").encode()


def proc_meminfo(viewer) -> bytes:
    """meminfo_proc_show: the guest's RAM (--mem), free memory and page cache, no swap;
    the lines this kernel does not keep are the host's."""
    phys = viewer.kernel.phys
    data = _host_meminfo()
    kb = lambda pages: pages * (os.sysconf("SC_PAGE_SIZE") >> 10)   # noqa: E731
    free = kb(phys.free_pages())
    cached = kb(phys.page_cache.count)
    ours = {b"MemTotal": kb(phys.total_pages), b"MemFree": free, b"MemAvailable": free + cached,
            b"Buffers": 0, b"Cached": cached, b"SwapCached": 0, b"Shmem": 0, b"SReclaimable": 0,
            b"SwapTotal": 0, b"SwapFree": 0}
    from glasskernel.mm.hugetlb import hugetlb_report_meminfo
    huge = dict(hugetlb_report_meminfo(phys))        # the guest's pool, not the host's
    lines = []
    for line in data.splitlines(keepends=True):
        name = line.split(b":", 1)[0]
        if name in ours:
            line = (name + b":").ljust(16) + b"%8d kB\n" % ours[name]
        elif name + b":" in huge:
            line = huge.pop(name + b":")
        lines.append(line)
    lines += huge.values()
    return b"".join(lines)


def _host_meminfo() -> bytes:
    try:
        with open("/proc/meminfo", "rb") as f:
            data = f.read()
        if data:
            return data
    except OSError:
        pass
    page = os.sysconf("SC_PAGE_SIZE")
    total = os.sysconf("SC_PHYS_PAGES") * page >> 10
    free = os.sysconf("SC_AVPHYS_PAGES") * page >> 10
    lines = [("MemTotal", total), ("MemFree", free), ("MemAvailable", free), ("Buffers", 0),
             ("Cached", 0), ("SwapCached", 0), ("SwapTotal", 0), ("SwapFree", 0),
             ("Shmem", 0)]
    return "".join(f"{(name + ':').ljust(16)}{value:8d} kB\n" for name, value in lines).encode()


def proc_version(viewer) -> bytes:
    """version_proc_show: "Linux version <release> (<builder>) <version>"."""
    from glasskernel.kernel.sys import utsname_of
    uts = utsname_of(viewer)
    return (f"{uts.sysname} version {uts.release} (glasskernel@glasskernel) "
            f"(glasskernel) {uts.version}\n").encode()


def proc_cpuinfo(viewer) -> bytes:
    """show_cpuinfo: the host's description of its first CPU, once per CPU we emulate."""
    try:
        with open("/proc/cpuinfo", "rb") as f:
            first = f.read().split(b"\n\n", 1)[0]
    except OSError:
        first = b"processor\t: 0\nvendor_id\t: GenuineIntel"
    ncpus = viewer.kernel.nr_cpus
    blocks = []
    for i in range(ncpus):
        lines = first.split(b"\n")
        lines = [(b"processor\t: %d" % i) if line.startswith(b"processor") else line
                 for line in lines]
        blocks.append(b"\n".join(lines) + b"\n\n")
    return b"".join(blocks)


# The file system types this kernel has (fs/filesystems.c), in registration order; none
# needs a block device ("nodev"): the overlay's layers are the host's business.
FILESYSTEMS = ("tmpfs", "proc", "devtmpfs", "sockfs", "pipefs", "devpts", "overlay")
# Character devices by major (fs/proc/devices.c): what /dev holds; no block devices.
CHRDEVS = ((1, "mem"), (5, "/dev/tty"), (5, "/dev/ptmx"), (10, "misc"), (136, "pts"))
BLKDEVS = ((7, "loop"),)


def proc_filesystems(viewer) -> bytes:
    """filesystems_proc_show."""
    return "".join(f"nodev\t{name}\n" for name in FILESYSTEMS).encode()


def proc_devices(viewer) -> bytes:
    """devinfo_show: the character devices, then the block devices (loop)."""
    chars = "".join(f"{major:3d} {name}\n" for major, name in CHRDEVS)
    blocks = "".join(f"{major:3d} {name}\n" for major, name in BLKDEVS)
    return f"Character devices:\n{chars}\nBlock devices:\n{blocks}".encode()


def proc_swaps(viewer) -> bytes:
    """swap_show with no swap area: the header alone."""
    return b"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"


def proc_vmstat(viewer) -> bytes:
    """vmstat_show, for the counters this kernel has: free pages and the page cache;
    no block device and no swap, so no page ever went in or out of either."""
    phys = viewer.kernel.phys
    free = phys.free_pages()
    cached = phys.page_cache.count
    rows = (("nr_free_pages", free), ("nr_file_pages", cached),
            ("pgpgin", 0), ("pgpgout", 0), ("pswpin", 0), ("pswpout", 0))
    return "".join(f"{name} {value}\n" for name, value in rows).encode()

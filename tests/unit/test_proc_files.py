"""procfs per-process files against Linux 6.1's formats (fs/proc/array.c, task_mmu.c, root.c).

The tasks are real Task objects with real pid namespaces and a real MmStruct (page tables
over a small PhysicalMemory), in a real kernel that never runs, on a deterministic clock
100 s after its boot.
"""
import os
import struct
import pytest

from factories import make_kernel, release_kernel
from glasskernel.fs.file import FilesStruct
from glasskernel.fs.fs_struct import FsStruct
from glasskernel.fs.kstat import StatResult
from glasskernel.fs.libfs import SyntheticFs
from glasskernel.fs.proc import array, sysinfo, task_mmu
from glasskernel.fs.proc.root import ProcRoot
from glasskernel.kernel.nsproxy import Nsproxy
from glasskernel.kernel.pid import PROC_PID_INIT_INO, PidNamespace, alloc_pid
from glasskernel.kernel.signal import KSigaction, SighandStruct
from glasskernel.kernel.task import (EXIT_ZOMBIE, TASK_DEAD, TASK_INTERRUPTIBLE, Cred, SignalStruct,
                                     Task, set_current_state)
from glasskernel.mm.mm_types import MmStruct, VmArea
from glasskernel.mm.page_alloc import PhysicalMemory
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

R, W, X, SHARED, GROWSDOWN = (VmFlags.VM_READ, VmFlags.VM_WRITE, VmFlags.VM_EXEC,
                              VmFlags.VM_SHARED, VmFlags.VM_GROWSDOWN)
SEC = 1_000_000_000


def boot_kernel():
    """A deterministic kernel 100 s after its boot (its tasks never run)."""
    kernel = make_kernel(deterministic=True)
    kernel.clock.advance(100 * SEC)
    return kernel


def _files(fds: dict) -> FilesStruct:
    """A descriptor table holding fds (the values stand for open files)."""
    files = FilesStruct()
    files.fds = dict(fds)
    return files


class FakeFile:
    def __init__(self, path, dev=os.makedev(0xFE, 0), ino=4242):
        self.path = path
        self._st = StatResult.synthetic(dev, ino, 0o100755)

    def stat(self):
        return self._st

    def pread(self, count, offset):
        return bytes(count)


@pytest.fixture(scope="module")
def phys():
    return PhysicalMemory(32 << 20)


class World:
    """A kernel with init (pid 1, kthread) and helpers to make processes and threads."""

    def __init__(self, phys):
        self.phys = phys
        self.kernel = boot_kernel()
        self.init = self.kernel.init_task           # pid 1, a kernel thread
        self.root_ns = self.init.pid_links[0][0]
        set_current_state(self.init, TASK_INTERRUPTIBLE)
        self.init.cred = Cred(1000, 1000, 1000, 1000, (1000, 27))
        self.init.start_time_ns = self.kernel.boot_time_ns + 5 * SEC
        self.init.did_exec = True

    def _task(self, ns, comm, parent=None, kthread=False, thread_of=None):
        links = alloc_pid(ns)
        pid = links[0][1]
        tgid = thread_of.tgid if thread_of is not None else pid
        t = Task(kernel=self.kernel, pid=pid, tgid=tgid, comm=comm, kthread=kthread,
                 cred=Cred(1000, 1000, 1000, 1000, (1000, 27)))
        t.pid_links = links
        t.nsproxy = Nsproxy(ns)
        t.sighand = SighandStruct() if thread_of is None else thread_of.sighand
        t.signal = SignalStruct(pgrp=pid, session=pid) if thread_of is None else thread_of.signal
        t.real_parent = t.parent = parent if thread_of is None else thread_of.real_parent
        t.start_time_ns = self.kernel.boot_time_ns + 5 * SEC
        t.did_exec = True
        self.kernel.tasks[pid] = t
        return t

    def process(self, comm, parent, ns=None, argv=(b"prog",), envp=(b"A=1",)):
        t = self._task(ns or self.root_ns, comm, parent=parent)
        t.signal.pgrp, t.signal.session = parent.signal.pgrp, parent.signal.session
        t.fs = FsStruct(None, None)             # root and cwd: no path is walked here
        t.files = _files({0: None, 1: None, 2: None})
        t.mm = self.make_mm(argv, envp)
        return t

    def thread(self, leader, comm=None):
        t = self._task(leader.pid_links[-1][0], comm or leader.comm, thread_of=leader)
        t.mm, t.fs, t.files = leader.mm, leader.fs, leader.files
        return t

    def make_mm(self, argv, envp):
        """A static program's layout: text, data, heap, an anonymous mapping, the stack."""
        mm = MmStruct(self.phys, 0)
        exe = FakeFile("/usr/bin/prog")
        mm.insert_vma(VmArea(0x400000, 0x401000, R, exe, 0))
        mm.insert_vma(VmArea(0x401000, 0x405000, R | X, exe, 0x1000))
        mm.insert_vma(VmArea(0x405000, 0x407000, R | W, exe, 0x5000))
        mm.insert_vma(VmArea(0x407000, 0x409000, R | W, name="[heap]"))
        mm.insert_vma(VmArea(0x7FFFF7FF0000, 0x7FFFF7FF2000, R | W))
        mm.insert_vma(VmArea(0x7FFFF7FF2000, 0x7FFFF7FF3000, R | SHARED, FakeFile("/tmp/shm", ino=7), 0))
        mm.insert_vma(VmArea(0x7FFFFFFDE000, 0x7FFFFFFFF000, R | W | GROWSDOWN, name="[stack]"))
        mm.start_code, mm.end_code = 0x401000, 0x404800
        mm.start_data, mm.end_data = 0x405000, 0x406100
        mm.start_brk, mm.brk = 0x407000, 0x409000
        mm.read(0x401000, 8)                       # fault in one text page (file page)
        mm.write(0x405000, b"x")                   # a private copy of a data page (anon)
        mm.write(0x407000, b"h")                   # heap page (anon)
        # The initial stack as exec builds it: strings at the top, then argc/argv/envp/auxv.
        top = 0x7FFFFFFFF000 - 8
        p = top - len(b"/usr/bin/prog\0")
        execfn = p
        mm.write(p, b"/usr/bin/prog\0")
        env_addrs, arg_addrs = [], []
        for s in reversed(envp):
            p -= len(s) + 1
            mm.write(p, s + b"\0")
            env_addrs.insert(0, p)
        for s in reversed(argv):
            p -= len(s) + 1
            mm.write(p, s + b"\0")
            arg_addrs.insert(0, p)
        words = [len(argv)] + arg_addrs + [0] + env_addrs + [0]
        sp = (p - 8 * len(words) - 64) & ~0xF
        mm.write(sp, struct.pack(f"<{len(words)}Q", *words))
        mm.start_stack = sp
        mm.arg_start = arg_addrs[0] if arg_addrs else p
        mm.auxv = struct.pack("<4Q", 31, execfn, 0, 0)
        return mm

    def read(self, path, viewer):
        """Read /proc/<path> as ``viewer`` does."""
        self.kernel.current = viewer
        node = ProcRoot(SyntheticFs("proc", os.makedev(0, 22), 22), "proc", None)
        for name in [n for n in path.split("/") if n]:
            node = node.lookup(viewer, name)
            if hasattr(node, "get_link") and node.MODE == 0o120777:
                target = node.get_link(viewer)
                for part in target.split("/"):
                    node = node.parent.lookup(viewer, part) if part else node
        f = node.open(viewer, 0)
        return f.read_at(1 << 20, 0)

    def listdir(self, path, viewer):
        self.kernel.current = viewer
        node = ProcRoot(SyntheticFs("proc", os.makedev(0, 22), 22), "proc", None)
        for name in [n for n in path.split("/") if n]:
            node = node.lookup(viewer, name)
        return [name for name, _ino, _type in node.iterate(viewer)]


@pytest.fixture
def world(phys):
    w = World(phys)
    yield w
    release_kernel(w.kernel)


def stat_fields(data: bytes) -> list:
    text = data.decode()
    assert text.endswith("\n")
    head, _, rest = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    return [pid, comm] + rest.split()


def status_dict(data: bytes) -> dict:
    out = {}
    for line in data.decode().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip("\t")
    return out


# ----- /proc/<pid>/stat -----------------------------------------------------------------------

def test_stat_has_52_fields_with_task_state(world):
    sh = world.process("sh", world.init)
    sh.signal.pgrp = sh.signal.session = sh.pid            # its own session and group
    set_current_state(sh, TASK_INTERRUPTIBLE)
    child = world.process("sleep", sh)
    set_current_state(child, TASK_INTERRUPTIBLE)
    child.utime_ns, child.stime_ns = 250_000_000, 30_000_000
    child.nice = 5
    sh.signal.cutime_ns = 3 * SEC
    f = stat_fields(world.read(f"{child.pid}/stat", sh))
    assert len(f) == 52
    assert f[0] == str(child.pid) and f[1] == "sleep" and f[2] == "S"
    assert f[3] == str(sh.pid)                              # ppid
    assert f[4] == f[5] == str(sh.pid)                      # pgrp, session from signal
    assert f[6:9] == ["0", "-1", "0"]             # tty_nr, tpgid, flags (no PF_RANDOMIZE)
    assert f[13:15] == ["25", "3"]                          # utime, stime in ticks
    assert f[17:20] == ["25", "5", "1"]                     # priority, nice, num_threads
    assert f[21] == "500"                                   # starttime: 5 s after boot
    vsize = sum(v.end - v.start for v in child.mm.vmas)
    assert f[22] == str(vsize)
    assert int(f[23]) == task_mmu.rss_pages(child.mm) > 0
    assert f[24] == str(2**64 - 1)
    assert f[25:28] == [str(0x401000), str(0x404800), str(child.mm.start_stack)]
    assert f[34] == "1"                                     # wchan: sleeping
    assert f[37] == "17"                                    # exit_signal
    assert f[44:47] == [str(0x405000), str(0x406100), str(0x407000)]   # data, brk
    assert int(f[47]) == child.mm.arg_start
    assert int(f[48]) > int(f[47])                          # arg_end found from the stack
    assert int(f[49]) == int(f[48]) < int(f[50])            # env_start, env_end
    # the parent's cutime is its children's, reaped
    assert stat_fields(world.read(f"{sh.pid}/stat", sh))[15] == "300"


def test_stat_signal_masks(world):
    p = world.process("p", world.init)
    p.sighand.action[2] = KSigaction(1)                     # SIGINT ignored
    p.sighand.action[15] = KSigaction(0x401234)             # SIGTERM caught
    p.blocked = 1 << 9                                      # SIGUSR1 blocked
    p.pending = 1 << 16                                     # SIGCHLD pending
    f = stat_fields(world.read(f"{p.pid}/stat", p))
    assert f[30:34] == [str(1 << 16), str(1 << 9), str(1 << 1), str(1 << 14)]
    st = status_dict(world.read(f"{p.pid}/status", p))
    assert st["SigPnd"] == "0000000000010000"
    assert st["SigBlk"] == "0000000000000200"
    assert st["SigIgn"] == "0000000000000002"
    assert st["SigCgt"] == "0000000000004000"
    assert st["ShdPnd"] == "0000000000000000"


def test_forked_not_execed_flags(world):
    p = world.process("p", world.init)
    p.did_exec = False
    assert stat_fields(world.read(f"{p.pid}/stat", p))[8] == str(0x40)     # PF_FORKNOEXEC


def test_init_kthread_stat_and_status(world):
    viewer = world.process("ps", world.init)
    f = stat_fields(world.read("1/stat", viewer))
    assert len(f) == 52
    assert f[:6] == ["1", "init", "S", "0", "1", "1"]
    assert int(f[8]) & 0x00200000                           # PF_KTHREAD
    assert f[22:24] == ["0", "0"]                           # no mm: vsize, rss
    assert f[25:28] == ["0", "0", "0"]
    assert world.read("1/cmdline", viewer) == b""
    assert world.read("1/environ", viewer) == b""
    assert world.read("1/maps", viewer) == b""
    assert world.read("1/statm", viewer) == b"0 0 0 0 0 0 0\n"
    st = status_dict(world.read("1/status", viewer))
    assert st["State"] == "S (sleeping)" and st["PPid"] == "0"
    assert "VmSize" not in st and "Umask" not in st


def test_zombie_keeps_its_directory(world):
    sh = world.process("sh", world.init)
    z = world.process("child", sh)
    z.mm = None
    z.fs = z.files = None
    z.exiting = True
    z.exit_state, z._state, z.exit_code = EXIT_ZOMBIE, TASK_DEAD, 3 << 8
    f = stat_fields(world.read(f"{z.pid}/stat", sh))
    assert f[2] == "Z" and f[3] == str(sh.pid)
    assert f[22:24] == ["0", "0"] and f[25:28] == ["0", "0", "0"]
    assert f[51] == str(3 << 8)                             # exit_code for the parent to see
    st = status_dict(world.read(f"{z.pid}/status", sh))
    assert st["State"] == "Z (zombie)" and "VmRSS" not in st
    assert world.read(f"{z.pid}/cmdline", sh) == b""
    assert world.read(f"{z.pid}/statm", sh) == b"0 0 0 0 0 0 0\n"
    assert world.read(f"{z.pid}/maps", sh) == b""
    assert str(z.pid) in world.listdir("", sh)


def test_released_task_is_enoent(world):
    sh = world.process("sh", world.init)
    gone = world.process("gone", sh)
    pid = gone.pid
    del world.kernel.tasks[pid]
    with pytest.raises(KernelError) as err:
        world.read(f"{pid}/stat", sh)
    assert err.value.errno == Errno.ENOENT
    assert str(pid) not in world.listdir("", sh)


# ----- /proc/<pid>/status ---------------------------------------------------------------------

def test_status_fields_and_order(world):
    p = world.process("prog", world.init)
    p.cred = Cred(1000, 1001, 1002, 1003, (4, 27), suid=1004, sgid=1005, fsuid=1006, fsgid=1007)
    p.nvcsw, p.nivcsw = 7, 2
    data = world.read(f"{p.pid}/status", p).decode()
    keys = [line.split(":")[0] for line in data.splitlines()]
    assert keys[:16] == ["Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid",
                         "Uid", "Gid", "FDSize", "Groups", "NStgid", "NSpid", "NSpgid", "NSsid"]
    assert keys[16:32] == ["VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon",
                           "RssFile", "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE",
                           "VmSwap", "HugetlbPages"]
    assert keys[-2:] == ["voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"]
    assert "Umask:\t0022\n" in data
    assert "Uid:\t1000\t1002\t1004\t1006\n" in data
    assert "Gid:\t1001\t1003\t1005\t1007\n" in data
    assert "Groups:\t4 27 \n" in data
    assert "FDSize:\t64\n" in data
    assert "voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n" in data
    vmsize = sum(v.end - v.start for v in p.mm.vmas) >> 10
    assert f"VmSize:\t{vmsize:8d} kB\n" in data
    st = status_dict(data.encode())
    assert st["VmStk"].split()[0] == str((0x7FFFFFFFF000 - 0x7FFFFFFDE000) >> 10)
    assert st["VmExe"].split()[0] == "16"                   # 0x401000..0x405000
    rss = int(st["VmRSS"].split()[0])
    assert rss == task_mmu.rss_pages(p.mm) * 4
    assert rss == sum(int(st[k].split()[0]) for k in ("RssAnon", "RssFile", "RssShmem"))
    assert int(st["RssFile"].split()[0]) >= 4 and int(st["RssAnon"].split()[0]) >= 8


def test_threads_and_task_dir(world):
    p = world.process("prog", world.init)
    t1 = world.thread(p)
    t2 = world.thread(p)
    assert status_dict(world.read(f"{p.pid}/status", p))["Threads"] == "3"
    assert stat_fields(world.read(f"{p.pid}/stat", p))[19] == "3"
    assert world.listdir(f"{p.pid}/task", p) == [str(p.pid), str(t1.pid), str(t2.pid)]
    f = stat_fields(world.read(f"{p.pid}/task/{t2.pid}/stat", p))
    assert f[0] == str(t2.pid) and f[3] == "1"               # a thread's ppid: the process's parent
    st = status_dict(world.read(f"{p.pid}/task/{t1.pid}/status", p))
    assert st["Tgid"] == str(p.pid) and st["Pid"] == str(t1.pid)
    listing = world.listdir("", p)
    assert str(p.pid) in listing and str(t1.pid) not in listing
    # a thread id can still be looked up directly
    assert stat_fields(world.read(f"{t1.pid}/stat", p))[0] == str(t1.pid)
    assert "task" not in world.listdir(f"{p.pid}/task/{t1.pid}", p)


# ----- pid namespaces -------------------------------------------------------------------------

def test_numbers_as_the_reader_sees_them(world):
    outer = world.process("unshare", world.init)
    child_ns = PidNamespace(level=1, parent=world.root_ns)
    inner_init = world.process("sh", outer, ns=child_ns)
    inner_init.signal.pgrp = inner_init.signal.session = inner_init.pid
    inner = world.process("ps", inner_init, ns=child_ns)
    assert inner_init.pid_links[1][1] == 1 and inner.pid_links[1][1] == 2

    # from inside: sh is 1 with no visible parent, ps is 2
    assert sorted(world.listdir("", inner), key=lambda n: (not n.isdigit(), n))[:2] == ["1", "2"]
    assert "self" in world.listdir("", inner)
    assert str(outer.pid) not in [n for n in world.listdir("", inner) if n.isdigit() and n not in ("1", "2")]
    f = stat_fields(world.read("2/stat", inner))
    assert f[0] == "2" and f[3] == "1" and f[4] == "1" and f[5] == "1"
    f = stat_fields(world.read("1/stat", inner))
    assert f[0] == "1" and f[3] == "0"                      # parent outside our namespace
    assert world.read("self/stat", inner).startswith(b"2 (ps)")
    st = status_dict(world.read("self/status", inner))
    assert st["NStgid"] == "2" and st["NSpid"] == "2" and st["NSpgid"] == "1"

    # from outside: root numbers, and every level in NS*
    st = status_dict(world.read(f"{inner.pid}/status", outer))
    assert st["Pid"] == str(inner.pid)
    assert st["NSpid"] == f"{inner.pid}\t2"
    assert st["NSpgid"] == f"{inner_init.pid}\t1"
    assert stat_fields(world.read(f"{inner.pid}/stat", outer))[3] == str(inner_init.pid)
    # a number of the inner namespace means something else outside
    with pytest.raises(KernelError):
        world.read("999/stat", inner)


# ----- statm, maps, cmdline, environ ----------------------------------------------------------

def test_statm(world):
    p = world.process("prog", world.init)
    size, resident, shared, text, lib, data, dt = map(int, world.read(f"{p.pid}/statm", p).split())
    anon, file, shmem = task_mmu.rss_counters(p.mm)
    assert size == sum(v.end - v.start for v in p.mm.vmas) // 4096
    assert resident == anon + file + shmem and shared == file + shmem
    assert text == 4 and lib == 0 and dt == 0
    assert data == (0x2000 + 0x2000 + 0x2000 + 0x21000) // 4096   # .data, heap, anon, stack


def test_maps_format(world):
    p = world.process("prog", world.init)
    lines = world.read(f"{p.pid}/maps", p).decode().splitlines()
    assert len(lines) == len(p.mm.vmas) + 1             # and the gate VMA
    assert lines[-1] == "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0" + " " * 18 + \
        "[vsyscall]"
    assert lines[0] == "00400000-00401000 r--p 00000000 fe:00 4242" + " " * 31 + "/usr/bin/prog"
    assert lines[0].index("/usr") == 73
    assert lines[1].startswith("00401000-00405000 r-xp 00001000 fe:00 4242 ")
    assert lines[2].startswith("00405000-00407000 rw-p 00005000 fe:00 4242 ")
    assert lines[3].startswith("00407000-00409000 rw-p 00000000 00:00 0 ") and lines[3].endswith(" [heap]")
    assert lines[3].index("[heap]") == 73
    assert lines[4] == "7ffff7ff0000-7ffff7ff2000 rw-p 00000000 00:00 0 "
    assert lines[5].startswith("7ffff7ff2000-7ffff7ff3000 r--s 00000000 fe:00 7 ")
    assert lines[5].endswith(" /tmp/shm")
    assert lines[6].endswith(" [stack]") and lines[6].startswith("7ffffffde000-7ffffffff000 rw-p")


def test_cmdline_and_environ(world):
    p = world.process("prog", world.init, argv=(b"prog", b"-x", b"a b"), envp=(b"A=1", b"HOME=/"))
    assert world.read(f"{p.pid}/cmdline", p) == b"prog\0-x\0a b\0"
    assert world.read(f"{p.pid}/environ", p) == b"A=1\0HOME=/\0"
    assert world.read(f"{p.pid}/comm", p) == b"prog\n"
    # setproctitle: the program overwrote the NUL ending its arguments
    mm = p.mm
    _, arg_end, _, _ = array.arg_env_bounds(mm)
    mm.arg_end = arg_end
    mm.env_start, mm.env_end = arg_end, arg_end + len(b"A=1\0HOME=/\0")
    mm.write(mm.arg_start, b"title here!!")
    assert world.read(f"{p.pid}/cmdline", p) == b"title here!!A=1\0"


# ----- /proc itself ---------------------------------------------------------------------------

def test_root_listing(world):
    sh = world.process("sh", world.init)
    sleep = world.process("sleep", sh)
    names = world.listdir("", sh)
    for name in ("self", "thread-self", "uptime", "loadavg", "meminfo", "stat", "version"):
        assert name in names
    pids = [n for n in names if n.isdigit()]
    assert pids == sorted(pids, key=int) == ["1", str(sh.pid), str(sleep.pid)]
    assert "0" not in names
    with pytest.raises(KernelError):
        world.read("0/stat", sh)


def test_system_files(world):
    sh = world.process("sh", world.init)
    sh.utime_ns = 2 * SEC
    up = world.read("uptime", sh).decode()
    assert up.split()[0] == "100.00" and up.endswith("\n")
    load = world.read("loadavg", sh).decode().split()
    assert load[:3] == ["0.00", "0.00", "0.00"] and load[3] == "1/2"
    stat = world.read("stat", sh).decode().splitlines()
    assert stat[0].startswith("cpu  200 0 0 ") and stat[1].startswith("cpu0 200 ")
    assert any(line.startswith("btime ") for line in stat)
    assert world.read("version", sh).startswith(b"Linux version ")
    assert b"MemTotal:" in world.read("meminfo", sh)


def test_no_exceptions_for_any_task_kind(world):
    """Every file of every kind of task renders (or raises a KernelError, never a bug)."""
    sh = world.process("sh", world.init)
    z = world.process("z", sh)
    z.mm = z.fs = z.files = None
    z.exit_state, z._state = EXIT_ZOMBIE, TASK_DEAD
    bare = Task(kernel=world.kernel, pid=4000, tgid=4000, comm="bare")   # no pid links, no signal
    world.kernel.tasks[4000] = bare
    for target in (world.init, sh, z, bare):
        for name in world.listdir(str(target.pid), sh):
            if name in ("fd", "fdinfo", "task", "ns", "exe", "cwd", "root"):
                continue
            world.read(f"{target.pid}/{name}", sh)
    for name in ("uptime", "loadavg", "stat", "version", "meminfo", "cpuinfo", "filesystems",
                 "devices", "swaps", "vmstat"):
        world.read(name, sh)


def test_ns_links_for_any_task_kind(world):
    """/proc/<pid>/ns links read pid:[N] or raise a KernelError (a zombie has no nsproxy, a
    bare task no pid links), never a bug."""
    sh = world.process("sh", world.init)
    z = world.process("z", sh)
    z.nsproxy = None
    z.exit_state, z._state = EXIT_ZOMBIE, TASK_DEAD
    bare = Task(kernel=world.kernel, pid=4000, tgid=4000, comm="bare")
    world.kernel.tasks[4000] = bare
    root = ProcRoot(SyntheticFs("proc", os.makedev(0, 22), 22), "proc", None)
    world.kernel.current = sh
    seen = []
    for target in (world.init, sh, z, bare):
        ns_dir = root.lookup(sh, str(target.pid)).lookup(sh, "ns")
        for name, _ino, _type in ns_dir.iterate(sh):
            try:
                seen.append(ns_dir.lookup(sh, name).readlink(sh))
            except KernelError:
                seen.append(None)
    assert f"pid:[{PROC_PID_INIT_INO}]" in seen and None in seen


def test_umask_format():
    assert array._umask_text(0o022) == "0022"
    assert array._umask_text(0) == "0000"
    assert array._umask_text(0o777) == "0777"


def test_fdsize():
    assert array._max_fds(_files({0: 1, 1: 1})) == 64
    assert array._max_fds(_files({255: 1})) == 256
    assert array._max_fds(_files({100: 1})) == 128


def test_sysinfo_uptime_counts_from_boot():
    # /proc/uptime's clock: the kernel's CLOCK_MONOTONIC since boot_time_ns (a virtual
    # clock here, so the elapsed time is exact).
    kernel = make_kernel(deterministic=True)
    try:
        kernel.clock.advance(5 * 10**9)
        before = kernel.clock.peek() - kernel.boot_time_ns
        up = sysinfo._uptime_ns(kernel)
        assert before < up <= kernel.clock.peek() - kernel.boot_time_ns
    finally:
        release_kernel(kernel)

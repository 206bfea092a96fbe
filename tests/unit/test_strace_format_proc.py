"""strace-format lines for memory, process, signal, time and limit syscalls, and the
exit/signal/execve lines, against output captured from real strace 6.1 (addresses renamed).
"""
import io
import struct

from glasskernel.tools.strace.strace import StraceFormatter
from test_strace_format import ARGV, BUF, BUF2, E, STR1, STR2, FakeMem, cstr, line, task
from test_strace_format import utc  # noqa: F401  (autouse fixture: timestamps print in UTC)
from glasskernel.uapi.unistd_64 import NR


def test_memory_calls():
    assert line(NR.brk, (0,), 0x27A6D000) == 'brk(NULL)                               = 0x27a6d000'
    assert line(NR.mmap, (0, 8192, 3, 0x22, 2**64 - 1, 0), 0x7F665C5D0000) == \
        'mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f665c5d0000'
    assert line(NR.mmap, (0, 4096, 0, 0x12345, 2**64 - 1, 0), E("EBADF")) == (
        'mmap(NULL, 4096, PROT_NONE, 0x5 /* MAP_??? */|MAP_32BIT|MAP_NONBLOCK|MAP_GROWSDOWN|'
        'MAP_LOCKED|0x200, -1, 0) = -1 EBADF (Bad file descriptor)')
    assert line(NR.mmap, (0, 4096, 5, 0x812, 3, 0x1000), 0) == \
        'mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x1000) = 0'
    assert line(NR.mprotect, (0x7F665C5D0000, 4096, 1), 0) == \
        'mprotect(0x7f665c5d0000, 4096, PROT_READ) = 0'
    assert line(NR.mprotect, (0x10000, 4096, 0x100), E("EINVAL")) == \
        'mprotect(0x10000, 4096, 0x100 /* PROT_??? */) = -1 EINVAL (Invalid argument)'
    assert line(NR.madvise, (0x7F665C5D0000, 4096, 4), 0) == \
        'madvise(0x7f665c5d0000, 4096, MADV_DONTNEED) = 0'
    assert line(NR.madvise, (0x10000, 4096, 12345), E("EINVAL")) == \
        'madvise(0x10000, 4096, 0x3039 /* MADV_??? */) = -1 EINVAL (Invalid argument)'
    assert line(NR.mremap, (0x10000, 4096, 8192, 3, 0x20000), E("EFAULT")) == \
        'mremap(0x10000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x20000) = -1 EFAULT (Bad address)'
    assert line(NR.mremap, (0x10000, 4096, 8192, 0), E("EFAULT")) == \
        'mremap(0x10000, 4096, 8192, 0)          = -1 EFAULT (Bad address)'
    assert line(NR.munmap, (2**64 - 1, 16384), E("EINVAL")) == \
        'munmap(0xffffffffffffffff, 16384)       = -1 EINVAL (Invalid argument)'


def test_startup_calls():
    assert line(NR.arch_prctl, (0x1002, 0x27A6D380), 0) == \
        'arch_prctl(ARCH_SET_FS, 0x27a6d380)     = 0'
    mem = FakeMem().put(BUF, struct.pack("<Q", 0x3A9B2380))
    assert line(NR.arch_prctl, (0x1003, BUF), 0, mem) == \
        'arch_prctl(ARCH_GET_FS, [0x3a9b2380])   = 0'
    assert line(NR.arch_prctl, (0x3001, 0), E("EINVAL")) == \
        'arch_prctl(0x3001 /* ARCH_??? */, 0)    = -1 EINVAL (Invalid argument)'
    assert line(NR.set_tid_address, (0x27A6D650,), 3770) == \
        'set_tid_address(0x27a6d650)             = 3770'
    assert line(NR.set_robust_list, (0x27A6D660, 24), 0) == \
        'set_robust_list(0x27a6d660, 24)         = 0'
    assert line(NR.rseq, (0x27A6DCA0, 0x20, 0, 0x53053053), E("ENOSYS")) == \
        'rseq(0x27a6dca0, 0x20, 0, 0x53053053)   = -1 ENOSYS (Function not implemented)'
    mem = FakeMem().put(BUF, struct.pack("<QQ", 8192 * 1024, 2**64 - 1))
    assert line(NR.prlimit64, (0, 3, 0, BUF), 0, mem) == \
        'prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0'
    mem = FakeMem().put(BUF, bytes.fromhex("794bf332dc1b6a84"))
    assert line(NR.getrandom, (BUF, 8, 1), 8, mem) == \
        'getrandom("\\x79\\x4b\\xf3\\x32\\xdc\\x1b\\x6a\\x84", 8, GRND_NONBLOCK) = 8'
    assert line(NR.getrandom, (BUF, 4, 0x80), E("EINVAL")) == \
        'getrandom(0x7fff5e40d180, 4, 0x80 /* GRND_??? */) = -1 EINVAL (Invalid argument)'


def test_limits():
    mem = FakeMem().put(BUF, struct.pack("<QQ", 0, 2**64 - 1))
    assert line(NR.getrlimit, (4, BUF), 0, mem) == \
        'getrlimit(RLIMIT_CORE, {rlim_cur=0, rlim_max=RLIM64_INFINITY}) = 0'
    mem = FakeMem().put(BUF, struct.pack("<QQ", 1024, 4096))
    assert line(NR.prlimit64, (0, 7, BUF, 0), 0, mem) == \
        'prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}, NULL) = 0'
    assert line(NR.setrlimit, (4, BUF), 0, mem) == \
        'setrlimit(RLIMIT_CORE, {rlim_cur=1024, rlim_max=4*1024}) = 0'
    assert line(NR.prlimit64, (0, 99, 0, BUF), E("EINVAL"), mem) == \
        'prlimit64(0, 0x63 /* RLIMIT_??? */, NULL, 0x7fff5e40d180) = -1 EINVAL (Invalid argument)'


def test_identity_and_info():
    assert line(NR.getpid, (), 3770) == 'getpid()                                = 3770'
    assert line(NR.getgroups, (0, 0), 0) == 'getgroups(0, NULL)                      = 0'
    assert line(NR.getgroups, (10, BUF), 0, FakeMem().put(BUF, bytes(40))) == \
        'getgroups(10, [])                       = 0'
    uts = b"Linux".ljust(65, b"\0") + b"vm".ljust(65, b"\0") + bytes(65 * 4)
    assert line(NR.uname, (BUF,), 0, FakeMem().put(BUF, uts)) == \
        'uname({sysname="Linux", nodename="vm", ...}) = 0'
    assert line(NR.uname, (0,), E("EFAULT")) == \
        'uname(NULL)                             = -1 EFAULT (Bad address)'
    mem = FakeMem().put(BUF, bytes([3]) + bytes(31))
    assert line(NR.sched_getaffinity, (0, 128, BUF), 32, mem) == \
        'sched_getaffinity(0, 128, [0 1])        = 32'
    info = struct.pack("<q3QQQQQQQH6xQQI4x", 269, 5056, 6368, 2592, 25276502016, 23889248256,
                       9084928, 50188288, 0, 0, 83, 0, 0, 1)
    assert line(NR.sysinfo, (BUF,), 0, FakeMem().put(BUF, info)) == (
        'sysinfo({uptime=269, loads=[5056, 6368, 2592], totalram=25276502016, '
        'freeram=23889248256, sharedram=9084928, bufferram=50188288, totalswap=0, freeswap=0, '
        'procs=83, totalhigh=0, freehigh=0, mem_unit=1}) = 0')


def test_time_calls():
    mem = FakeMem().put(BUF, struct.pack("<qq", 292, 242574386))
    assert line(NR.clock_gettime, (1, BUF), 0, mem) == \
        'clock_gettime(CLOCK_MONOTONIC, {tv_sec=292, tv_nsec=242574386}) = 0'
    assert line(NR.clock_gettime, (0x37, BUF), E("EINVAL")) == \
        'clock_gettime(0x37 /* CLOCK_??? */, 0x7fff5e40d180) = -1 EINVAL (Invalid argument)'
    assert line(NR.clock_getres, (3, 0), 0) == 'clock_getres(CLOCK_THREAD_CPUTIME_ID, NULL) = 0'
    mem = FakeMem().put(BUF, struct.pack("<qq", 1795317708, 708024))
    assert line(NR.gettimeofday, (BUF, 0), 0, mem) == \
        'gettimeofday({tv_sec=1795317708, tv_usec=708024}, NULL) = 0'
    assert line(NR.time, (0,), 1795317708) == \
        'time(NULL)                              = 1795317708 (2026-11-22T03:21:48+0000)'
    mem = FakeMem().put(BUF, struct.pack("<q", 1795317731))
    assert line(NR.time, (BUF,), 1795317731, mem) == (
        'time([1795317731 /* 2026-11-22T03:22:11+0000 */]) = 1795317731 '
        '(2026-11-22T03:22:11+0000)')
    mem = FakeMem().put(BUF, struct.pack("<qq", 0, 5000))
    assert line(NR.nanosleep, (BUF, 0), 0, mem) == \
        'nanosleep({tv_sec=0, tv_nsec=5000}, NULL) = 0'
    assert line(NR.clock_nanosleep, (0, 0, BUF, 0), 0, mem) == \
        'clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=5000}, NULL) = 0'
    assert line(NR.nanosleep, (BUF, BUF2), 0, mem) == \
        'nanosleep({tv_sec=0, tv_nsec=5000}, 0x7fff5e40e000) = 0'


def test_signal_calls():
    mem = FakeMem().put(BUF, struct.pack("<Q", (1 << 1) | (1 << 16)))
    assert line(NR.rt_sigprocmask, (0, BUF, 0, 8), 0, mem) == \
        'rt_sigprocmask(SIG_BLOCK, [INT CHLD], NULL, 8) = 0'
    full = (2**64 - 1) & ~(3 << 31)
    mem = FakeMem().put(BUF, struct.pack("<Q", full)).put(BUF2, bytes(8))
    assert line(NR.rt_sigprocmask, (2, BUF, BUF2, 8), 0, mem) == \
        'rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], [], 8) = 0'
    act = struct.pack("<QQQQ", 1, 0x04000000, 0x408D20, 0)
    assert line(NR.rt_sigaction, (13, BUF, 0, 8), 0, FakeMem().put(BUF, act)) == (
        'rt_sigaction(SIGPIPE, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, '
        'sa_restorer=0x408d20}, NULL, 8) = 0')
    act = struct.pack("<QQQQ", 0x401615, 0x14000004, 0x409380, 1 << 14)
    assert line(NR.rt_sigaction, (36, BUF, 0, 8), 0, FakeMem().put(BUF, act)) == (
        'rt_sigaction(SIGRT_4, {sa_handler=0x401615, sa_mask=[TERM], sa_flags=SA_RESTORER|'
        'SA_RESTART|SA_SIGINFO, sa_restorer=0x409380}, NULL, 8) = 0')
    old = struct.pack("<QQQQ", 0, 0, 0, 0)
    assert line(NR.rt_sigaction, (2, 0, BUF, 8), 0, FakeMem().put(BUF, old)) == \
        'rt_sigaction(SIGINT, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0'
    assert line(NR.kill, (999999, 64), E("ESRCH")) == \
        'kill(999999, SIGRT_32)                  = -1 ESRCH (No such process)'
    assert line(NR.kill, (0, 99), E("EINVAL")) == \
        'kill(0, 99)                             = -1 EINVAL (Invalid argument)'
    assert line(NR.kill, (3770, 0), 0) == 'kill(3770, 0)                           = 0'


def test_process_calls():
    assert line(NR.clone, (0x01200011, 0, 0, 0x27A6D650, 0), 3771) == (
        'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, '
        'child_tidptr=0x27a6d650) = 3771')
    flags = 0x003D0F00
    assert line(NR.clone, (flags, 0x1000, 0x2000, 0x3000, 0x4000), 4931) == (
        'clone(child_stack=0x1000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|'
        'CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, '
        'parent_tid=0x2000, tls=0x4000, child_tidptr=0x3000) = 4931')
    assert line(NR.clone, (0xFFFFFFFFFFFFFF09, 0, 0, 0, 0), E("EINVAL")) == (
        'clone(child_stack=NULL, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_PIDFD|'
        'CLONE_PTRACE|CLONE_VFORK|CLONE_PARENT|CLONE_THREAD|CLONE_NEWNS|CLONE_SYSVSEM|'
        'CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|CLONE_UNTRACED|'
        'CLONE_CHILD_SETTID|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|'
        'CLONE_NEWPID|CLONE_NEWNET|CLONE_IO|0xffffffff00400000|SIGKILL, parent_tid=NULL, '
        'tls=NULL, child_tidptr=NULL) = -1 EINVAL (Invalid argument)')
    assert line(NR.vfork, (), 4901) == 'vfork()                                 = 4901'
    mem = FakeMem().put(BUF, struct.pack("<i", 3 << 8))
    assert line(NR.wait4, (3771, BUF, 0, 0), 3771, mem) == \
        'wait4(3771, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 3771'
    mem = FakeMem().put(BUF, struct.pack("<i", 0x86))
    assert line(NR.wait4, (-1 & 2**64 - 1, BUF, 0, 0), 4903, mem) == \
        'wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGABRT && WCOREDUMP(s)}], 0, NULL) = 4903'
    assert line(NR.wait4, (2**64 - 1, BUF, 1, 0), 0, mem) == \
        'wait4(-1, 0x7fff5e40d180, WNOHANG, NULL) = 0'
    assert line(NR.wait4, (2**64 - 1, BUF, 1, 0), E("ECHILD"), mem) == \
        'wait4(-1, 0x7fff5e40d180, WNOHANG, NULL) = -1 ECHILD (No child processes)'


def test_execve_failure_from_memory():
    long_arg = b"0123456789012345678901234567890123456789"
    mem = (FakeMem().put(STR1, cstr(b"/nonexist")).put(STR2, cstr(long_arg) + cstr(b"b\nc"))
           .put(ARGV, struct.pack("<QQQ", STR2, STR2 + len(long_arg) + 1, 0))
           .put(BUF, struct.pack("<QQ", STR2, 0)))
    assert line(NR.execve, (STR1, ARGV, BUF), E("ENOENT"), mem) == (
        'execve("/nonexist", ["01234567890123456789012345678901"..., "b\\nc"], '
        '0x7fff5e40d180 /* 1 var */) = -1 ENOENT (No such file or directory)')
    assert line(NR.execve, (0, 0, 0), E("EFAULT")) == \
        'execve(NULL, NULL, NULL)                = -1 EFAULT (Bad address)'


def test_unknown_and_generic_syscalls():
    assert line(456, (1, 2, 3, 4, 5, 6), E("EINVAL")) == \
        'syscall_0x1c8(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 EINVAL (Invalid argument)'
    assert line(NR.sync, (), 0) == 'sync()                                  = 0'
    assert line(NR.getresuid, (1, 2, 3), E("ENOSYS")) == \
        'getresuid(0x1, 0x2, 0x3)                = -1 ENOSYS (Function not implemented)'


def test_restart_codes():
    assert line(NR.wait4, (2**64 - 1, 0, 0, 0), -512) == \
        'wait4(-1, NULL, 0, NULL)                = ? ERESTARTSYS (To be restarted if SA_RESTART is set)'


# --- the non-syscall lines --------------------------------------------------------------

def test_exit_signal_and_execve_lines():
    out = io.StringIO()
    fmt = StraceFormatter(out)
    t = task(3770)
    fmt.execve_start(t, "./a", ["./a"], 35, 0x7FFE88BD2228)
    fmt.syscall_noreturn(t, NR.exit_group, (0,), FakeMem())
    fmt.exited(t, 0)
    fmt.signal(t, 11, 1, 8)
    fmt.signal(t, 11, 0x80, 0)
    fmt.killed(t, 11, False)
    fmt.killed(t, 6, True)
    fmt.signal(t, 15, -6, 0, si_pid=4902, si_uid=0)
    fmt.signal(t, 17, 2, 0, si_pid=4902, si_uid=0, si_status=15)
    fmt.signal(t, 17, 1, 0, si_pid=4901, si_uid=0, si_status=0)
    assert out.getvalue().splitlines() == [
        'execve("./a", ["./a"], 0x7ffe88bd2228 /* 35 vars */) = 0',
        'exit_group(0)                           = ?',
        '+++ exited with 0 +++',
        '--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x8} ---',
        '--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---',
        '+++ killed by SIGSEGV +++',
        '+++ killed by SIGABRT (core dumped) +++',
        '--- SIGTERM {si_signo=SIGTERM, si_code=SI_TKILL, si_pid=4902, si_uid=0} ---',
        '--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=4902, si_uid=0, '
        'si_status=SIGTERM, si_utime=0, si_stime=0} ---',
        '--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4901, si_uid=0, '
        'si_status=0, si_utime=0, si_stime=0} ---',
    ]


def test_pid_prefix_follows_strace_f():
    """[pid N] appears once a child exists and goes away when only one task is left."""
    out = io.StringIO()
    fmt = StraceFormatter(out)
    parent, child = task(3770), task(3771)
    fmt.syscall_exit(parent, NR.clone, (0x01200011, 0, 0, 0x27A6D650, 0), 3771, FakeMem())
    fmt.syscall_exit(child, NR.set_robust_list, (0x27A6D660, 24), 0, FakeMem())
    fmt.syscall_noreturn(child, NR.exit_group, (3,), FakeMem())
    fmt.exited(child, 3)
    fmt.syscall_exit(parent, NR.set_tid_address, (0x27A6D650,), 3770, FakeMem())
    assert out.getvalue().splitlines() == [
        'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, '
        'child_tidptr=0x27a6d650) = 3771',
        '[pid  3771] set_robust_list(0x27a6d660, 24) = 0',
        '[pid  3771] exit_group(3)               = ?',
        '[pid  3771] +++ exited with 3 +++',
        'set_tid_address(0x27a6d650)             = 3770',
    ]


def test_pid_prefix_never_and_always():
    assert line(NR.getpid, (), 5, pids="always") == \
        '[pid  1000] getpid()                    = 5'
    assert line(NR.getpid, (), 5, pids="never") == 'getpid()                                = 5'

"""An strace-compatible syscall log, so a run can be diffed against real ``strace -f``.

Mirrors strace's src/syscall.c (syscall_exiting_trace: the call text, the tab to column 40,
the ``= result`` and its errno text), src/strace.c (printleader: the ``[pid N]`` prefix,
``+++ exited with N +++``) and src/signal.c/printsiginfo.c for ``--- SIGSEGV {...} ---``.
The per-syscall argument decoders live in strace_fs, strace_mm, strace_proc and strace_term.

The kernel calls the formatter after each syscall finishes; output buffers are decoded then,
as strace does on syscall exit. A call that may block (the slow path) is announced at
entry; if another task prints before it returns, its line is cut at ``<unfinished ...>``
and finished later with ``<... name resumed>`` (strace_unfinished.py).
"""
from glasskernel.tools.strace import strace_fs as fs
from glasskernel.tools.strace import strace_mm as mm
from glasskernel.tools.strace import strace_proc as proc
from glasskernel.tools.strace import strace_notify as notify
from glasskernel.tools.strace.strace_compat import COMPAT_DECODERS, ENTRY_DECODERS
from glasskernel.tools.strace.strace_siginfo import fmt_siginfo
from glasskernel.tools.strace.strace_term import dec_ioctl
from glasskernel.tools.strace.strace_unfinished import resumed_text, unfinished_text
from glasskernel.tools.strace.strace_util import (
    MAX_STRLEN, Call, fmt_hex, quote_bytes, s64)
from glasskernel.tools.strace.syscall_nargs import syscall_nargs
from glasskernel.uapi.errno import (
    ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, KernelError,
    errno_name, strerror)
from glasskernel.uapi.signal import signal_name
from glasskernel.uapi import unistd_32
from glasskernel.uapi.unistd_64 import SYSCALL_NAMES, syscall_name

ACOLUMN = 40                       # strace -a default: the column "= result" aligns to

# Kernel-internal restart codes strace shows as "= ? ERESTARTSYS (...)".
_RESTART_TEXT = {
    ERESTARTSYS: ("ERESTARTSYS", "To be restarted if SA_RESTART is set"),
    ERESTARTNOINTR: ("ERESTARTNOINTR", "To be restarted"),
    ERESTARTNOHAND: ("ERESTARTNOHAND", "To be restarted if no handler"),
    ERESTART_RESTARTBLOCK: ("ERESTART_RESTARTBLOCK", "Interrupted by signal"),
}

# Which decoder prints each syscall's arguments; the rest get strace's generic hex form.
DECODERS = {
    "read": fs.dec_read, "write": fs.dec_write, "readv": fs.dec_readv,
    "writev": fs.dec_writev, "pread64": fs.dec_pread64, "pwrite64": fs.dec_pwrite64,
    "open": fs.dec_open, "openat": fs.dec_openat, "close": fs.dec_fd, "lseek": fs.dec_lseek,
    "stat": fs.dec_stat, "lstat": fs.dec_stat, "fstat": fs.dec_fstat,
    "newfstatat": fs.dec_newfstatat, "statx": fs.dec_statx, "access": fs.dec_access,
    "faccessat": fs.dec_faccessat, "faccessat2": fs.dec_faccessat2,
    "getdents64": fs.dec_getdents64, "readlink": fs.dec_readlink,
    "readlinkat": fs.dec_readlinkat, "getcwd": fs.dec_getcwd, "chdir": fs.dec_path,
    "fchdir": fs.dec_fd, "mkdir": fs.dec_mkdir, "mkdirat": fs.dec_mkdirat,
    "unlink": fs.dec_path, "unlinkat": fs.dec_unlinkat, "rmdir": fs.dec_path,
    "rename": fs.dec_two_paths, "renameat": fs.dec_renameat, "renameat2": fs.dec_renameat2,
    "symlink": fs.dec_two_paths, "umask": fs.dec_umask, "fcntl": fs.dec_fcntl,
    "dup": fs.dec_fd, "dup2": fs.dec_dup2, "dup3": fs.dec_dup3, "pipe2": fs.dec_pipe2,
    "ioctl": dec_ioctl,
    "brk": mm.dec_brk, "mmap": mm.dec_mmap, "munmap": mm.dec_munmap,
    "mprotect": mm.dec_mprotect, "mremap": mm.dec_mremap, "madvise": mm.dec_madvise,
    "msync": mm.dec_msync, "memfd_create": mm.dec_memfd_create,
    "arch_prctl": proc.dec_arch_prctl, "set_tid_address": proc.dec_set_tid_address,
    "set_robust_list": proc.dec_set_robust_list, "rseq": proc.dec_rseq,
    "uname": proc.dec_uname, "getgroups": proc.dec_getgroups, "sysinfo": proc.dec_sysinfo,
    "getpid": proc.dec_none, "getppid": proc.dec_none, "gettid": proc.dec_none,
    "getuid": proc.dec_none, "geteuid": proc.dec_none, "getgid": proc.dec_none,
    "getegid": proc.dec_none, "fork": proc.dec_none, "vfork": proc.dec_none,
    "clock_gettime": proc.dec_clock_gettime, "clock_getres": proc.dec_clock_gettime,
    "gettimeofday": proc.dec_gettimeofday, "time": proc.dec_time,
    "nanosleep": proc.dec_nanosleep, "clock_nanosleep": proc.dec_clock_nanosleep, "getrandom": proc.dec_getrandom,
    "prlimit64": proc.dec_prlimit64, "getrlimit": proc.dec_getrlimit,
    "setrlimit": proc.dec_setrlimit, "sched_getaffinity": proc.dec_sched_getaffinity,
    "exit": proc.dec_exit, "exit_group": proc.dec_exit, "clone": proc.dec_clone,
    "execve": proc.dec_execve, "wait4": proc.dec_wait4, "kill": proc.dec_kill,
    "rt_sigaction": proc.dec_rt_sigaction, "rt_sigprocmask": proc.dec_rt_sigprocmask,
    "unshare": proc.dec_unshare, "setns": proc.dec_setns, "sethostname": proc.dec_sethostname,
    "setdomainname": proc.dec_sethostname,
    "inotify_init1": notify.dec_inotify_init1, "inotify_add_watch": notify.dec_inotify_add_watch,
    "inotify_rm_watch": notify.dec_inotify_rm_watch, "inotify_init": proc.dec_none,
}

_FORKS = ("clone", "fork", "vfork", "clone3")
# The decoders that read no user structure whose layout differs for an i386 caller: the
# others print a 32-bit process's call in strace's generic hex form.
_COMPAT_DECODERS = frozenset((
    "read", "write", "open", "openat", "close", "access", "faccessat", "readlink", "readlinkat",
    "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename",
    "renameat", "symlink", "umask", "dup", "dup2", "dup3", "ioctl", "brk", "munmap", "mprotect",
    "set_tid_address", "uname", "getpid", "getppid", "gettid", "fork", "vfork", "exit",
    "exit_group", "kill", "getrandom", "sethostname", "setdomainname", "mmap2",
    "set_robust_list", "rseq"))


def decode_generic(c: Call) -> str:
    """printargs(): as many hex arguments as the syscall takes (6 for unknown numbers)."""
    return ", ".join(fmt_hex(c.arg(i)) for i in range(syscall_nargs(c.name)))


def format_return(ret: int) -> str:
    """The default result text: decimal, or -1 ENAME (message) for an error."""
    if -4096 < ret < 0:
        code = -ret
        if code in _RESTART_TEXT:
            name, text = _RESTART_TEXT[code]
            return f"? {name} ({text})"
        return f"-1 {errno_name(code)} ({strerror(code)})"
    return str(ret)


def dec_mmap2(c: Call):
    """mmap2: mmap's arguments with the offset in pages, shown in bytes as strace does."""
    return mm.dec_mmap(Call(c.name, c.args[:5] + (c.args[5] * 4096,), c.ret, c.mem))


def decode_call(c: Call, compat: bool = False):
    """(argument text, result text or None for the default) of one finished call."""
    if compat and c.name in COMPAT_DECODERS:
        decoder = COMPAT_DECODERS[c.name]
    elif compat and c.name not in _COMPAT_DECODERS:
        decoder = decode_generic
    else:
        decoder = dec_mmap2 if c.name == "mmap2" else DECODERS.get(c.name, decode_generic)
    try:
        decoded = decoder(c)
    except KernelError:
        # A decoder touched memory it could not read: fall back to plain hex, as strace
        # prints any argument it cannot fetch as its address.
        decoded = decode_generic(c)
    if isinstance(decoded, tuple):
        return decoded
    return decoded, None


def align(head: str, result: str) -> str:
    """'head) ' padded to column 40, then '= result' (strace's tabto)."""
    return f"{head} ".ljust(ACOLUMN) + f"= {result}"


class StraceFormatter:
    """Writes strace-format lines to ``out`` (a text file).

    ``pids`` chooses the ``[pid N] `` prefix: "never"; "always"; or "auto", which prints it
    while more than one traced task is alive, as ``strace -f`` does.
    """

    def __init__(self, out, pids: str = "auto", mode_notes: bool = True):
        self.out = out
        self.pids = pids
        self.mode_notes = mode_notes   # announce a process's change of mode (32/64 bit)
        self.live = set()          # pids of tasks seen and not yet exited ("auto" mode)
        self.open = {}             # pid -> [task, name, args, mem, unfinished line printed]
        self.compat_pids = set()   # the processes last seen making 32-bit syscalls
        self.entry_text = {}       # pid -> arguments decoded at entry (set_thread_area)

    # --- line building ------------------------------------------------------------------

    def prefix(self, task) -> str:
        """printleader(): '[pid  1234] ' when several tasks are traced."""
        self.live.add(task.pid)
        show = self.pids == "always" or (self.pids == "auto" and len(self.live) > 1)
        return f"[pid {task.pid:5d}] " if show else ""

    def _name(self, task, nr: int) -> str:
        """The call's name in the table it came through; the first 32-bit call of a
        process (and the first 64-bit one after) is announced as strace does."""
        compat = task.thread.ts_compat
        if compat != (task.tgid in self.compat_pids):
            if compat:
                self.compat_pids.add(task.tgid)
            else:
                self.compat_pids.discard(task.tgid)
            if self.mode_notes:
                self.emit(f"[ Process PID={task.tgid} runs in {'32' if compat else '64'} bit mode. ]")
        return unistd_32.syscall_name(nr) if compat else syscall_name(nr)

    def format_syscall(self, task, nr: int, args, ret: int, mem) -> str:
        """The full line for a finished syscall, without the newline."""
        name = self._name(task, nr)
        c = Call(name, tuple(args), s64(ret), mem)
        text, result = decode_call(c, task.thread.ts_compat)
        text = self.entry_text.pop(task.pid, text)
        if result is None or c.failed:
            result = format_return(c.ret)
        open_call = self.open.pop(task.pid, None)
        if open_call is not None and open_call[4]:
            return align(f"{self.prefix(task)}{resumed_text(name, text)}", result)
        return align(f"{self.prefix(task)}{name}({text})", result)

    def emit(self, line: str, task=None) -> None:
        """Write a line; calls other tasks left open are cut short first (strace -f)."""
        if self.open:
            self._print_unfinished(task.pid if task is not None else None)
        self.out.write(line + "\n")

    def _print_unfinished(self, pid) -> None:
        for other, call in self.open.items():
            if other == pid or call[4]:
                continue
            task, name, args, mem, _ = call
            text, _ = decode_call(Call(name, tuple(args), 0, mem))
            call[4] = True
            self.out.write(f"{self.prefix(task)}{unfinished_text(name, text)}\n")

    def syscall_enter(self, task, nr: int, args, mem) -> None:
        """A call that may block began (slow path): its line waits for the exit."""
        name = self._name(task, nr)
        self.open[task.pid] = [task, name, tuple(args), mem, False]
        if task.thread.ts_compat and name in ENTRY_DECODERS:     # what it was given
            self.entry_text[task.pid] = ENTRY_DECODERS[name](Call(name, tuple(args), 0, mem))

    # --- the interface the kernel calls ---------------------------------------------

    def syscall_exit(self, task, nr: int, args, ret: int, mem) -> None:
        """Log a syscall that returned ``ret`` (negative: -errno)."""
        self.emit(self.format_syscall(task, nr, args, ret, mem), task)
        name = unistd_32.SYSCALL_NAMES.get(nr) if task.thread.ts_compat else SYSCALL_NAMES.get(nr)
        if name in _FORKS and 0 < s64(ret) < 4194304:
            self.live.add(s64(ret))   # strace attaches the child before the call returns

    def syscall_noreturn(self, task, nr: int, args, mem) -> None:
        """A call that does not return to the caller: 'exit_group(0) = ?'."""
        name = self._name(task, nr)
        text, _ = decode_call(Call(name, tuple(args), 0, mem), task.thread.ts_compat)
        self.open.pop(task.pid, None)
        self.emit(align(f"{self.prefix(task)}{name}({text})", "?"), task)

    def exited(self, task, code: int) -> None:
        """'+++ exited with 0 +++' once the task is gone."""
        self._end_open_call(task)
        self.emit(f"{self.prefix(task)}+++ exited with {code} +++")
        self.live.discard(task.pid)

    def killed(self, task, signo: int, core: bool) -> None:
        """'+++ killed by SIGSEGV (core dumped) +++'."""
        dumped = " (core dumped)" if core else ""
        self._end_open_call(task)
        self.emit(f"{self.prefix(task)}+++ killed by {signal_name(signo)}{dumped} +++")
        self.live.discard(task.pid)

    def _end_open_call(self, task) -> None:
        """A task that dies inside a call: strace closes the call with '= ?'."""
        call = self.open.pop(task.pid, None)
        if call is None:
            return
        _, name, args, mem, printed = call
        if printed:
            self.emit(align(f"{self.prefix(task)}<... {name} resumed>)", "?"), task)
        else:
            text, _ = decode_call(Call(name, args, 0, mem))
            self.emit(align(f"{self.prefix(task)}{name}({text}", "?"), task)

    def signal(self, task, signo: int, si_code: int, si_addr: int, **fields) -> None:
        """'--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---'.

        Extra siginfo fields (si_pid, si_uid, si_status, si_utime, si_stime) may be given
        for signals sent by a process or SIGCHLD.
        """
        info = fmt_siginfo(signo, si_code, si_addr, fields)
        self.emit(f"{self.prefix(task)}--- {signal_name(signo)} {info} ---", task)

    def execve_start(self, task, path: str, argv: list, envc: int, envp_addr: int) -> None:
        """The successful execve line, from arguments saved before the old image went away."""
        shown = [_quote_arg(a) for a in argv[:MAX_STRLEN]]
        if len(argv) > MAX_STRLEN:
            shown.append("...")
        text = f"{_quote_text(path)}, [{', '.join(shown)}], {proc.fmt_envp(envp_addr, envc)}"
        self.open.pop(task.pid, None)
        self.emit(align(f"{self.prefix(task)}execve({text})", "0"), task)


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")


def _quote_text(value) -> str:
    """A whole string (a path), quoted."""
    return quote_bytes(_as_bytes(value))


def _quote_arg(value) -> str:
    """An argv element: quoted and cut at 32 bytes like printstr."""
    data = _as_bytes(value)
    return quote_bytes(data[:MAX_STRLEN]) + ("..." if len(data) > MAX_STRLEN else "")

"""Expectations of a batch job, checked against the kernel's records of its run.

The process checks read the lifecycle events that ``RunRecords`` kept (fork, exec, exit,
and the release of each task with the task that released it) and the descriptor tables
at exec; the output checks read the saved stdout and stderr. Each check gives
{"ok": bool, "reason": text}; a failed one names the pid and the trace event (its
number in the run's trace and its name).
"""
import re
from dataclasses import dataclass

from glasskernel.tools.proc_tree import exit_status_text
from glasskernel.uapi.signal import signal_name

INIT_PID = 1
MAX_REASONS = 3           # a reason names this many offenders, then counts the rest


@dataclass
class Proc:
    """One process (thread-group leader) of the run, as its events told."""

    pid: int
    ppid: int                         # the parent at fork time
    comm: str
    forked_seq: int = 0
    exit_seq: int = None
    status: int = None
    free_seq: int = None
    reaper: int = None                # the pid of the task that released it


def processes_of(events, first_pid: int, first_comm: str) -> dict:
    """pid -> Proc for every process the events show (threads left out), starting with
    the first program, which init made before tracing could see a fork."""
    procs = {first_pid: Proc(first_pid, INIT_PID, first_comm, 0)}
    threads = set()
    for seq, ev in events:
        a = ev.args
        if ev.name == "task_newtask":
            if "CLONE_THREAD" in str(a.get("flags", "")):
                threads.add(a["pid"])
            else:
                procs[a["pid"]] = Proc(a["pid"], a["ppid"], a.get("comm", "?"), seq)
        elif ev.name == "sched_process_exec" and a.get("pid") in procs:
            procs[a["pid"]].comm = a.get("comm", procs[a["pid"]].comm)
        elif ev.name == "sched_process_exit" and a.get("pid") in procs:
            proc = procs[a["pid"]]
            proc.exit_seq, proc.status = seq, a.get("code")
        elif ev.name == "sched_process_free" and a.get("pid") in procs:
            proc = procs[a["pid"]]
            proc.free_seq, proc.reaper = seq, ev.tgid
    return procs


def _name(procs: dict, pid: int) -> str:
    proc = procs.get(pid)
    return f"pid {pid} ({proc.comm})" if proc else ("pid 1 (init)" if pid == INIT_PID else f"pid {pid}")


def _joined(bad: list) -> str:
    """The first MAX_REASONS offenders, then how many more."""
    if len(bad) > MAX_REASONS:
        bad = bad[:MAX_REASONS] + [f"and {len(bad) - MAX_REASONS} more like these"]
    return "; ".join(bad)


def _ok(ok: bool, reason: str) -> dict:
    return {"ok": bool(ok), "reason": reason}


def check_no_zombies(procs: dict) -> dict:
    """No process exits while a child of it has exited and was not yet reaped."""
    bad = []
    for child in procs.values():
        parent = procs.get(child.ppid)
        if parent is None or parent.exit_seq is None or child.exit_seq is None:
            continue
        if child.exit_seq < parent.exit_seq and (child.free_seq is None or child.free_seq > parent.exit_seq):
            bad.append(f"{_name(procs, child.pid)} exited at event #{child.exit_seq} "
                       f"(sched_process_exit) and was still a zombie when its parent "
                       f"{_name(procs, parent.pid)} exited at event #{parent.exit_seq} (sched_process_exit)")
    return _ok(not bad, _joined(bad) or f"every exited child was reaped before its parent exited ({len(procs)} processes)")


def check_reaped_by_parent(procs: dict, first_pid: int) -> dict:
    """Each child is released by the parent that forked it (or reaped itself when its
    parent ignored SIGCHLD), not by init after its parent went away."""
    bad = []
    for proc in procs.values():
        if proc.pid == first_pid:
            continue
        if proc.free_seq is None:
            bad.append(f"{_name(procs, proc.pid)} was never reaped")
        elif proc.reaper not in (proc.ppid, proc.pid):
            bad.append(f"{_name(procs, proc.pid)} was reaped by {_name(procs, proc.reaper)}, "
                       f"not by its parent {_name(procs, proc.ppid)} (event #{proc.free_seq} "
                       f"sched_process_free)")
    return _ok(not bad, _joined(bad) or "every child was reaped by the process that forked it")


def check_no_orphans(procs: dict) -> dict:
    """No process is still running when its parent exits (it would be reparented)."""
    bad = []
    for child in procs.values():
        parent = procs.get(child.ppid)
        if parent is None or parent.exit_seq is None:
            continue
        if child.exit_seq is None or child.exit_seq > parent.exit_seq:
            bad.append(f"{_name(procs, child.pid)} was still running when its parent "
                       f"{_name(procs, parent.pid)} exited at event #{parent.exit_seq} "
                       f"(sched_process_exit): orphaned, reparented to init")
    return _ok(not bad, _joined(bad) or "no process outlived its parent")


def check_max_processes(procs: dict, limit: int) -> dict:
    count = len(procs)
    if count <= limit:
        return _ok(True, f"{count} processes (at most {limit})")
    extra = sorted(procs.values(), key=lambda p: p.forked_seq)[limit]
    return _ok(False, f"{count} processes, more than {limit}: the {limit + 1}th was "
                      f"{_name(procs, extra.pid)}, forked by {_name(procs, extra.ppid)} "
                      f"at event #{extra.forked_seq} (task_newtask)")


def check_fd_leaks(execs: list, procs: dict) -> dict:
    """No exec'd program starts with a descriptor above 2 that was not close-on-exec."""
    bad = []
    for rec in execs:
        if rec.fds:
            fds = ", ".join(f"fd {fd} ({what})" for fd, what in rec.fds)
            bad.append(f"{_name(procs, rec.pid)} exec'd {rec.filename} (event #{rec.seq} "
                       f"sched_process_exec) with {fds} open: not marked close-on-exec")
    return _ok(not bad, _joined(bad) or f"{len(execs)} exec(s), none with a descriptor above 2")


def check_max_syscalls(syscalls: dict, limit: int) -> dict:
    total = sum(syscalls.values())
    top = ", ".join(f"{name} {n}" for name, n in
                    sorted(syscalls.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
    if total <= limit:
        return _ok(True, f"{total} syscalls (at most {limit})")
    return _ok(False, f"{total} syscalls, more than {limit} (most: {top})")


def check_exit(result: dict, want) -> dict:
    """exit: a number (the exit code) or a signal name ("SIGSEGV")."""
    got = result.get("signal") or result.get("exit")
    want_text = str(want)
    ok = (want_text == str(got)) if isinstance(want, str) else got == want and not result.get("signal")
    return _ok(ok, f"{describe_status(result)} (expected {want_text})")


def describe_status(result: dict) -> str:
    status = result.get("wait_status")
    return "did not run" if status is None else exit_status_text(status)


def check_text(name: str, text: str, want: str = None, regex: str = None) -> dict:
    """An output equal to want, or matching regex (re.search, multiline)."""
    if regex is not None:
        try:
            found = re.search(regex, text, re.MULTILINE)
        except re.error as err:
            return _ok(False, f"bad regular expression {regex!r}: {err}")
        return _ok(found, f"{name} matches /{regex}/" if found else f"{name} does not match /{regex}/: {_excerpt(text)}")
    if text == want:
        return _ok(True, f"{name} is as expected ({len(text)} bytes)")
    return _ok(False, f"{name} differs from the expected text {first_difference(text, want)}")


def first_difference(got: str, want: str) -> str:
    """Where two texts part: the line number and both lines."""
    got_lines, want_lines = got.splitlines(), want.splitlines()
    for n, (a, b) in enumerate(zip(got_lines, want_lines), 1):
        if a != b:
            return f"at line {n}: got {a!r}, expected {b!r}"
    n = min(len(got_lines), len(want_lines)) + 1
    if len(got_lines) != len(want_lines):
        return f"at line {n}: got {len(got_lines)} lines, expected {len(want_lines)}"
    return "in line endings or a final newline"


def _excerpt(text: str, limit: int = 80) -> str:
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def signal_text(status: int):
    signo = status & 0x7F
    return signal_name(signo) if signo else None

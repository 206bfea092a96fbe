"""The process tree of a recorded run, drawn like ``pstree -a -p``.

One line per process: comm(pid) (the last name the trace saw, so a prctl rename
counts), its command line from its last exec (shortened), how it ended and how long it
lived, with box-drawing branches; children in pid order, under the parent that forked
them (even if they were later reparented)::

    busybox(2) /bin/busybox sh -c 'echo hi | cat; sleep 1&kill $!'  [exit 0, 4.210 ms]
    ├─busybox(3) /bin/busybox sh -c 'echo hi | cat; sleep 1&kill $!'  [exit 0, 0.912 ms]
    ├─cat(4) cat  [exit 0, 1.377 ms]
    └─busybox(5) /bin/busybox sh -c 'echo hi | cat; sleep 1&kill $!'  [killed by SIGTERM, 0.410 ms]

(A child that has not exec'd shows its parent's command line, as ps does.)
"""
import shlex

from glasskernel.uapi.signal import signal_name

MAX_COMMAND = 60                     # characters of the command line shown


def write_process_tree(recorder, out) -> None:
    """Write every process of the recorder's table, root by root, to the stream out."""
    processes = recorder.processes
    children = children_by_parent(processes)
    now = last_timestamp(recorder)
    comms = latest_comms(recorder.events)
    roots = sorted(pid for pid, rec in processes.items() if rec.ppid not in processes)
    for pid in roots:
        out.write(describe(processes[pid], now, comms) + "\n")
        _write_children(processes, children, pid, "", now, comms, out)


def children_by_parent(processes: dict) -> dict:
    """ppid -> sorted child pids, from each record's parent at fork time."""
    children = {}
    for pid, rec in processes.items():
        if rec.ppid in processes and rec.ppid != pid:
            children.setdefault(rec.ppid, []).append(pid)
    for pids in children.values():
        pids.sort()
    return children


def latest_comms(events) -> dict:
    """pid -> the task's name in its last event (exec and prctl(PR_SET_NAME) rename it)."""
    return {event.pid: event.comm for event in events if event.comm}


def _write_children(processes, children, pid, prefix, now, comms, out) -> None:
    kids = children.get(pid, [])
    for n, child in enumerate(kids):
        last = n == len(kids) - 1
        line = describe(processes[child], now, comms)
        out.write(prefix + ("└─" if last else "├─") + line + "\n")
        _write_children(processes, children, child, prefix + ("  " if last else "│ "),
                        now, comms, out)


def describe(rec, now, comms=None) -> str:
    command = command_line(rec.argv) or rec.filename
    name = f"{(comms or {}).get(rec.pid, rec.comm)}({rec.pid})"
    head = f"{name} {command}" if command else name
    return f"{head}  [{ending(rec, now)}]"


def command_line(argv: list) -> str:
    """The arguments quoted as a shell would need them, cut to MAX_COMMAND characters."""
    text = " ".join(shlex.quote(_text(arg)) for arg in argv)
    if len(text) > MAX_COMMAND:
        text = text[:MAX_COMMAND - 3] + "..."
    return text


def ending(rec, now) -> str:
    """"exit 0, 1.234 ms", "killed by SIGTERM, ...", or "running, ... so far"."""
    if rec.end is None or rec.status is None:
        if now is None or now < rec.start:
            return "running"
        return f"running, {format_ms(now - rec.start)} so far"
    return f"{exit_status_text(rec.status)}, {format_ms(rec.end - rec.start)}"


def exit_status_text(status: int) -> str:
    """A wait status in words: exit N, or killed by SIGX (core dumped)."""
    signo = status & 0x7F
    if signo == 0:
        return f"exit {(status >> 8) & 0xFF}"
    text = f"killed by {signal_name(signo)}"
    if status & 0x80:
        text += " (core dumped)"
    return text


def format_ms(ns: int) -> str:
    return f"{max(ns, 0) / 1_000_000:.3f} ms"


def last_timestamp(recorder):
    """The time the recording ends: its last event, or the last process event."""
    times = [event.ts for event in recorder.events[-1:]]
    times += [t for rec in recorder.processes.values() for t in (rec.start, rec.end)
              if t is not None]
    return max(times, default=None)


def _text(arg) -> str:
    if isinstance(arg, bytes):
        return arg.decode("utf-8", "backslashreplace")
    return str(arg)

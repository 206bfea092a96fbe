"""The timeline of a recorded run (``glasskernel run --timeline FILE``).

A recording (recorder.py) is the ordered list of trace events of a run. This module turns it
into the Chrome trace-event format ("JSON Object Format": ``{"traceEvents": [...],
"displayTimeUnit": "ns", "metadata": {...}}``), which ui.perfetto.dev, chrome://tracing and
our own HTML page (timeline_html.py) all read:

- a "CPU 0" track: which task ran when, one complete ("X") slice per stretch between two
  sched_switch events (the idle task's stretches are left empty, as in perf and Perfetto);
- one process per thread group (tgid) and one thread per task (pid), named with metadata
  ("M") events, holding the kernel spans as nested begin/end ("B"/"E") slices;
- flow arrows ("s" -> "f") from a parent's wake_up_new_task to its child's first
  ret_from_fork, and from a pipe writer's pipe_wake to the reader's pipe_woken;
- the point events (sched_switch, signals, timer ticks...) as thread-scoped instants ("i").

Timestamps are microseconds (the format's unit) as floats carrying the nanoseconds.
Viewers need every B to have its E: a span left open (a task that exited inside exit_group,
an execve that never returned to the old program) is closed at the task's last event.
"""
import json
import math

CPU_TRACK_PID = 4194304          # PID_MAX_LIMIT: no guest pid can take it
CPU_TRACK_NAME = "CPU 0"
IDLE_PID = 0
SYSCALL_PREFIX = ("__x64_sys_", "__ia32_sys_")       # a 64-bit or an i386 syscall's span

# The span or point event that starts an arrow -> (category, name) shared by both ends.
FLOW_KINDS = {
    "wake_up_new_task": ("fork", "fork: parent wakes the new child"),
    "pipe_wake": ("pipe", "pipe: writer wakes the reader"),
}

_CATEGORY_NAMES = {
    "fork": {"kernel_clone", "copy_process", "dup_task_struct", "copy_creds", "sched_fork",
             "copy_files", "copy_fs", "copy_sighand", "copy_signal", "copy_mm", "dup_mmap",
             "copy_namespaces", "copy_thread", "alloc_pid", "wake_up_new_task",
             "ret_from_fork", "schedule_tail", "task_newtask"},
    "exec": {"do_execveat_common", "bprm_execve", "exec_binprm", "search_binary_handler",
             "load_elf_binary", "load_elf_binary_entry", "begin_new_exec", "setup_new_exec",
             "start_thread", "sched_process_exec"},
    "sched": {"schedule", "context_switch", "switch_mm", "switch_to", "sched_switch",
              "sched_wakeup", "timer_tick"},
    "exit": {"do_exit", "exit_notify", "do_notify_parent", "release_task", "do_wait",
             "sched_process_exit", "sched_process_free"},
}

_STATE_WORDS = {
    "R": "R (preempted, still runnable)", "S": "S (sleeping)", "D": "D (uninterruptible sleep)",
    "T": "T (stopped)", "Z": "Z (zombie)", "X": "X (dead)",
}


def write_timeline(recorder, path) -> None:
    """Write the recording's timeline to path: an HTML page if it ends in .html, else JSON."""
    if str(path).lower().endswith(".html"):
        from glasskernel.tools.timeline.timeline_html import render_html
        text = render_html(recorder)
    else:
        text = dumps_trace(build_trace(recorder))
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def dumps_trace(trace: dict) -> str:
    """The JSON text, one event per line (still one JSON document)."""
    lines = ",\n".join(json.dumps(e, separators=(",", ":")) for e in trace["traceEvents"])
    rest = "".join(f",\n{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}"
                   for k, v in trace.items() if k != "traceEvents")
    return '{"traceEvents":[\n' + lines + "\n]" + rest + "}\n"


def build_trace(recorder) -> dict:
    """The trace-event document (a dict ready for json.dump) of a recording."""
    events = list(recorder.events)
    names = _task_names(events)
    timed = _Timed()
    _cpu_slices(events, names, timed)
    repairs = _task_events(events, _paired_flows(events), timed)
    return {
        "traceEvents": _metadata_events(names) + timed.in_order(),
        "displayTimeUnit": "ns",
        "metadata": _document_metadata(recorder, repairs),
    }


def category(name: str) -> str:
    """The "cat" of a span or point event: which part of the kernel it belongs to."""
    if name.startswith(SYSCALL_PREFIX) or name == "syscall":
        return "syscall"
    if name.startswith("signal_"):
        return "signal"
    if name.startswith("pipe_"):
        return "pipe"
    for cat, members in _CATEGORY_NAMES.items():
        if name in members:
            return cat
    return "kernel"


def us(ns: int) -> float:
    """Trace-event time (µs) from nanoseconds, keeping the nanoseconds as decimals."""
    return round(ns / 1000, 3)


def json_safe(value):
    """Event arguments as JSON viewers read them: numbers past 2**53 become hex strings,
    NaN and infinities (not JSON) strings."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return value if abs(value) <= 1 << 53 else hex(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


class _Timed:
    """Timed events, kept in recording order within one timestamp (viewers that sort by
    time keep that order, and nesting depends on it)."""

    def __init__(self):
        self.items = []

    def add(self, ts_ns: int, index: int, event: dict) -> None:
        self.items.append((ts_ns, index, len(self.items), event))

    def in_order(self) -> list:
        return [item[3] for item in sorted(self.items, key=lambda it: it[:3])]


# ----- names -------------------------------------------------------------------------------

class _Names:
    """Per task: its thread group and its name (the last non-empty comm it had)."""

    def __init__(self):
        self.tgid = {}
        self.comm = {}

    def label(self, pid: int, comm: str = "") -> str:
        return f"{comm or self.comm.get(pid) or '?'}-{pid}"


def _task_names(events) -> _Names:
    names = _Names()
    for ev in events:
        names.tgid[ev.pid] = ev.tgid
        if ev.comm:
            names.comm[ev.pid] = ev.comm
        elif ev.pid not in names.comm:
            names.comm[ev.pid] = ""
    return names


def _metadata_events(names: _Names) -> list:
    out = [_meta("process_name", CPU_TRACK_PID, CPU_TRACK_PID, name=CPU_TRACK_NAME),
           _meta("process_sort_index", CPU_TRACK_PID, CPU_TRACK_PID, sort_index=-1),
           _meta("thread_name", CPU_TRACK_PID, CPU_TRACK_PID, name=CPU_TRACK_NAME)]
    groups = {}
    for pid in sorted(names.tgid):
        groups.setdefault(names.tgid[pid], []).append(pid)
    for tgid, pids in sorted(groups.items()):
        leader = tgid if tgid in pids else pids[0]
        out.append(_meta("process_name", tgid, tgid, name=names.comm.get(leader) or "?"))
        out.append(_meta("process_sort_index", tgid, tgid, sort_index=tgid))
        for pid in pids:
            out.append(_meta("thread_name", tgid, pid, name=names.comm.get(pid) or "?"))
            out.append(_meta("thread_sort_index", tgid, pid, sort_index=pid))
    return out


def _meta(kind: str, pid: int, tid: int, **args) -> dict:
    return {"ph": "M", "name": kind, "ts": 0, "pid": pid, "tid": tid, "args": args}


# ----- the CPU track -----------------------------------------------------------------------

def _cpu_slices(events, names: _Names, timed: _Timed) -> None:
    """One X slice per stretch a task held the CPU, cut at the sched_switch events."""
    cpu = _CpuTrack(names, timed)
    for index, ev in enumerate(events):
        cpu.saw(ev, index)
    cpu.finish()


class _CpuTrack:
    """Who is on the CPU, followed through the recording.

    sched_switch (emitted by prev) hands the CPU to next; prev may still record the end of
    its own switch (switch_mm, switch_to) before next's first event. Any other task showing
    up means a switch we did not see (a dying task's last schedule, or the events before
    the first sched_switch): the task we thought was running stopped at its last event and
    the newcomer runs from this one.
    """

    def __init__(self, names: _Names, timed: _Timed):
        self.names, self.timed = names, timed
        self.running = None        # [pid, comm, start ns, index of the event that started it]
        self.handing_over = None   # prev of the last switch, until next is seen
        self.last_ts = {}

    def saw(self, ev, index: int) -> None:
        if self.running is None:
            self.running = [ev.pid, ev.comm, ev.ts, index]
        elif ev.pid == self.running[0]:
            self.handing_over = None
        elif ev.pid != self.handing_over:
            self._end(self._last_sign_of_life(), None)
            self.running, self.handing_over = [ev.pid, ev.comm, ev.ts, index], None
        self.last_ts[ev.pid] = ev.ts
        if ev.ph == "i" and ev.name == "sched_switch":
            self._switch(ev, index)

    def _switch(self, ev, index: int) -> None:
        args = ev.args
        self._end(ev.ts, args.get("prev_state"))
        self.running = [args.get("next_pid"), args.get("next_comm", ""), ev.ts, index]
        self.handing_over = ev.pid

    def finish(self) -> None:
        if self.running is not None:
            self._end(self._last_sign_of_life(), None)

    def _last_sign_of_life(self) -> int:
        pid, _comm, start, _index = self.running
        return max(start, self.last_ts.get(pid, start))

    def _end(self, end: int, state) -> None:
        pid, comm, start, index = self.running
        if pid is None or pid == IDLE_PID:
            return
        args = {"pid": pid, "comm": comm or self.names.comm.get(pid) or "?"}
        if state:
            args["left as"] = _STATE_WORDS.get(state, state)
        self.timed.add(start, index, {
            "ph": "X", "name": self.names.label(pid, comm), "cat": "sched", "ts": us(start),
            "dur": us(end - start), "pid": CPU_TRACK_PID, "tid": CPU_TRACK_PID, "args": args})


# ----- task lanes --------------------------------------------------------------------------

def _paired_flows(events) -> dict:
    """flow id -> (cat, name) for the arrows that have both ends, start before finish."""
    starts, finishes = {}, {}
    for index, ev in enumerate(events):
        if ev.flow:
            phase, flow_id = ev.flow
            (starts if phase == "s" else finishes).setdefault(flow_id, (index, ev.name))
    paired = {}
    for flow_id, (index, name) in starts.items():
        if flow_id in finishes and finishes[flow_id][0] > index:
            paired[flow_id] = FLOW_KINDS.get(name, ("flow", name))
    return paired


class _Lane:
    """One task's open spans while its events are converted."""

    def __init__(self, pid: int, tgid: int):
        self.pid, self.tgid = pid, tgid
        self.stack = []                # names of the open spans, outermost first
        self.last = (0, 0)             # (ts, index) of its latest event

    def event(self, ph: str, name: str, ts: int, args=None, cat: str = None, **extra) -> dict:
        out = {"ph": ph, "name": name, "cat": cat or category(name), "ts": us(ts),
               "pid": self.tgid, "tid": self.pid}
        if args is not None:
            out["args"] = json_safe(args)
        out.update(extra)
        return out


def _task_events(events, flows: dict, timed: _Timed) -> dict:
    """B/E spans, instants and flow ends of every task; returns what had to be repaired."""
    lanes = {}
    repairs = {"unmatched_end": 0, "closed_unfinished": 0}
    for index, ev in enumerate(events):
        lane = lanes.get(ev.pid)
        if lane is None:
            lane = lanes[ev.pid] = _Lane(ev.pid, ev.tgid)
        lane.tgid, lane.last = ev.tgid, (ev.ts, index)
        _convert(lane, ev, index, _flow_event(lane, ev, flows), timed, repairs)
    for lane in lanes.values():
        _close_all(lane, timed, repairs)
    return repairs


def _convert(lane: _Lane, ev, index: int, flow, timed: _Timed, repairs: dict) -> None:
    """One recorded event as trace events of its task's lane (flow ends bind to the
    innermost open span, so they come after a B and before an E)."""
    def add(event):
        timed.add(ev.ts, index, event)
    if ev.ph == "B":
        if ev.name.startswith(SYSCALL_PREFIX):
            _close_stale_syscall(lane, ev.ts, index, timed, repairs)
        add(lane.event("B", ev.name, ev.ts, ev.args))
        lane.stack.append(ev.name)
        if flow:
            add(flow)
    elif ev.ph == "E":
        if ev.name not in lane.stack:
            repairs["unmatched_end"] += 1
            return
        _close_above(lane, ev.name, ev.ts, index, timed, repairs)
        if flow:
            add(flow)
        add(lane.event("E", ev.name, ev.ts, ev.args))
        lane.stack.pop()
    elif flow:
        # A point that anchors an arrow becomes a zero-length span: an arrow's end must
        # bind to a slice, and this one sits exactly where the wake-up happened.
        name, cat = _instant_name(ev), category(ev.name)
        add(lane.event("B", name, ev.ts, ev.args, cat))
        add(flow)
        add(lane.event("E", name, ev.ts, cat=cat))
    else:
        add(lane.event("i", _instant_name(ev), ev.ts, ev.args, category(ev.name), s="t"))


def _instant_name(ev) -> str:
    """Fast-path syscalls are all recorded as "syscall"; show which one."""
    if ev.name == "syscall":
        return str(ev.args.get("name") or ev.args.get("call") or "syscall")
    return ev.name


def _flow_event(lane: _Lane, ev, flows: dict):
    if not ev.flow or ev.flow[1] not in flows:
        return None
    phase, flow_id = ev.flow
    cat, name = flows[flow_id]
    out = {"ph": phase, "name": name, "cat": cat, "id": flow_id, "ts": us(ev.ts),
           "pid": lane.tgid, "tid": lane.pid}
    if phase == "f":
        out["bp"] = "e"
    return out


def _close(lane: _Lane, ts: int, index: int, timed: _Timed, repairs: dict) -> None:
    name = lane.stack.pop()
    repairs["closed_unfinished"] += 1
    timed.add(ts, index, lane.event("E", name, ts, {"unfinished": True}))


def _close_above(lane: _Lane, name: str, ts: int, index: int, timed, repairs) -> None:
    """An E for a span below the innermost one: the spans above it never ended."""
    while lane.stack[-1] != name:
        _close(lane, ts, index, timed, repairs)


def _close_stale_syscall(lane: _Lane, ts: int, index: int, timed, repairs) -> None:
    """Syscalls do not nest: a new one means the open one never returned (a successful
    execve does not return to the program that made it)."""
    for depth, name in enumerate(lane.stack):
        if name.startswith(SYSCALL_PREFIX):
            while len(lane.stack) > depth:
                _close(lane, ts, index, timed, repairs)
            return


def _close_all(lane: _Lane, timed: _Timed, repairs: dict) -> None:
    ts, index = lane.last
    while lane.stack:
        _close(lane, ts, index, timed, repairs)


# ----- the document's metadata -------------------------------------------------------------

def _document_metadata(recorder, repairs: dict) -> dict:
    processes = getattr(recorder, "processes", {}) or {}
    table = []
    for pid in sorted(processes):
        rec = processes[pid]
        table.append(json_safe({
            "pid": rec.pid, "ppid": rec.ppid, "comm": rec.comm, "filename": rec.filename,
            "argv": list(rec.argv), "start_us": None if rec.start is None else us(rec.start),
            "end_us": None if rec.end is None else us(rec.end), "status": rec.status,
        }))
    return {
        "generator": "glasskernel run --timeline",
        "clock": "ts in microseconds since boot, with nanosecond decimals",
        "cpu_track_pid": CPU_TRACK_PID,
        "command": _command(recorder),
        "processes": table,
        "repairs": repairs,
    }


def _command(recorder) -> str:
    roots = recorder.roots() if hasattr(recorder, "roots") else []
    for rec in sorted(roots, key=lambda r: r.pid):
        if rec.argv:
            return " ".join(str(a) for a in rec.argv)
    return ""

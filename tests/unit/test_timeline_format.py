"""The --timeline JSON (Chrome trace-event format) from a hand-built recording.

The recording below is a small story told in trace events: a shell (pid 2) forks a child
(pid 3), reads an empty pipe and sleeps; the child returns from fork, writes the pipe
(waking the shell) and exits inside exit_group; the shell resumes, then a thread of the
shell (pid 5, "worker") runs an execve that never returns to it, and more. Each test
checks one rule of the format or one promise of timeline.py against it; the validator
``trace_problems`` checks the format's rules that can be checked offline.
"""
import json
import math
import re
from types import SimpleNamespace

import pytest

from glasskernel.kernel.trace.recorder import Recorder
from glasskernel.tools.timeline.timeline import (CPU_TRACK_PID, build_trace, json_safe,
                                               write_timeline)
from glasskernel.tools.timeline.timeline_html import page_for_trace
from glasskernel.kernel.trace.tracepoint import TraceEvent


def ev(ts, pid, ph, name, /, *, task_comm="sh", tgid=None, flow=None, **args):
    """A recorded event of task pid (named task_comm); the keywords left are its args."""
    return TraceEvent(ts, 0, pid, pid if tgid is None else tgid, task_comm, ph, name, args, flow)


def worker(ts, ph, name, /, *, flow=None, **args):
    return ev(ts, 5, ph, name, task_comm="worker", tgid=2, flow=flow, **args)


STORY = [
    ev(1000, 2, "B", "__x64_sys_clone", nr=56, args=["0x1200011", "0x0"]),
    ev(1100, 2, "B", "kernel_clone", flags="SIGCHLD"),
    ev(1200, 2, "B", "copy_process", flags="SIGCHLD"),
    ev(1300, 2, "B", "copy_files", action="copied", why="CLONE_FILES clear"),
    ev(1400, 2, "E", "copy_files"),
    ev(1500, 2, "E", "copy_process", ret=3),
    ev(1550, 2, "i", "task_newtask", pid=3, ppid=2, comm="sh", flags="SIGCHLD"),
    ev(1600, 2, "B", "wake_up_new_task", flow=("s", 1), pid=3),
    ev(1700, 2, "E", "wake_up_new_task"),
    ev(1800, 2, "E", "kernel_clone", ret=3),
    ev(1900, 2, "E", "__x64_sys_clone", ret=3),
    ev(2000, 2, "i", "syscall", call="getpid", nr=39, ret=2),
    ev(2100, 2, "B", "__x64_sys_read", nr=0, args=["0x3"]),
    ev(2200, 2, "B", "pipe_read", count=4096),
    ev(2300, 2, "B", "schedule"),
    ev(2400, 2, "i", "sched_switch", prev_pid=2, prev_comm="sh", prev_state="S",
       next_pid=3, next_comm="sh"),
    ev(2500, 3, "B", "ret_from_fork", flow=("f", 1), rax=0, rip="0x401000", rsp="0x7ffd0000"),
    ev(2600, 3, "E", "ret_from_fork"),
    ev(2700, 3, "B", "__x64_sys_write", nr=1, args=["0x4"]),
    ev(2800, 3, "B", "pipe_write", count=3),
    ev(2900, 3, "i", "pipe_wake", flow=("s", 2), pipe=77, pid=2),
    ev(2950, 3, "i", "sched_wakeup", pid=2, comm="sh"),
    ev(3000, 3, "E", "pipe_write", ret=3),
    ev(3100, 3, "E", "__x64_sys_write", ret=3),
    ev(3150, 3, "i", "signal_generate", sig="SIGCHLD", pid=2, code=1),
    ev(3200, 3, "i", "timer_tick"),
    ev(3300, 3, "B", "__x64_sys_exit_group", nr=231, args=["0x0"]),
    ev(3400, 3, "B", "do_exit", code=0),
    ev(3500, 3, "i", "sched_process_exit", pid=3, code=0),
    # pid 3 is gone without a sched_switch of its own; the shell wakes up in its read
    ev(3700, 2, "E", "schedule"),
    ev(3750, 2, "i", "pipe_woken", flow=("f", 2), pipe=77),
    ev(3800, 2, "E", "pipe_read", ret=3),
    ev(3900, 2, "E", "__x64_sys_read", ret=3),
    ev(4000, 2, "i", "sched_switch", prev_pid=2, prev_comm="sh", prev_state="R",
       next_pid=5, next_comm="worker"),
    worker(4100, "E", "do_wait", ret=0),                 # its B was never recorded
    worker(4200, "B", "__x64_sys_execve", nr=59, args=["0x4a0000"]),
    worker(4300, "B", "do_execveat_common", filename="/bin/true"),
    worker(4400, "E", "do_execveat_common"),
    # execve succeeded: no E for __x64_sys_execve in the old program
    worker(4500, "B", "__x64_sys_nanosleep", nr=35),
    worker(4600, "B", "wake_up_new_task", flow=("s", 9), pid=6),   # child never ran
    worker(4700, "E", "wake_up_new_task"),
    worker(4800, "E", "__x64_sys_nanosleep", ret=0x7FFFFFFFFFFFFFFF),
    worker(4900, "i", "signal_deliver", sig="SIGTERM", handler="SIG_DFL"),
    worker(5001, "i", "timer_tick"),
]


def recording(events=STORY):
    recorder = Recorder()
    recorder.add_first_process(SimpleNamespace(pid=2, comm="sh"),
                               ["sh", "-c", "echo hi | cat"], "/bin/sh", 0)
    for event in events:
        recorder(event)
    return recorder


@pytest.fixture(scope="module")
def doc():
    return build_trace(recording())


# ----- an offline validator of the trace-event format --------------------------------------

PHASES = set("BEXiIsftMCbnePOND") | {"(", ")"}
META_NAMES = {"process_name", "process_labels", "process_sort_index", "thread_name",
              "thread_sort_index"}


def trace_problems(doc) -> list:
    """What breaks the Trace Event Format (JSON Object Format) or what viewers need."""
    problems = []
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["not a JSON object with a traceEvents array"]
    if doc.get("displayTimeUnit", "ms") not in ("ms", "ns"):
        problems.append("displayTimeUnit must be ms or ns")
    for n, event in enumerate(doc["traceEvents"]):
        problems += [f"event {n} {event.get('ph')}/{event.get('name')}: {p}"
                     for p in _event_problems(event)]
    if not problems:
        problems += _order_problems(doc["traceEvents"])
        problems += _nesting_problems(doc["traceEvents"])
        problems += _flow_problems(doc["traceEvents"])
    return problems


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _event_problems(event) -> list:
    problems = []
    ph = event.get("ph")
    if ph not in PHASES:
        return [f"unknown phase {ph!r}"]
    if not isinstance(event.get("name"), str) or not event["name"]:
        problems.append("no name")
    for key in ("pid", "tid"):
        if not isinstance(event.get(key), int) or isinstance(event.get(key), bool) \
                or not 0 <= event[key] < 1 << 32:
            problems.append(f"{key} must be an unsigned 32-bit integer")
    if ph != "M" and not _is_number(event.get("ts")):
        problems.append("ts must be a number")
    elif ph != "M" and abs(event["ts"] * 1000 - round(event["ts"] * 1000)) > 1e-3:
        problems.append("ts has more than nanosecond precision")
    if "args" in event and not isinstance(event["args"], dict):
        problems.append("args must be an object")
    if "cat" in event and not isinstance(event["cat"], str):
        problems.append("cat must be a string")
    if ph == "X" and not (_is_number(event.get("dur")) and event["dur"] >= 0):
        problems.append("X needs a dur >= 0")
    if ph in "iI" and event.get("s", "t") not in ("g", "p", "t"):
        problems.append("instant scope must be g, p or t")
    if ph in "sf" and ("id" not in event or not isinstance(event.get("cat"), str)):
        problems.append("flow events need an id and a cat")
    if ph == "M":
        problems += _metadata_problems(event)
    return problems


def _metadata_problems(event) -> list:
    name, args = event.get("name"), event.get("args")
    if name not in META_NAMES or not isinstance(args, dict):
        return [f"unknown metadata {name!r}"]
    if name.endswith("_name") and not (isinstance(args.get("name"), str) and args["name"]):
        return ["a *_name metadata event needs args.name"]
    if name.endswith("_sort_index") and not isinstance(args.get("sort_index"), int):
        return ["a *_sort_index metadata event needs an integer args.sort_index"]
    return []


def _order_problems(events) -> list:
    """Timed events in time order: viewers sort by ts, and keep the file order within one
    timestamp only if the file was already in order."""
    timed = [e["ts"] for e in events if e["ph"] != "M"]
    bad = sum(1 for a, b in zip(timed, timed[1:]) if b < a)
    metadata_after = any(e["ph"] == "M" for e in events[len(events) - len(timed):])
    return ([f"{bad} events go back in time"] if bad else []) + \
        (["metadata events after timed ones"] if metadata_after else [])


def _nesting_problems(events) -> list:
    problems, stacks = [], {}
    for event in events:
        stack = stacks.setdefault((event["pid"], event["tid"]), [])
        if event["ph"] == "B":
            stack.append(event)
        elif event["ph"] == "E":
            if not stack:
                problems.append(f"E {event['name']} at {event['ts']} without a B")
            elif stack[-1]["name"] != event["name"] or event["ts"] < stack[-1]["ts"]:
                problems.append(f"E {event['name']} at {event['ts']} closes {stack[-1]['name']}")
                stack.pop()
            else:
                stack.pop()
    for (pid, tid), stack in stacks.items():
        problems += [f"B {e['name']} of {pid}/{tid} never ends" for e in stack]
    return problems


def _flow_problems(events) -> list:
    """Each (cat, name, id) once as "s" and once as "f", in that order, each inside a slice
    of its thread (where the arrow's ends bind); "f" binds to the enclosing slice."""
    problems, ends, depth = [], {}, {}
    for event in events:
        key = (event["pid"], event["tid"])
        if event["ph"] == "B":
            depth[key] = depth.get(key, 0) + 1
        elif event["ph"] == "E":
            depth[key] -= 1
        elif event["ph"] in "sf":
            if not depth.get(key):
                problems.append(f"flow {event['ph']} {event['id']} outside any slice")
            if event["ph"] == "f" and event.get("bp") != "e":
                problems.append(f"flow f {event['id']} does not bind to its enclosing slice")
            ends.setdefault((event["cat"], event["name"], event["id"]), []).append(event)
    for key, pair in ends.items():
        if [e["ph"] for e in pair] != ["s", "f"] or pair[1]["ts"] < pair[0]["ts"]:
            problems.append(f"flow {key} is not one s then one f: {[e['ph'] for e in pair]}")
    return problems


# ----- helpers to read the document back ---------------------------------------------------

def slices(doc, tid=None) -> list:
    """(tid, name, depth, start µs, end µs, args of B and E merged) per B/E pair."""
    out, stacks = [], {}
    for event in doc["traceEvents"]:
        if event["ph"] not in "BE" or event["pid"] == CPU_TRACK_PID:
            continue
        stack = stacks.setdefault(event["tid"], [])
        if event["ph"] == "B":
            stack.append(event)
        else:
            begin = stack.pop()
            out.append((event["tid"], begin["name"], len(stack), begin["ts"], event["ts"],
                        {**begin.get("args", {}), **event.get("args", {})}))
    return [s for s in out if tid is None or s[0] == tid]


def find(doc, ph, name=None, tid=None) -> list:
    return [e for e in doc["traceEvents"] if e["ph"] == ph and name in (None, e["name"])
            and tid in (None, e["tid"])]


# ----- the validator itself ----------------------------------------------------------------

def test_hand_built_trace_is_valid(doc):
    assert trace_problems(doc) == []
    assert doc["displayTimeUnit"] == "ns"


def _without(doc, predicate):
    return {**doc, "traceEvents": [e for e in doc["traceEvents"] if not predicate(e)]}


def _changed(doc, predicate, **change):
    return {**doc, "traceEvents": [{**e, **change} if predicate(e) else e
                                   for e in doc["traceEvents"]]}


BREAKAGES = {
    "an E removed": lambda d: _without(d, lambda e: e["ph"] == "E" and e["name"] == "kernel_clone"),
    "a B removed": lambda d: _without(d, lambda e: e["ph"] == "B" and e["name"] == "pipe_read"),
    "a flow end removed": lambda d: _without(d, lambda e: e["ph"] == "f" and e["id"] == 1),
    "a tid removed": lambda d: {**d, "traceEvents": [
        {k: v for k, v in e.items() if k != "tid"} for e in d["traceEvents"]]},
    "ts as a string": lambda d: _changed(d, lambda e: e["ph"] == "i", ts="1.0"),
    "an unknown phase": lambda d: _changed(d, lambda e: e["ph"] == "i", ph="Q"),
    "a negative dur": lambda d: _changed(d, lambda e: e["ph"] == "X", dur=-1.0),
    "an unnamed thread": lambda d: _changed(d, lambda e: e["name"] == "thread_name", args={}),
    "time running backwards": lambda d: _changed(d, lambda e: e["name"] == "timer_tick", ts=0.5),
    "a flow end not bound": lambda d: _changed(d, lambda e: e["ph"] == "f", bp="n"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_validator_finds_broken_documents(doc, breakage):
    assert trace_problems(BREAKAGES[breakage](doc)) != []


# ----- the CPU track -----------------------------------------------------------------------

def test_cpu_track_follows_sched_switch(doc):
    cpu = [(e["name"], e["ts"], e["dur"], e["args"].get("left as"))
           for e in find(doc, "X") if e["pid"] == CPU_TRACK_PID]
    assert cpu == [
        ("sh-2", 1.0, 1.4, "S (sleeping)"),       # from the first event to its switch
        ("sh-3", 2.4, 1.1, None),                 # died: ends at its last event
        ("sh-2", 3.7, 0.3, "R (preempted, still runnable)"),
        ("worker-5", 4.0, 1.001, None),           # runs to its last event
    ]
    assert all(e["tid"] == CPU_TRACK_PID and e["cat"] == "sched" for e in find(doc, "X"))


def test_idle_task_leaves_the_cpu_track_empty():
    events = [ev(100, 2, "i", "sched_switch", prev_pid=2, prev_comm="sh", prev_state="S",
                 next_pid=0, next_comm="swapper/0"),
              ev(150, 0, "B", "context_switch", task_comm="swapper/0", prev=0, next=2),
              ev(160, 0, "i", "sched_switch", task_comm="swapper/0", prev_pid=0,
                 prev_comm="swapper/0", prev_state="R", next_pid=2, next_comm="sh"),
              ev(170, 0, "B", "switch_to", task_comm="swapper/0"),   # idle finishing its switch
              ev(200, 2, "i", "timer_tick")]
    doc = build_trace(recording(events))
    assert [(e["name"], e["ts"], e["dur"]) for e in find(doc, "X")] == \
        [("sh-2", 0.1, 0.0), ("sh-2", 0.16, 0.04)]
    assert trace_problems(doc) == []


# ----- task lanes --------------------------------------------------------------------------

def test_kernel_spans_nest_per_task(doc):
    fork = [(name, depth, start, end) for _t, name, depth, start, end, _a in slices(doc, 2)
            if start < 2.0]
    assert sorted(fork, key=lambda s: (s[2], s[1])) == [
        ("__x64_sys_clone", 0, 1.0, 1.9),
        ("kernel_clone", 1, 1.1, 1.8),
        ("copy_process", 2, 1.2, 1.5),
        ("copy_files", 3, 1.3, 1.4),
        ("wake_up_new_task", 2, 1.6, 1.7),
    ]
    clone = next(s for s in slices(doc, 2) if s[1] == "copy_process")
    assert clone[5] == {"flags": "SIGCHLD", "ret": 3}                # B and E args
    assert {e["cat"] for e in find(doc, "B", "__x64_sys_clone")} == {"syscall"}
    assert {e["cat"] for e in find(doc, "B", "copy_files")} == {"fork"}


def test_sleeping_span_lasts_until_the_task_runs_again(doc):
    read = next(s for s in slices(doc, 2) if s[1] == "__x64_sys_read")
    assert (read[3], read[4], read[5]["ret"]) == (2.1, 3.9, 3)


def test_spans_left_open_end_at_the_tasks_last_event(doc):
    ends = [e for e in find(doc, "E", tid=3) if e.get("args", {}).get("unfinished")]
    assert [(e["name"], e["ts"]) for e in ends] == [("do_exit", 3.5), ("__x64_sys_exit_group", 3.5)]
    assert doc["metadata"]["repairs"]["closed_unfinished"] == 3     # 2 here + the execve


def test_a_syscall_that_never_returned_ends_where_the_next_one_starts(doc):
    spans = [(name, depth, start, end) for _t, name, depth, start, end, _a in slices(doc, 5)]
    assert ("__x64_sys_execve", 0, 4.2, 4.5) in spans
    assert ("__x64_sys_nanosleep", 0, 4.5, 4.8) in spans            # not nested in execve


def test_an_end_without_its_begin_is_dropped(doc):
    assert find(doc, "E", "do_wait") == []
    assert doc["metadata"]["repairs"]["unmatched_end"] == 1


def test_point_events_are_thread_instants(doc):
    instants = {(e["name"], e["tid"]): e for e in reversed(find(doc, "i"))}   # first wins
    switch = instants[("sched_switch", 2)]
    assert switch["s"] == "t" and switch["cat"] == "sched" and switch["ts"] == 2.4
    assert switch["args"]["next_pid"] == 3
    assert instants[("signal_generate", 3)]["cat"] == "signal"
    assert instants[("timer_tick", 5)]["ts"] == 5.001
    getpid = instants[("getpid", 2)]                               # fast-path syscall
    assert getpid["cat"] == "syscall" and getpid["args"]["ret"] == 2


def test_big_numbers_become_hex_strings(doc):
    sleep = next(s for s in slices(doc, 5) if s[1] == "__x64_sys_nanosleep")
    assert sleep[5]["ret"] == "0x7fffffffffffffff"
    assert json_safe({"a": [1 << 60, -5, b"x\xff"], 3: True}) == \
        {"a": ["0x1000000000000000", -5, "x\\xff"], "3": True}


# ----- flows -------------------------------------------------------------------------------

def test_fork_flow_goes_from_wake_up_new_task_to_ret_from_fork(doc):
    start, finish = find(doc, "s", tid=2)[0], find(doc, "f", tid=3)[0]
    assert (start["id"], start["ts"], finish["id"], finish["ts"]) == (1, 1.6, 1, 2.5)
    assert start["cat"] == finish["cat"] == "fork" and start["name"] == finish["name"]
    assert finish["bp"] == "e"
    events = doc["traceEvents"]
    assert events[events.index(start) - 1]["name"] == "wake_up_new_task"   # its B, just before
    assert events[events.index(finish) - 1]["name"] == "ret_from_fork"


def test_pipe_flow_binds_to_zero_length_wake_up_slices(doc):
    start = next(e for e in find(doc, "s") if e["cat"] == "pipe")
    finish = next(e for e in find(doc, "f") if e["cat"] == "pipe")
    assert (start["tid"], start["ts"], finish["tid"], finish["ts"]) == (3, 2.9, 2, 3.75)
    wake = next(s for s in slices(doc, 3) if s[1] == "pipe_wake")
    woken = next(s for s in slices(doc, 2) if s[1] == "pipe_woken")
    assert (wake[2], wake[3], wake[4], wake[5]["pipe"]) == (2, 2.9, 2.9, 77)  # in pipe_write
    assert (woken[3], woken[4]) == (3.75, 3.75)


def test_a_flow_without_its_other_end_is_left_out(doc):
    assert sorted(e["id"] for e in find(doc, "s")) == [1, 2]
    assert sorted(e["id"] for e in find(doc, "f")) == [1, 2]


# ----- names -------------------------------------------------------------------------------

def test_processes_and_threads_are_named(doc):
    meta = {(e["name"], e["pid"], e["tid"]): e["args"] for e in find(doc, "M")}
    assert meta[("process_name", CPU_TRACK_PID, CPU_TRACK_PID)] == {"name": "CPU 0"}
    assert meta[("thread_name", CPU_TRACK_PID, CPU_TRACK_PID)] == {"name": "CPU 0"}
    assert meta[("process_name", 2, 2)] == {"name": "sh"}
    assert meta[("process_name", 3, 3)] == {"name": "sh"}
    assert meta[("thread_name", 2, 5)] == {"name": "worker"}          # a thread of pid 2
    assert meta[("thread_sort_index", 2, 5)] == {"sort_index": 5}
    assert meta[("process_sort_index", CPU_TRACK_PID, CPU_TRACK_PID)] == {"sort_index": -1}
    task_tids = {e["tid"] for e in doc["traceEvents"] if e["ph"] != "M"} - {CPU_TRACK_PID}
    named = {tid for (kind, _pid, tid) in meta if kind == "thread_name"}
    assert task_tids == {2, 3, 5} and named == task_tids | {CPU_TRACK_PID}


def test_document_metadata_has_the_process_table(doc):
    meta = doc["metadata"]
    assert meta["command"] == "sh -c echo hi | cat"
    assert meta["cpu_track_pid"] == CPU_TRACK_PID
    table = {p["pid"]: p for p in meta["processes"]}
    assert table[3]["ppid"] == 2 and table[3]["end_us"] == 3.5 and table[3]["status"] == 0
    assert table[2]["argv"] == ["sh", "-c", "echo hi | cat"]


def test_empty_recording_gives_a_valid_document():
    doc = build_trace(Recorder())
    assert trace_problems(doc) == []
    assert all(e["ph"] == "M" for e in doc["traceEvents"])


# ----- the files ---------------------------------------------------------------------------

def test_json_file_round_trips(tmp_path):
    path = tmp_path / "run.json"
    write_timeline(recording(), str(path))
    on_disk = json.loads(path.read_text())
    assert on_disk == json.loads(json.dumps(build_trace(recording())))
    assert trace_problems(on_disk) == []


def _embedded(page: str):
    match = re.search(r'<script type="application/json" id="trace-data">(.*?)</script>',
                      page, re.S)
    return json.loads(match.group(1))


def test_html_file_is_self_contained(tmp_path):
    path = tmp_path / "run.HTML"
    write_timeline(recording(), str(path))
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert _embedded(page) == json.loads(json.dumps(build_trace(recording())))
    assert not re.search(r'\b(src|href)\s*=\s*"(?!data:)', page)     # nothing to fetch
    assert "http://" not in page and "https://" not in page
    assert "{{" not in page and "function buildModel" in page and "#tooltip" in page
    assert "<title>sh -c echo hi | cat - glasskernel timeline</title>" in page


def test_html_embedding_cannot_close_the_script_element():
    events = [ev(100, 2, "i", "timer_tick", task_comm="</script><b>x"),
              ev(200, 2, "B", "pipe_read", task_comm="</script><b>x", note="a & b <!--")]
    doc = build_trace(recording(events))
    page = page_for_trace(doc)
    assert "</script><b>" not in page and "<!--" not in page
    assert _embedded(page) == json.loads(json.dumps(doc))

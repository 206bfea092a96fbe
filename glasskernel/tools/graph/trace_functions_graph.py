"""A recording as ftrace's function_graph tracer shows it (kernel/trace/trace_functions_graph.c).

The layout is the one ``echo function_graph > current_tracer`` gives with the
funcgraph-proc and funcgraph-retval options on: a CPU column, the task as comm-pid
centred in 14 columns, the duration of each call (with ftrace's + ! # * @ $ marks for
calls longer than 10 us, 100 us, 1 ms, 10 ms, 100 ms, 1 s), and the calls indented by
the task's nesting depth::

     0)   busybox-2    |               |  kernel_clone(flags=SIGCHLD) {
     0)   busybox-2    |               |    copy_process(flags=SIGCHLD) {
     0)   busybox-2    |   3.215 us    |      alloc_pid(); /* = 3 */
     0)   busybox-2    | + 41.806 us   |    } /* copy_process = 3 */

A call whose return comes right after its entry (a leaf) takes one line. Point events
(sched_switch, signal_generate ...) are comments, and a banner marks each change of the
task whose events are shown, as ftrace does on a context switch. A task that sleeps
inside a call closes it after other tasks' lines: the duration includes the sleep.

``filter`` works like set_graph_function: glob patterns on function names; only the
calls matching, everything they call, and the banners between tasks are shown, indented
from the matching call.
"""
import fnmatch
from dataclasses import dataclass

HEADER = (
    "# tracer: function_graph\n"
    "#\n"
    "# CPU  TASK/PID         DURATION                  FUNCTION CALLS\n"
    "# |     |    |           |   |                     |   |   |   |\n"
)
PROCINFO_LENGTH = 14                 # width of the comm-pid column
COMM_SHOWN = 7                       # ftrace cuts the comm to 7 characters there
INDENT = 2                           # spaces per nesting level
NO_DURATION = "              |  "    # the duration column of a line without one
BANNER_RULE = " " + "-" * 42
# (threshold in ns, mark): a call longer than the threshold gets the mark (trace_find_mark)
MARKS = ((1_000_000_000, "$"), (100_000_000, "@"), (10_000_000, "*"),
         (1_000_000, "#"), (100_000, "!"), (10_000, "+"))


@dataclass
class Line:
    """One event chosen for the graph: kind is "enter", "exit" or "point"; depth is the
    nesting level it is drawn at; start is the entry time of the call an exit closes
    (None when the entry was not in the recording)."""

    kind: str
    event: object
    depth: int
    start: int = None


@dataclass
class _Open:
    name: str
    ts: int


# What a call tried in the syscall hook returns when it must wait and is run again from
# its start on the slow path (fs/pipe.py: pipe_read): Linux makes that one call, so the
# graph shows the second alone.
RERUN_LATER = {"wait": "park"}


def write_function_graph(events, out, filter=None) -> None:
    """Write the events (a recording's list of TraceEvents) to the text stream out."""
    lines = select_lines(drop_reruns(events), filter)
    cpu_width = max((len(str(line.event.cpu)) for line in lines), default=1)
    out.write(HEADER)
    last = None                                  # (pid, comm) of the last line written
    i = 0
    while i < len(lines):
        line = lines[i]
        event = line.event
        if last is not None and last[0] != event.pid:
            out.write(switch_banner(cpu_width, event.cpu, last, (event.pid, event.comm)))
        last = (event.pid, event.comm)
        prefix = line_prefix(cpu_width, event)
        if line.kind == "enter" and _is_leaf(line, lines, i):
            out.write(prefix + leaf_text(line, lines[i + 1]) + "\n")
            i += 2
            continue
        out.write(prefix + LINE_TEXT[line.kind](line) + "\n")
        i += 1


# ----- choosing the lines ----------------------------------------------------------------

def drop_reruns(events) -> list:
    """The events without the calls that returned RERUN_LATER right after their entry."""
    kept = []
    last = {}                                    # pid -> index in kept of its last event
    for event in events:
        before = last.get(event.pid)
        if (event.ph == "E" and event.args == RERUN_LATER and before is not None
                and kept[before].ph == "B" and kept[before].name == event.name):
            kept[before] = None
            del last[event.pid]
            continue
        last[event.pid] = len(kept)
        kept.append(event)
    return [e for e in kept if e is not None]


def select_lines(events, patterns=None) -> list:
    """The events to draw, each with its depth, after the filter (None: all of them).

    Each task's open calls are a stack. An exit closes the innermost open call of its
    name; calls above it that never returned (the task exited or exec'd inside them) are
    dropped from the stack. With a filter, a task's events are shown from the entry of
    a matching call to its exit, at depths counted from that call.
    """
    stacks = {}                                  # pid -> [_Open]
    bases = {}                                   # pid -> stack depth of the matching call
    lines = []
    for event in events:
        stack = stacks.setdefault(event.pid, [])
        base = bases.get(event.pid) if patterns else 0
        if event.ph == "B":
            if base is None and _matches(event.name, patterns):
                base = bases[event.pid] = len(stack)
            if base is not None:
                lines.append(Line("enter", event, len(stack) - base))
            stack.append(_Open(event.name, event.ts))
        elif event.ph == "E":
            line = _close(stack, event, base)
            if line is not None:
                lines.append(line)
            if base is not None and patterns and len(stack) <= base:
                bases[event.pid] = None          # the matching call returned (or was left)
        elif base is not None:
            lines.append(Line("point", event, len(stack) - base))
    return lines


def _close(stack: list, event, base):
    """Pop the call the exit event ends; its Line if it is shown, else None."""
    index = _innermost(stack, event.name)
    if index is None:                            # its entry is not in the recording
        if base is None:
            return None
        return Line("exit", event, max(len(stack) - base - 1, 0))
    start = stack[index].ts
    del stack[index:]
    if base is None or index < base:
        return None
    return Line("exit", event, index - base, start)


def _innermost(stack: list, name: str):
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].name == name:
            return index
    return None


def _matches(name: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _is_leaf(line: Line, lines: list, i: int) -> bool:
    """An entry directly followed by its own return (same task, same function)."""
    if i + 1 >= len(lines):
        return False
    nxt = lines[i + 1]
    return (nxt.kind == "exit" and nxt.start is not None and nxt.event.pid == line.event.pid
            and nxt.event.name == line.event.name)


# ----- the columns -----------------------------------------------------------------------

def line_prefix(cpu_width: int, event) -> str:
    return cpu_column(cpu_width, event.cpu) + proc_column(event.pid, event.comm) + " | "


def cpu_column(width: int, cpu: int) -> str:
    return f" {cpu:>{width}}) "


def proc_column(pid: int, comm: str) -> str:
    """comm-pid centred in PROCINFO_LENGTH columns (the idle task is <idle>, a task
    not yet named <...>, as ftrace shows a pid whose comm it does not know)."""
    name = "<idle>" if pid == 0 else (comm or "<...>")[:COMM_SHOWN]
    text = f"{name}-{pid}"
    spaces = max(PROCINFO_LENGTH - len(text), 0)
    return " " * (spaces // 2) + text + " " * (spaces - spaces // 2)


def duration_column(ns: int) -> str:
    """The overhead mark and the duration in microseconds, as print_graph_duration."""
    ns = max(ns, 0)
    return f"{overhead_mark(ns)} {format_duration(ns)}|  "


def overhead_mark(ns: int) -> str:
    for threshold, mark in MARKS:
        if ns > threshold:
            return mark
    return " "


def format_duration(ns: int) -> str:
    """Microseconds with up to 3 decimals, at most 7 digits in all, padded to 8 columns."""
    usecs, nsecs = divmod(ns, 1000)
    text = str(usecs)
    width = len(text)
    if width < 7:
        decimals = f"{nsecs:03d}"[:min(4, 7 - width)]
        text += "." + decimals
        width += len(decimals) + 1
    return text + " us " + " " * max(8 - width, 0)


def switch_banner(cpu_width: int, cpu: int, prev: tuple, nxt: tuple) -> str:
    """The lines ftrace prints when the task whose events it shows changes."""
    return (f"{BANNER_RULE}\n{cpu_column(cpu_width, cpu)}{proc_column(*prev)} => "
            f"{proc_column(*nxt)}\n{BANNER_RULE}\n\n")


# ----- the function column -----------------------------------------------------------------

def enter_text(line: Line) -> str:
    return NO_DURATION + _indent(line.depth) + call_text(line.event) + " {"


def leaf_text(enter: Line, exit: Line) -> str:
    comment = return_text(exit.event.args)
    tail = f" /* {comment} */" if comment else ""
    return (duration_column(exit.event.ts - exit.start) + _indent(enter.depth)
            + call_text(enter.event) + ";" + tail)


def exit_text(line: Line) -> str:
    duration = NO_DURATION if line.start is None else duration_column(line.event.ts - line.start)
    comment = " ".join(filter(None, (line.event.name, return_text(line.event.args))))
    return duration + _indent(line.depth) + "} /* " + comment + " */"


def point_text(line: Line) -> str:
    event = line.event
    details = " ".join(f"{key}={format_value(value)}" for key, value in event.args.items())
    body = f"{event.name}: {details}" if details else event.name
    return NO_DURATION + _indent(line.depth) + "/* " + body + " */"


LINE_TEXT = {"enter": enter_text, "exit": exit_text, "point": point_text}


def call_text(event) -> str:
    args = ", ".join(f"{key}={format_value(value)}" for key, value in event.args.items())
    return f"{event.name}({args})"


def return_text(args: dict) -> str:
    """What a return comment says: "= 3", "= -EAGAIN", then any other values."""
    parts = []
    if "error" in args:
        parts.append(_error_text(str(args["error"])))
    elif "ret" in args:
        parts.append(f"= {format_value(args['ret'])}")
    parts += [f"{key}={format_value(value)}" for key, value in args.items()
              if key not in ("ret", "error")]
    return ", ".join(parts)


def _error_text(error: str) -> str:
    """An errno name is a negative return as the kernel would give it; anything else
    (a Python exception's type) is said to have been raised."""
    if error.startswith("E") and error.isupper():
        return f"= -{error}"
    return f"raised {error}"


def format_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    return str(value)


def _indent(depth: int) -> str:
    return " " * (depth * INDENT)

"""The recorder probe: every trace event of a run, and the process table built from them.

``glasskernel trace``, ``--timeline`` and ``--tree`` all read one recording: the ordered
list of TraceEvents, plus, per process, what the tree needs (parent, program, arguments,
lifetime and exit status), collected from the task_newtask, sched_process_exec,
sched_process_exit and sched_process_free events as they pass.
"""
import fnmatch
from dataclasses import dataclass, field


@dataclass
class ProcessRecord:
    """One task's life as the trace saw it (times in trace ns)."""

    pid: int
    ppid: int
    comm: str
    start: int
    argv: list = field(default_factory=list)
    filename: str = ""
    end: int = None
    status: int = None               # wait status (exit code << 8 | signal)
    children: list = field(default_factory=list)


class Recorder:
    """Attach to a kernel's tracer; events accumulate in ``events``.

    ``keep`` may restrict what is stored to function names matching any of the given
    glob patterns (the process table is kept regardless).
    """

    def __init__(self, keep: list = None):
        self.events = []
        self.processes = {}          # pid -> ProcessRecord
        self.keep = keep

    def __call__(self, event) -> None:
        self._track(event)
        if self.keep is None or any(fnmatch.fnmatchcase(event.name, p) for p in self.keep):
            self.events.append(event)

    def add_first_process(self, task, argv: list, filename: str, ts: int = 0) -> None:
        self.processes[task.pid] = ProcessRecord(task.pid, 1, task.comm, ts, list(argv), filename)

    def _track(self, event) -> None:
        if event.ph != "i":
            return
        args = event.args
        name = event.name
        if name == "task_newtask":
            rec = ProcessRecord(args["pid"], args["ppid"], args["comm"], event.ts)
            parent = self.processes.get(args["ppid"])
            if parent is not None:
                rec.argv, rec.filename = list(parent.argv), parent.filename
                parent.children.append(rec.pid)
            self.processes[rec.pid] = rec
        elif name == "sched_process_exec":
            rec = self.processes.get(args["pid"])
            if rec is not None:
                rec.comm, rec.filename = args["comm"], args["filename"]
                rec.argv = list(args.get("argv", rec.argv))
        elif name == "sched_process_exit":
            rec = self.processes.get(args["pid"])
            if rec is not None:
                rec.end, rec.status = event.ts, args["code"]

    def roots(self) -> list:
        """Processes whose parent is not in the table (the first program, normally)."""
        return [p for p in self.processes.values() if p.ppid not in self.processes]

"""A Python API for notebooks and scripts: create a kernel, spawn a program, watch, run.

    from glasskernel.api import Session

    s = Session(deterministic=True)
    s.on("copy_process", lambda ev: print("fork by", ev.pid, ev.args["flags"]))
    s.on("sched_switch", lambda ev: print(ev.args["prev_pid"], "->", ev.args["next_pid"]))
    s.spawn(["/bin/busybox", "sh", "-c", "echo hi | cat"])
    status = s.run()                   # the first program's exit status (or 128 + signal)
    for p in s.processes():            # pid, parent, program, exit status, lifetime
        print(p.pid, p.ppid, p.comm, p.status)

Callbacks receive TraceEvents (kernel/trace/tracepoint.py, explained by tools/demo/explain.py): ``ph`` is "B" when a kernel
function is entered, "E" when it returns (``args["ret"]``), "i" for a point event;
``on`` listens to entries and point events unless ``ph`` says otherwise. While a
callback runs, ``session.kernel.current`` is the task in the kernel, and
``session.tasks()`` lists every task.
"""
import fnmatch
from dataclasses import dataclass

from glasskernel.init.main import Kernel
from glasskernel.kernel.task import task_state_to_char
from glasskernel.kernel.trace.recorder import Recorder
from glasskernel.tools.demo.explain import explain_events


@dataclass
class TaskInfo:
    """A snapshot of one task for display."""

    pid: int
    tgid: int
    ppid: int
    comm: str
    state: str


class Session:
    """One kernel and its first program, with tracepoint callbacks and a recording."""

    def __init__(self, root: str = None, deterministic: bool = False, max_tasks: int = 4096):
        self.kernel = Kernel(root=root, deterministic=deterministic, max_tasks=max_tasks)
        explain_events(self.kernel.tracer)      # callbacks see copy_files' "shared"/"copied"
        self.recorder = Recorder()
        # Attached when the program is spawned: an attached probe turns tracing on for
        # the process (tracepoint._active), which a session never run must not leave on.
        self._probes = [self.recorder]
        self.task = None
        self.status = None

    def on(self, pattern: str, callback, ph: str = "Bi") -> None:
        """Call callback(event) for events whose name matches the glob pattern."""
        def probe(event):
            if event.ph in ph and fnmatch.fnmatchcase(event.name, pattern):
                callback(event)
        if self.task is None:
            self._probes.append(probe)
        else:
            self.kernel.tracer.attach(probe)

    def spawn(self, argv: list, env: dict = None) -> int:
        """exec argv as the first program (pid 2); returns its pid."""
        if self.task is not None:
            raise RuntimeError("a session runs one first program; fork more from inside it")
        env = {"PATH": "/usr/bin:/bin"} if env is None else env
        envp = [_host_bytes(f"{k}={v}") for k, v in env.items()]
        for probe in self._probes:
            self.kernel.tracer.attach(probe)
        try:
            self.task = self.kernel.run_init_process(_host_bytes(argv[0]),
                                                     [_host_bytes(a) for a in argv], envp)
        except BaseException:                   # the program cannot start: nothing to run
            self._close()
            raise
        self.recorder.add_first_process(self.task, argv, argv[0])
        return self.task.pid

    def run(self) -> int:
        """Run until every task has exited; the first program's status, shell style."""
        if self.task is None:
            raise RuntimeError("spawn a program first")
        try:
            wait_status = self.kernel.run(self.task)
        finally:
            self._close()
        signo = wait_status & 0x7F
        self.status = 128 + signo if signo else wait_status >> 8
        return self.status

    def tasks(self) -> list:
        """The tasks alive now (during a callback) as TaskInfo snapshots."""
        return [TaskInfo(t.pid, t.tgid, t.real_parent.pid if t.real_parent else 0, t.comm,
                         task_state_to_char(t)) for t in sorted(self.kernel.tasks.values(),
                                                        key=lambda t: t.pid)]

    def processes(self) -> list:
        """Every process of the run (ProcessRecord: pid, ppid, comm, argv, start, end, status)."""
        return sorted(self.recorder.processes.values(), key=lambda p: p.pid)

    def _close(self) -> None:
        self.kernel.tracer.detach_all()
        self.kernel.shutdown()

    @property
    def events(self) -> list:
        return self.recorder.events


def _host_bytes(text: str) -> bytes:
    """Arguments and environment as the host gave them (undecodable bytes kept)."""
    return text.encode("utf-8", "surrogateescape")


__all__ = ["Session", "TaskInfo"]

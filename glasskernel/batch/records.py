"""What a batch job keeps of its run, from the kernel's own records.

``RunRecords`` is a trace probe: it numbers every trace event (reasons cite "event #N"),
keeps the process lifecycle events (task_newtask, sched_process_exec/exit/free: the
reaper of a task is the task current at its sched_process_free), counts syscalls (the
fast path's ``syscall`` events and the slow path's ``__x64_sys_*`` and ``__ia32_sys_*`` spans), and hashes
every event into the run's trace digest, so two deterministic runs can be compared
without keeping either trace. It also watches exec (its sched_process_exec events):
after execve has closed the close-on-exec descriptors, whatever is left above 2 in the
new program's table was inherited (``ExecRecord``). And it stops a fork bomb: the first fork refused at the
task cap kills every guest task.
"""
import hashlib
from dataclasses import dataclass, field

from glasskernel.kernel.signal import send_signal

LIFECYCLE = frozenset(("task_newtask", "sched_process_exec", "sched_process_exit",
                       "sched_process_free"))
SYSCALL_SPAN = ("__x64_sys_", "__ia32_sys_")         # a 64-bit or an i386 syscall's span
SIGKILL = 9


@dataclass
class ExecRecord:
    """An execve that succeeded: who, what, and the descriptors above 2 still open."""

    seq: int                          # the sched_process_exec event's number
    pid: int
    filename: str
    fds: list = field(default_factory=list)      # [(fd, what it is)]


@dataclass
class TaskLimitHit:
    seq: int
    pid: int
    comm: str
    tasks: int


class RunRecords:
    """The probe (see the module's text). ``events`` are (seq, TraceEvent) pairs."""

    def __init__(self, kernel, keep=None):
        self.kernel = kernel
        self.keep = keep                  # another probe that wants every event (Recorder)
        self.seq = 0
        self.events = []
        self.syscalls = {}
        self.execs = []
        self.task_limit = None
        self._hash = hashlib.sha256()

    def __call__(self, event) -> None:
        self.seq += 1
        name = event.name
        self._hash.update(repr((event.ts, event.pid, event.tgid, event.comm, event.ph, name,
                                event.args, event.flow)).encode("utf-8", "backslashreplace"))
        if name in LIFECYCLE:
            self.events.append((self.seq, event))
            if name == "sched_process_exec":
                self._exec(event)
        elif name == "syscall":
            call = event.args.get("call", "?")
            self.syscalls[call] = self.syscalls.get(call, 0) + 1
        elif event.ph == "B" and name.startswith(SYSCALL_SPAN):
            call = name.split("_sys_", 1)[1]
            self.syscalls[call] = self.syscalls.get(call, 0) + 1
        elif name == "kernel_clone" and event.ph == "E" and event.args.get("error") == "EAGAIN":
            self._maybe_task_limit(event)
        if self.keep is not None:
            self.keep(event)

    def digest(self) -> str:
        return self._hash.hexdigest()

    def _exec(self, event) -> None:
        """The exec's task keeps what close-on-exec left open: note what is above 2."""
        task = self.kernel.tasks.get(event.pid)
        fds = []
        files = task.files if task is not None else None
        for fd in sorted(files.fds if files is not None else ()):
            if fd > 2:
                fds.append((fd, describe_file(files.fds[fd])))
        self.execs.append(ExecRecord(self.seq, event.pid, event.args["filename"], fds))

    def _maybe_task_limit(self, event) -> None:
        """A fork refused because the task table is full: the job hit max_tasks. Kill
        every guest task once (a fork bomb would otherwise retry until its timeout)."""
        kernel = self.kernel
        if self.task_limit is not None or len(kernel.tasks) < kernel.max_tasks:
            return
        self.task_limit = TaskLimitHit(self.seq, event.pid, event.comm, len(kernel.tasks))
        for task in list(kernel.tasks.values()):
            if not task.kthread and not task.exiting:
                send_signal(task, SIGKILL)


def describe_file(file) -> str:
    """What an open descriptor is, as /proc/PID/fd shows it (pipe:[N], a path...)."""
    try:
        return str(file.path)
    except Exception:                      # a file type without a path: its kind
        return type(file).__name__

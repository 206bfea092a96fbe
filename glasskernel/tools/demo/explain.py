"""The words for what tracepoints record, keyed by tracepoint name.

A tracepoint records values (copy_files: the clone flags; sched_fork: the child's nice);
what they mean to a reader (copied or shared, and which flag decided it) is said here,
with the walkthrough, not in the kernel function. ``explain`` is the tracer's annotate
hook (kernel/trace/tracepoint.py): the tools that show events (the function graph, the
timeline, --break, the API's callbacks, batch) install it with ``explain_events`` before
they attach, and every probe then sees the explained arguments.
"""
from glasskernel.kernel.nsproxy import CLONE_NEWNS_ALL
from glasskernel.uapi.sched import CloneFlag


def _fixed(action: str, why: str):
    """A step that always does the same thing: its words, whatever it recorded."""
    words = {"action": action, "why": why}
    return lambda args: dict(words)


def _share_or_copy(flag: CloneFlag, what: str):
    """A copy_X step: shared when its flag is set in the recorded clone flags."""
    def words(args):
        shared = bool(args["flags"] & flag)
        return {"action": "shared" if shared else "copied",
                "why": f"{flag.name} {'set' if shared else 'clear'}", "what": what}
    return words


def _namespaces(args) -> dict:
    new = bool(args["flags"] & CLONE_NEWNS_ALL)
    return {"action": "new namespaces" if new else "shared",
            "why": f"CLONE_NEW* {'set' if new else 'clear'}"}


def _sched_fork(args) -> dict:
    return {"action": "new", "why": f"scheduler state, nice {args['nice']}, not yet queued"}


def _vdso_reads(args) -> dict:
    return {**args, "where": "user mode: [vdso] code reading [vvar] and the TSC, no syscall"}


# tracepoint name -> words(recorded args) for its entry ("B") event
ENTRY_WORDS = {
    "dup_task_struct": _fixed("copied", "a new task_struct, the parent's fields"),
    "copy_creds": _fixed("copied", "credentials are per task"),
    "sched_fork": _sched_fork,
    "copy_files": _share_or_copy(CloneFlag.CLONE_FILES, "the descriptor table"),
    "copy_fs": _share_or_copy(CloneFlag.CLONE_FS, "root, cwd and umask"),
    "copy_sighand": _share_or_copy(CloneFlag.CLONE_SIGHAND, "the signal handlers"),
    "copy_signal": _share_or_copy(CloneFlag.CLONE_THREAD, "the signal_struct (thread group)"),
    "copy_mm": _share_or_copy(CloneFlag.CLONE_VM, "the address space (copy-on-write when copied)"),
    "copy_namespaces": _namespaces,
}
# point event ("i") name -> words(recorded args)
POINT_WORDS = {
    "vdso_clock_reads": _vdso_reads,
}
_BY_PHASE = {"B": ENTRY_WORDS, "i": POINT_WORDS}


def explain(ph: str, name: str, args: dict) -> dict:
    """The event's arguments as shown: its words in place of the values they explain."""
    table = _BY_PHASE.get(ph)
    words = table.get(name) if table is not None else None
    return args if words is None else words(args)


def explain_events(tracer) -> None:
    """Have the tracer explain every event it hands to its probes."""
    tracer.annotate = explain

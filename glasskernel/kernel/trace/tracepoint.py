"""Tracepoints: the kernel's functions reporting themselves (include/linux/tracepoint.h, ftrace).

Kernel functions worth watching are wrapped with ``@traced``; a few points that are not
function calls (a signal generated, a pipe waking its reader, a timer tick) call
``trace_event``. When no tracer is attached, a traced function costs one global lookup
and a test, and a traced *method* costs nothing: its class holds the plain function
until a tracer attaches, which puts the wrapper in its place (detaching takes it out
again), as Linux's static keys patch a tracepoint's jump in and out. When a tracer is
attached, every entry, exit and event becomes a ``TraceEvent`` handed to each probe in
turn: the recorder behind ``glasskernel trace`` and ``--timeline``, the
breakpoint console, or a Python callback from the API.

Events carry what teaches something: the arguments a reader of the kernel source would
want to see (clone flags as names, the child's pid, the saved rax and rip of a new task,
an exec's entry point), not raw Python objects. Each wrapped function says what to show
through two small functions, ``args(*call_args)`` and ``ret(result)``.
"""
import functools
import time
from dataclasses import dataclass, field

_active = None            # the Tracer of the kernel being traced, or None (one at a time)
_method_points = []       # (class, name, plain function, wrapper) of each traced method
_traced_names = set()     # the name of every @traced function, as its events carry it
# The spans opened by hand with trace_enter (besides each syscall's __x64_sys_NAME), and
# the modules holding tracepoints (some are imported only when first needed);
# tests/test_breakpoint.py checks both lists against the source.
HAND_SPANS = frozenset(("schedule", "ret_from_fork", "do_int80_syscall_32", "do_fast_syscall_32"))
TRACED_MODULES = ("arch.x86.entry.entry_64", "arch.x86.ia32.ia32_signal",
                  "arch.x86.kernel.process", "arch.x86.kernel.process_64",
                  "arch.x86.kernel.signal", "fs.binfmt_elf", "fs.exec", "fs.pipe", "init.main",
                  "kernel.exit", "kernel.fork", "kernel.nsproxy", "kernel.pid",
                  "kernel.sched.core")


@dataclass
class TraceEvent:
    """One record: a function entered ("B") or left ("E"), or a point event ("i").

    ts is nanoseconds of the kernel's clock (virtual in --deterministic runs); flow links
    two events across tasks (a clone to the child's first return, a pipe write to the
    reader's wake-up): ("s", id) starts an arrow, ("f", id) ends it.
    """

    ts: int
    cpu: int
    pid: int
    tgid: int
    comm: str
    ph: str
    name: str
    args: dict = field(default_factory=dict)
    flow: tuple = None


class Tracer:
    """The probes attached to one kernel, and the clock and CPU they are stamped with."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.probes = []
        self.depth = {}              # pid -> open traced calls (for probes that indent)
        self._next_flow = 0
        self._seq = 0                # events stamped so far (deterministic runs: +1 ns each)
        # annotate(ph, name, args) -> args, or None: set by the tools that show events
        # (tools/demo/explain.py), it adds the words a reader wants to the values a
        # tracepoint records, before any probe sees them.
        self.annotate = None

    def attach(self, probe) -> None:
        """probe(event) is called for every event; the tracer turns on with the first one."""
        global _active
        self.probes.append(probe)
        if _active is None:
            _switch_methods(True)
        _active = self

    def detach(self, probe) -> None:
        """Remove one probe; the tracer turns off with the last one."""
        global _active
        if probe in self.probes:
            self.probes.remove(probe)
        if not self.probes and _active is self:
            _active = None
            _switch_methods(False)

    def detach_all(self) -> None:
        global _active
        self.probes.clear()
        if _active is self:
            _active = None
            _switch_methods(False)

    def new_flow(self) -> int:
        self._next_flow += 1
        return self._next_flow

    def clock_ns(self) -> int:
        """Trace timestamps. Reading them must not move the virtual clock (the guest would
        see different times with tracing on); in a deterministic run each event adds 1 ns
        on top of it, so timestamps still increase and durations count the work done."""
        kernel = self.kernel
        clock = kernel.clock
        if clock is None:
            return time.monotonic_ns() - kernel.boot_time_ns
        self._seq += 1
        return clock.peek() + self._seq

    def emit(self, ph: str, name: str, args: dict, flow=None, task=None) -> None:
        kernel = self.kernel
        task = task if task is not None else kernel.current
        if self.annotate is not None:
            args = self.annotate(ph, name, args)
        event = TraceEvent(self.clock_ns(), 0, task.pid, task.tgid,
                           task.comm, ph, name, args, flow)
        if ph == "B":
            self.depth[task.pid] = self.depth.get(task.pid, 0) + 1
        elif ph == "E":
            self.depth[task.pid] = self.depth.get(task.pid, 1) - 1
        for probe in list(self.probes):
            probe(event)


def active():
    return _active


def _no_args(*_a, **_k) -> dict:
    return {}


def _plain_ret(result) -> dict:
    return {"ret": result} if isinstance(result, (int, str)) else {}


def traced(name: str = None, args=None, ret=None, flow=None):
    """Make a kernel function a tracepoint pair (entry and exit, like function_graph).

    args(*call_args) -> dict and ret(result) -> dict choose the values the events record
    (the words that explain them live with the tools: tools/demo/explain.py). flow(tracer,
    *call_args), if given, returns the entry's flow link. An exception leaving the
    function is shown as its errno (or its type).
    """
    show_args = args or _no_args
    show_ret = ret or _plain_ret

    def wrap(fn):
        fname = name or fn.__name__
        _traced_names.add(fname)

        @functools.wraps(fn)
        def tracepoint(*call_args, **call_kw):
            tracer = _active
            if tracer is None:
                return fn(*call_args, **call_kw)
            task = tracer.kernel.current
            link = flow(tracer, *call_args) if flow is not None else None
            tracer.emit("B", fname, show_args(*call_args, **call_kw), link, task=task)
            try:
                result = fn(*call_args, **call_kw)
            except BaseException as exc:
                tracer.emit("E", fname, {"error": _describe_error(exc)}, task=task)
                raise
            tracer.emit("E", fname, show_ret(result), task=task)
            return result
        tracepoint.traced_name = fname
        return _MethodTracepoint(fn, tracepoint) if _is_method(fn) else tracepoint
    return wrap


class _MethodTracepoint:
    """What ``traced`` leaves in a class body: when the class is made, it records the
    method and puts the plain function or the wrapper in the class, as tracing is off
    or on."""

    def __init__(self, fn, wrapper):
        self.fn = fn
        self.wrapper = wrapper

    def __set_name__(self, owner, name) -> None:
        _method_points.append((owner, name, self.fn, self.wrapper))
        setattr(owner, name, self.fn if _active is None else self.wrapper)


def notrace(fn):
    """fn (a function or a bound method) without its tracepoint: for boot, which makes
    its first tasks by hand where Linux forks them, so a trace starts at the first exec."""
    plain = getattr(getattr(fn, "__func__", fn), "__wrapped__", None)
    if plain is None:
        return fn
    owner = getattr(fn, "__self__", None)
    return plain if owner is None else plain.__get__(owner)


def _switch_methods(on: bool) -> None:
    """A tracer attaches (on) or the last one goes: wrappers in or out of the classes."""
    for owner, name, fn, wrapper in _method_points:
        setattr(owner, name, wrapper if on else fn)


def _is_method(fn) -> bool:
    """Is fn being defined in a class body (not a module function, not a closure)?"""
    qualname = fn.__qualname__
    return "." in qualname and "<locals>" not in qualname.rsplit(".", 1)[0]


def traceable_functions() -> frozenset:
    """Every function name a span ("B" event) can carry, syscalls aside: the @traced
    functions of TRACED_MODULES (imported here if not yet) and HAND_SPANS."""
    import importlib
    for module in TRACED_MODULES:
        importlib.import_module("glasskernel." + module)
    return frozenset(_traced_names) | HAND_SPANS


def _describe_error(exc: BaseException) -> str:
    errno = getattr(exc, "errno", None)
    if errno is not None:
        from glasskernel.uapi.errno import errno_name
        return errno_name(errno) or str(errno)
    return type(exc).__name__


def trace_event(name: str, task=None, flow=None, **args) -> None:
    """A point event (signal_generate, sched_switch, pipe_wake...)."""
    tracer = _active
    if tracer is not None:
        tracer.emit("i", name, args, flow, task=task)


def trace_enter(name: str, task=None, flow=None, **args) -> None:
    """Open a span by hand (for code that is not one function call, e.g. a syscall)."""
    tracer = _active
    if tracer is not None:
        tracer.emit("B", name, args, flow, task=task)


def trace_exit(name: str, task=None, **args) -> None:
    tracer = _active
    if tracer is not None:
        tracer.emit("E", name, args, task=task)

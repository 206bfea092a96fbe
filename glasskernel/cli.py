"""The `glasskernel` command line.

    glasskernel run [--root DIR] [--strace[=FILE]] [--env K=V]... [--tree] [--timeline FILE]
                    [--trace-filter PATTERN]... [--deterministic] PROGRAM [ARGS...]
    glasskernel trace [--filter PATTERN]... [-o FILE] [run options] PROGRAM [ARGS...]
    glasskernel demo [PROGRAM [ARGS...] | --i386 | --explain STEP]
    glasskernel batch JOBS -o OUTDIR [-j N] [--rerun] [--dask ADDRESS]
    glasskernel build-emulator
    glasskernel CMD --help, glasskernel --help, glasskernel --version

`run` exits with the guest's status: its exit code, or 128+N when signal N killed it (the
shell convention), after printing the shell's message for that signal. `trace` runs the
same way with the kernel's tracepoints recorded, then writes the function graph.
"""
import gc
import os
import signal as host_signal
import sys
from dataclasses import dataclass, field

from glasskernel.cli_usage import (COMMANDS, EXIT_USAGE, HELP_OPTIONS, HelpRequested, UsageError,
                                   report_usage_error, usage, version)
from glasskernel.uapi.errno import Errno, KernelError, strerror

EXIT_NOT_FOUND = 127
EXIT_CANNOT_EXEC = 126
EXIT_INTERNAL = 70


@dataclass
class RunOptions:
    root: str = None
    strace: str = None            # "-" for stderr
    env: dict = field(default_factory=dict)
    argv: list = field(default_factory=list)
    max_tasks: int = 4096
    mem: int = None               # --mem: guest RAM in bytes (None: the default)
    disk_quota: int = None        # --disk-quota: bytes of the writable layer (None: default)
    tree: bool = False            # --tree: the process tree on stderr at the end
    timeline: str = None          # --timeline FILE
    trace_filter: list = field(default_factory=list)    # --trace-filter: what is recorded
    deterministic: bool = False
    real_time: bool = False       # `trace --real-time`: the host's clock after all
    graph: bool = False           # `trace`: write the function graph
    graph_filter: list = field(default_factory=list)    # `trace --filter`
    graph_out: str = None         # `trace -o FILE` (None: stdout)
    breaks: list = field(default_factory=list)          # --break FUNCTION (glob)
    break_syscalls: list = field(default_factory=list)  # --break-syscall NAME
    gdb: str = None               # --gdb PORT | HOST:PORT | unix:PATH
    gdb_late: bool = False        # --gdb-late: run at once, gdb attaches when it likes
    gdb_disconnect: str = "continue"    # --gdb-disconnect continue|kill

    def recording(self) -> bool:
        return self.graph or self.tree or self.timeline is not None


TRACE_OPTIONS = ("--timeline", "--trace-filter", "--filter", "-o", "--output")
RUN_VALUED = ("--root", "--env", "--max-tasks", "--mem", "--disk-quota", "--timeline",
              "--trace-filter", "--break", "--break-syscall", "--gdb", "--gdb-disconnect")
TRACE_VALUED = RUN_VALUED + ("--filter", "-o", "--output")
FLAGS = {"--tree": "tree", "--deterministic": "deterministic", "--real-time": "real_time",
         "--gdb-late": "gdb_late"}


def parse_run_args(args: list, valued: tuple = RUN_VALUED) -> RunOptions:
    """Options up to the first non-option word, which is PROGRAM; the rest are its ARGS.

    valued names the options that take a value (`trace` accepts more than `run`).
    """
    opts = RunOptions()
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if arg == "--strace":
            opts.strace = "-"
        elif arg.startswith("--strace="):
            opts.strace = arg.split("=", 1)[1] or "-"
        elif arg in FLAGS:
            setattr(opts, FLAGS[arg], True)
        elif arg in valued:
            if i + 1 >= len(args):
                raise UsageError(f"{arg} needs a value")
            i += 1
            _apply_valued(opts, arg, args[i])
        elif arg.startswith(tuple(f"{name}=" for name in valued if name.startswith("--"))):
            name, value = arg.split("=", 1)
            _apply_valued(opts, name, value)
        elif arg in HELP_OPTIONS:
            raise HelpRequested()
        else:
            raise UsageError(f"unknown option {arg}")
        i += 1
    opts.argv = args[i:]
    if not opts.argv:
        raise UsageError("no PROGRAM given")
    if opts.gdb is None and (opts.gdb_late or opts.gdb_disconnect != "continue"):
        raise UsageError("--gdb-late and --gdb-disconnect need --gdb PORT")
    return opts


def parse_size(name: str, value: str) -> int:
    """A size with an optional K, M, G or T suffix (powers of 1024), as in `ulimit`."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    text = value.strip().upper().removesuffix("B")
    suffix = text[-1:] if text[-1:] in units else ""
    number = text[:len(text) - len(suffix)]
    if not number.isdigit():
        raise UsageError(f"{name} {value}: expected a size such as 512M or 2G")
    return int(number) * units[suffix]


MIN_MEM = 16 << 20


def parse_mem_size(value: str) -> int:
    """--mem's SIZE, at least 16M."""
    size = parse_size("--mem", value)
    if size < MIN_MEM:
        raise UsageError(f"--mem {value}: expected a size of 16M or more (e.g. 512M, 2G)")
    return size


def _apply_valued(opts: RunOptions, name: str, value: str) -> None:
    if name == "--mem":
        opts.mem = parse_mem_size(value)
    elif name == "--max-tasks":
        if not value.isdigit() or int(value) < 2:
            raise UsageError(f"--max-tasks {value}: expected a number of tasks (2 or more)")
        opts.max_tasks = int(value)
    elif name == "--disk-quota":
        opts.disk_quota = parse_size(name, value)
    elif name == "--root":
        if not os.path.isdir(value):
            raise UsageError(f"--root {value}: not a directory")
        opts.root = os.path.abspath(value)
    elif name in TRACE_OPTIONS:
        _apply_trace_valued(opts, name, value)
    elif name == "--break":
        opts.breaks.append(value)
    elif name == "--break-syscall":
        opts.break_syscalls.append(value)
    elif name in ("--gdb", "--gdb-disconnect"):
        _apply_gdb(opts, name, value)
    else:
        if "=" not in value:
            raise UsageError(f"--env {value}: expected K=V")
        key, val = value.split("=", 1)
        opts.env[key] = val


def _apply_gdb(opts: RunOptions, name: str, value: str) -> None:
    if name == "--gdb-disconnect":
        if value not in ("continue", "kill"):
            raise UsageError(f"--gdb-disconnect {value}: expected continue or kill")
        opts.gdb_disconnect = value
        return
    from glasskernel.tools.gdbstub.transport import AddressError, parse_address
    try:
        parse_address(value)
    except AddressError as err:
        raise UsageError(str(err)) from None
    opts.gdb = value


def _apply_trace_valued(opts: RunOptions, name: str, value: str) -> None:
    if not value:
        raise UsageError(f"{name} needs a value")
    if name == "--timeline":
        _check_output_path(name, value)
        opts.timeline = value
    elif name == "--trace-filter":
        opts.trace_filter.append(value)
    elif name == "--filter":
        opts.graph_filter.append(value)
    else:                                     # -o / --output
        _check_output_path(name, value)
        opts.graph_out = value


def _check_output_path(name: str, path: str) -> None:
    """Refuse before the run an output file that could never be written."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{name} {path}: no such directory {directory}")
    if os.path.isdir(path):
        raise UsageError(f"{name} {path}: is a directory")


def guest_environment(extra: dict) -> list:
    env = dict(os.environ)
    env.update(extra)
    return [f"{k}={v}".encode("utf-8", "surrogateescape") for k, v in env.items()]


def exec_candidates(program: str, env: list) -> list:
    """PROGRAM itself if it has a slash, else each PATH entry joined with it (execvp)."""
    if "/" in program:
        return [program]
    path = next((e[5:].decode() for e in env if e.startswith(b"PATH=")), "/usr/bin:/bin")
    return [os.path.join(d or ".", program) for d in path.split(":")]


def start_program(kernel, opts: RunOptions):
    """Exec the program in the first task; a KernelError names why it could not start."""
    env = guest_environment(opts.env)
    argv = [a.encode("utf-8", "surrogateescape") for a in opts.argv]
    failure = None
    for candidate in exec_candidates(opts.argv[0], env):
        try:
            return kernel.run_init_process(candidate.encode("utf-8", "surrogateescape"), argv, env)
        except KernelError as err:
            if failure is None or failure.errno == Errno.ENOENT:
                failure = err
            if err.errno != Errno.ENOENT:
                break
    raise failure


def describe_exec_failure(program: str, err: KernelError) -> tuple:
    """(message, exit status) in the shell's words for a program that could not start."""
    text = err.message or strerror(err.errno)
    status = EXIT_NOT_FOUND if err.errno == Errno.ENOENT else EXIT_CANNOT_EXEC
    return f"glasskernel: {program}: {text}", status


# Deaths bash reports in silence (jobs.c: SIGINT always, SIGPIPE as its default build has
# DONT_REPORT_SIGPIPE): the user pressed Ctrl-C, or the reader of a pipe went away.
SILENT_SIGNALS = frozenset((host_signal.SIGINT, host_signal.SIGPIPE))


def wait_status_to_exit(status: int) -> tuple:
    """(exit status, message or None) from a wait status, as bash reports a foreground
    job: the signal's strsignal() text, except for SILENT_SIGNALS."""
    signo = status & 0x7F
    if signo == 0:
        return (status >> 8) & 0xFF, None
    if signo in SILENT_SIGNALS:
        return 128 + signo, None
    message = host_signal.strsignal(signo) or f"Signal {signo}"
    if status & 0x80:
        message += " (core dumped)"
    return 128 + signo, message


def open_strace(target):
    if target is None:
        return None
    if target == "-":
        return sys.stderr
    return open(target, "w", encoding="utf-8", errors="backslashreplace", buffering=1)


def cmd_run(args: list) -> int:
    return run_program(parse_run_args(args))


def cmd_trace(args: list) -> int:
    opts = parse_run_args(args, TRACE_VALUED)
    opts.graph = True
    # Deterministic by default: measured to cost little (docs/tracing.md), and a trace
    # that repeats byte for byte is the useful kind.
    opts.deterministic = not opts.real_time
    return run_program(opts)


def run_program(opts: RunOptions) -> int:
    """Run the program to its end; write the trace outputs asked for; the exit status."""
    timeline_writer = load_timeline_writer() if opts.timeline is not None else None
    listener = open_gdb_listener(opts)
    if listener is False:
        return EXIT_GDB
    strace_out = open_strace(opts.strace)
    kernel = boot_kernel(opts, strace_out)
    recorder = attach_recorder(kernel, opts)
    gdb = None
    try:
        attach_breakpoints(kernel, opts)
        start = kernel.tracer.clock_ns()
        try:
            task = start_program(kernel, opts)
        except KernelError as err:
            message, status = describe_exec_failure(opts.argv[0], err)
            print(message, file=sys.stderr)
            return status
        if recorder is not None:
            recorder.add_first_process(task, opts.argv, first_filename(recorder, task), start)
        if listener is not None:
            gdb = start_gdb_server(kernel, listener, opts, task)
        status, message = wait_status_to_exit(kernel.run(task))
        if message:
            print(message, file=sys.stderr)
        if recorder is not None:
            write_trace_outputs(recorder, opts, timeline_writer)
        return status
    finally:
        if gdb is not None:
            gdb.close()
        elif listener is not None:
            listener.close()
        kernel.tracer.detach_all()
        kernel.shutdown()
        if strace_out not in (None, sys.stderr):
            strace_out.close()


# Set by main() when it runs this process's own command line: the process ends with the run.
_whole_process = False


def boot_kernel(opts: RunOptions, strace_out):
    """Import and boot the kernel with the cyclic garbage collector off.

    Start-up makes ~100k objects (modules, classes, the kernel's tables) that live as long
    as the run: collections while they are made free nothing, and each later full
    collection, the one at exit included, would walk them all again. When the process is
    this one run, they are frozen after boot (gc.freeze: ~3% of the host instructions of
    `glasskernel run /usr/bin/true`); a caller running several kernels in one process
    keeps the ordinary collector."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        from glasskernel.init.main import Kernel
        if opts.gdb is not None:             # frozen with the kernel: see docs/benchmarks.md
            import glasskernel.tools.gdbstub.server  # noqa: F401
        kernel = Kernel(root=opts.root, max_tasks=opts.max_tasks,
                        mem_size=opts.mem, deterministic=opts.deterministic,
                        disk_quota=opts.disk_quota)
        if strace_out is not None:
            attach_strace(kernel, strace_out)
    finally:
        if _whole_process:
            gc.freeze()
        if enabled:
            gc.enable()
    return kernel


def attach_strace(kernel, out) -> None:
    """--strace: the formatter in the kernel's strace slot (the kernel calls it at each
    syscall, signal, exec and exit). strace says "[ Process PID=N runs in 32 bit mode. ]"
    on stderr, not into an -o file."""
    from glasskernel.tools.strace.strace import StraceFormatter
    kernel.strace = StraceFormatter(out, mode_notes=out is sys.stderr)


EXIT_GDB = 1


def open_gdb_listener(opts: RunOptions):
    """--gdb: the listening socket, made before the kernel boots so that a port in use is
    one line and no run; None without --gdb, False after reporting a failure."""
    if opts.gdb is None:
        return None
    from glasskernel.tools.gdbstub.transport import listen, parse_address
    try:
        return listen(parse_address(opts.gdb))
    except OSError as err:
        print(f"glasskernel: --gdb {opts.gdb}: cannot listen: {err.strerror or err}", file=sys.stderr)
        return False


def start_gdb_server(kernel, listener, opts: RunOptions, task):
    """The gdb stub on the first program: it waits for gdb here unless --gdb-late."""
    from glasskernel.tools.gdbstub.server import Server
    from glasskernel.tools.gdbstub.transport import parse_address
    server = Server(kernel, listener, parse_address(opts.gdb), late=opts.gdb_late,
                    on_disconnect=opts.gdb_disconnect)
    server.start(task)
    return server


def attach_recorder(kernel, opts: RunOptions):
    """A Recorder on the kernel's tracer if any trace output was asked for, else None."""
    if not opts.recording():
        return None
    from glasskernel.kernel.trace.recorder import Recorder
    from glasskernel.tools.demo.explain import explain_events
    recorder = Recorder(keep=opts.trace_filter or None)
    explain_events(kernel.tracer)
    kernel.tracer.attach(recorder)
    return recorder


def attach_breakpoints(kernel, opts: RunOptions) -> None:
    """--break / --break-syscall: a console at those kernel functions (before the first
    exec, so a breakpoint in the exec path stops there too)."""
    if not opts.breaks and not opts.break_syscalls:
        return
    from glasskernel.tools.breakpoint.breakpoint import BreakpointProbe
    from glasskernel.tools.demo.explain import explain_events
    try:
        probe = BreakpointProbe(kernel, opts.breaks, opts.break_syscalls)
    except ValueError as err:
        raise UsageError(str(err)) from None
    explain_events(kernel.tracer)
    kernel.tracer.attach(probe)


def first_filename(recorder, task) -> str:
    """The file the first program was started from (its exec event), else its comm."""
    for event in reversed(recorder.events):
        if event.name == "sched_process_exec" and event.args.get("pid") == task.pid:
            return event.args.get("filename", task.comm)
    return task.comm


def load_timeline_writer():
    """write_timeline(recorder, path), imported only when --timeline asks for it (before
    the run, so a broken install fails at once rather than after the program ran)."""
    from glasskernel.tools.timeline.timeline import write_timeline
    return write_timeline


def write_trace_outputs(recorder, opts: RunOptions, timeline_writer=None) -> None:
    """The function graph (stdout or -o FILE), the timeline file, the tree on stderr.

    A file that cannot be written is reported; the exit status stays the program's.
    """
    try:
        if opts.graph:
            write_graph(recorder, opts)
    except OSError as err:
        if opts.graph_out is None and isinstance(err, BrokenPipeError):
            _discard_stdout()             # the reader (`| head`) left: stop quietly
        else:
            print(f"glasskernel: {opts.graph_out or 'stdout'}: {err.strerror}", file=sys.stderr)
    try:
        if timeline_writer is not None:
            timeline_writer(recorder, opts.timeline)
    except OSError as err:
        print(f"glasskernel: {opts.timeline}: {err.strerror}", file=sys.stderr)
    if opts.tree:
        from glasskernel.tools.proc_tree import write_process_tree
        sys.stderr.flush()
        write_process_tree(recorder, sys.stderr)
        sys.stderr.flush()


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def write_graph(recorder, opts: RunOptions) -> None:
    from glasskernel.tools.graph.trace_functions_graph import write_function_graph
    if opts.graph_out is None:
        sys.stdout.flush()
        write_function_graph(recorder.events, sys.stdout, opts.graph_filter or None)
        sys.stdout.flush()
        return
    with open(opts.graph_out, "w", encoding="utf-8", errors="backslashreplace") as out:
        write_function_graph(recorder.events, out, opts.graph_filter or None)


def main(argv=None) -> int:
    """The `glasskernel` command; argv None: this process's command line."""
    global _whole_process
    if argv is None:
        argv = sys.argv[1:]
        _whole_process = True
    command = argv[0] if argv and argv[0] in COMMANDS else None
    try:
        try:
            return dispatch(argv)
        except HelpRequested:
            print(usage(command), end="")
            return 0
    except UsageError as err:
        err.command = err.command or command
        return report_usage_error(err)
    except KeyboardInterrupt:
        return 128 + 2
    except Exception as exc:                      # never a traceback for the user
        if os.environ.get("GLASSKERNEL_DEBUG"):
            raise
        print(f"glasskernel: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def dispatch(argv: list) -> int:
    """Run the command argv names; HelpRequested or UsageError for the caller to report."""
    if not argv:
        raise UsageError(f"no command given (one of {', '.join(COMMANDS)})")
    if argv[0] in HELP_OPTIONS:
        raise HelpRequested()
    if argv[0] in ("-V", "--version"):
        print(f"glasskernel {version()}")
        return 0
    if argv[0] not in COMMANDS:
        what = "option" if argv[0].startswith("-") else "command"
        raise UsageError(f"unknown {what} {argv[0]}")
    command, args = argv[0], argv[1:]
    if command == "run":
        return cmd_run(args)
    if command == "trace":
        return cmd_trace(args)
    if command == "demo":
        from glasskernel.tools.demo.demo import cmd_demo
        return cmd_demo(args)
    if command == "batch":
        from glasskernel.batch.cli import cmd_batch
        return cmd_batch(args)
    if args[:1] and args[0] in HELP_OPTIONS:
        raise HelpRequested()
    if args:
        raise UsageError("build-emulator takes no arguments")
    from glasskernel.arch.x86.emulator_build import cmd_build_emulator
    return cmd_build_emulator(args)


if __name__ == "__main__":
    sys.exit(main())

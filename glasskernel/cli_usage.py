"""The command line's texts: each command's usage, the one-line usage error, --version.

`glasskernel --help` prints every command's usage; `glasskernel CMD --help` prints that
command's. A usage mistake is one line on stderr naming where the help is, with exit
status 2, as argparse and getopt programs do.
"""
import os
import sys

EXIT_USAGE = 2

SYNOPSIS = {
    "run": """usage: glasskernel run [--root DIR] [--strace[=FILE]] [--env K=V]... [--max-tasks N]
                       [--mem SIZE] [--disk-quota SIZE] [--tree] [--timeline FILE]
                       [--trace-filter PATTERN]... [--deterministic] [--break FUNCTION]...
                       [--break-syscall NAME]... [--gdb PORT|unix:PATH [--gdb-late]
                       [--gdb-disconnect continue|kill]]
                       PROGRAM [ARGS...]
""",
    "trace": """usage: glasskernel trace [--filter PATTERN]... [-o FILE] [--real-time] [run options]
                         PROGRAM [ARGS...]
""",
    "demo": """usage: glasskernel demo [PROGRAM [ARGS...] | --i386 | --explain STEP]
""",
    "batch": """usage: glasskernel batch JOBS -o OUTDIR [-j N] [--rerun] [--dask ADDRESS | --local]
                         [--progress | --no-progress]
""",
    "build-emulator": """usage: glasskernel build-emulator
""",
}

DETAILS = {
    "run": """Runs an x86-64 or i386 Linux program (static or dynamically linked) on glasskernel's own process kernel.
  --root DIR       use DIR as the guest's root (default: the host's / read-only,
                   with a private writable layer; the host is never changed)
  --strace[=FILE]  log every syscall in strace's format (to stderr or FILE)
  --env K=V        set an environment variable for the guest (repeatable)
  --max-tasks N    refuse fork/clone with EAGAIN beyond N live tasks (default 4096)
  --mem SIZE       the guest's RAM (e.g. 512M, 2G; default 4G, or half the host's RAM
                   if that is less): past it the OOM killer kills the biggest process
  --disk-quota SIZE  bytes the private writable layer may hold, e.g. 512M or 2G; past
                   it writes fail with ENOSPC (default: half the free space, 16G at most)
  --tree           at the end, print the run's process tree to stderr
  --timeline FILE  record the kernel's trace events and write a timeline to FILE
                   (an HTML page if FILE ends in .html)
  --trace-filter PATTERN  record only events whose name matches the glob PATTERN
                   (repeatable; the process tree is kept regardless)
  --deterministic  virtual clock and fixed random bytes: the same run, the same trace
  --break FUNCTION stop in a console when the kernel enters FUNCTION (a glob, e.g.
                   copy_process or '__x64_sys_*'; repeatable): current, tasks, regs,
                   bt, ubt, step, continue
  --break-syscall NAME  the same at the entry of syscall NAME (e.g. clone)
  --gdb PORT       a gdb remote stub on TCP PORT (HOST:PORT, or unix:PATH for a unix
                   socket): the program waits for gdb before its first instruction
                   (gdb PROGRAM -ex 'target remote :PORT'); `monitor help` in gdb lists
                   the kernel's commands (ps, kbreak, kbt, pt_regs, trace, tree)
  --gdb-late       run at once; gdb may attach at any time
  --gdb-disconnect continue|kill  what a gdb disconnect does to the program (continue)
Everything after PROGRAM is PROGRAM's. The exit status is PROGRAM's (128+N when
signal N killed it).
""",
    "trace": """Runs PROGRAM with the kernel's functions traced, then writes what they did in the
layout of ftrace's function_graph tracer (fork, exec, scheduling, exit, pipes...).
  --filter PATTERN show only calls whose function matches the glob PATTERN, and
                   everything they call (repeatable; like set_graph_function)
  -o FILE          write the graph to FILE (default: stdout, after the program's own
                   output, starting with the line "# tracer: function_graph")
  --real-time      use the host's clock and randomness (trace is --deterministic by
                   default: the same command gives the same trace)
Every option of `glasskernel run` is accepted too (see glasskernel run --help).
""",
    "demo": """Runs the bundled fork + exec example (or PROGRAM, which should fork) with tracing on,
then walks through the kernel path of that run, step by step.
  --i386           the example built for i386: the 32-bit entry path (sysenter, int $0x80)
  --explain STEP   the longer explanation of one step of the walk
""",
    "batch": """Runs every job of JOBS (a JSON Lines file, or TOML with [[job]] tables; globs in a
"matrix" make one job per program x input), each in its own process with a fresh kernel,
checks each job's expectations against the kernel's records and writes OUTDIR/results.jsonl
(one row per job), OUTDIR/report.html and each job's output, trace, timeline and process
tree under OUTDIR/jobs/ID/. Jobs that already have a result are skipped (resume).
  -o DIR           the output directory (made if missing)
  -j N             run N jobs at once (default: one per core)
  --rerun          run every job again, even those with a result
  --dask ADDRESS   send the jobs to a Dask scheduler (tcp://HOST:8786; default: the
                   DASK_SCHEDULER_ADDRESS variable, if set); needs glasskernel[cluster]
  --local          the local pool even if DASK_SCHEDULER_ADDRESS is set
  --progress       draw the progress bar even when stderr is not a terminal
  --no-progress    never draw it
Exit status: 0 when every job passed, 1 when some failed or could not run, 130 after Ctrl-C,
2 for a mistake on the command line or in JOBS.
The job format and the expectations: docs/batch.md.
""",
    "build-emulator": """Builds Unicorn with its per-block exit check inlined (about a minute; needs cmake,
cc and patch); glasskernel uses that build from then on.
""",
}

COMMANDS = tuple(SYNOPSIS)


def usage(command: str = None) -> str:
    """One command's usage and options, or (None) every command's."""
    if command is not None:
        return SYNOPSIS[command] + "\n" + DETAILS[command]
    synopsis = "".join(text if i == 0 else " " * len("usage:") + text[len("usage:"):]
                       for i, text in enumerate(SYNOPSIS[c] for c in COMMANDS))
    details = "".join(f"\n{c}:\n{DETAILS[c]}" for c in COMMANDS)
    return synopsis + details + "\nglasskernel --version prints the version.\n"


class UsageError(Exception):
    """A mistake on the command line: a one-line message, and the command it was given to
    (for the hint); the caller exits with EXIT_USAGE."""

    def __init__(self, message: str, command: str = None):
        super().__init__(message)
        self.command = command


class HelpRequested(Exception):
    """-h or --help among a command's options: print its usage on stdout, exit 0."""


HELP_OPTIONS = ("-h", "--help")


def report_usage_error(err: UsageError, out=None) -> int:
    """`glasskernel: MESSAGE (see glasskernel CMD --help)` on stderr; the exit status."""
    where = f"glasskernel {err.command} --help" if err.command else "glasskernel --help"
    print(f"glasskernel: {err} (see {where})", file=out or sys.stderr)
    return EXIT_USAGE


def version() -> str:
    """The installed distribution's version, else the source tree's pyproject.toml."""
    from importlib import metadata
    try:
        return metadata.version("glasskernel")
    except metadata.PackageNotFoundError:
        pass
    pyproject = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "pyproject.toml")
    try:
        import tomllib
        with open(pyproject, "rb") as f:
            return tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, ValueError):
        return "unknown"


__all__ = ["COMMANDS", "EXIT_USAGE", "HELP_OPTIONS", "HelpRequested", "UsageError", "report_usage_error", "usage", "version"]

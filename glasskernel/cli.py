"""The `glasskernel` command line.

    glasskernel run [--root DIR] [--strace[=FILE]] [--env K=V]... PROGRAM [ARGS...]
    glasskernel demo

`run` exits with the guest's status: its exit code, or 128+N when signal N killed it (the
shell convention), after printing the shell's message for that signal.
"""
import os
import signal as host_signal
import sys
from dataclasses import dataclass, field

from glasskernel.uapi.errno import Errno, KernelError, strerror

USAGE = """usage: glasskernel run [--root DIR] [--strace[=FILE]] [--env K=V]... [--max-tasks N]
                       PROGRAM [ARGS...]
       glasskernel demo [--strace[=FILE]]

Runs a static x86-64 Linux program on glasskernel's own process kernel.
  --root DIR       use DIR as the guest's root (default: the host's / read-only,
                   with a private writable layer; the host is never changed)
  --strace[=FILE]  log every syscall in strace's format (to stderr or FILE)
  --env K=V        set an environment variable for the guest (repeatable)
  --max-tasks N    refuse fork/clone with EAGAIN beyond N live tasks (default 4096)
"""
EXIT_NOT_FOUND = 127
EXIT_CANNOT_EXEC = 126
EXIT_USAGE = 2
EXIT_INTERNAL = 70


class UsageError(Exception):
    pass


@dataclass
class RunOptions:
    root: str = None
    strace: str = None            # "-" for stderr
    env: dict = field(default_factory=dict)
    argv: list = field(default_factory=list)
    max_tasks: int = 4096


def parse_run_args(args: list) -> RunOptions:
    """Options up to the first non-option word, which is PROGRAM; the rest are its ARGS."""
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
        elif arg in ("--root", "--env", "--max-tasks"):
            if i + 1 >= len(args):
                raise UsageError(f"{arg} needs a value")
            i += 1
            _apply_valued(opts, arg, args[i])
        elif arg.startswith(("--root=", "--env=", "--max-tasks=")):
            name, value = arg.split("=", 1)
            _apply_valued(opts, name, value)
        elif arg in ("-h", "--help"):
            raise UsageError("")
        else:
            raise UsageError(f"unknown option {arg}")
        i += 1
    opts.argv = args[i:]
    if not opts.argv:
        raise UsageError("no PROGRAM given")
    return opts


def _apply_valued(opts: RunOptions, name: str, value: str) -> None:
    if name == "--max-tasks":
        if not value.isdigit() or int(value) < 2:
            raise UsageError(f"--max-tasks {value}: expected a number of tasks (2 or more)")
        opts.max_tasks = int(value)
    elif name == "--root":
        if not os.path.isdir(value):
            raise UsageError(f"--root {value}: not a directory")
        opts.root = os.path.abspath(value)
    else:
        if "=" not in value:
            raise UsageError(f"--env {value}: expected K=V")
        key, val = value.split("=", 1)
        opts.env[key] = val


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


def wait_status_to_exit(status: int) -> tuple:
    """(exit status, message or None) from a wait status, as a shell reports it."""
    signo = status & 0x7F
    if signo == 0:
        return (status >> 8) & 0xFF, None
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
    from glasskernel.init.main import Kernel
    opts = parse_run_args(args)
    strace_out = open_strace(opts.strace)
    kernel = Kernel(root=opts.root, strace_file=strace_out, max_tasks=opts.max_tasks)
    try:
        try:
            task = start_program(kernel, opts)
        except KernelError as err:
            message, status = describe_exec_failure(opts.argv[0], err)
            print(message, file=sys.stderr)
            return status
        status, message = wait_status_to_exit(kernel.run(task))
        if message:
            print(message, file=sys.stderr)
        return status
    finally:
        kernel.shutdown()
        if strace_out not in (None, sys.stderr):
            strace_out.close()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv or argv[0] in ("-h", "--help"):
            print(USAGE, end="")
            return 0 if argv else EXIT_USAGE
        if argv[0] == "run":
            return cmd_run(argv[1:])
        if argv[0] == "demo":
            from glasskernel.demo import cmd_demo
            return cmd_demo(argv[1:])
        raise UsageError(f"unknown command {argv[0]}")
    except UsageError as err:
        if str(err):
            print(f"glasskernel: {err}", file=sys.stderr)
        print(USAGE, end="", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 128 + 2
    except Exception as exc:                      # never a traceback for the user
        if os.environ.get("GLASSKERNEL_DEBUG"):
            raise
        print(f"glasskernel: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

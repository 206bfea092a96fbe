"""`glasskernel demo`: run the bundled example and show the syscalls entering our kernel.

The example is a static x86-64 program shipped prebuilt inside the package (built from
examples/src by scripts/build-examples.sh), so the demo needs no compiler. Every line of
the syscall log comes from this run: each is one trip from user mode through
``do_syscall_64`` and the syscall table into a handler of ours, and back.
"""
import os
import sys

from glasskernel.cli import cmd_run

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples", "bin")

INTRO = """\
glasskernel demo: running {program} on glasskernel's own kernel.
The program is a real static x86-64 Linux binary. Its instructions run on the emulated
CPU; every `syscall` instruction traps into our kernel (Python), which looks the number up
in the x86-64 syscall table and runs the handler. The log below (strace format) is each
of those trips, in order, with arguments and results as the kernel saw them.
------------------------------------------------------------------------------------------
"""
OUTRO = """\
------------------------------------------------------------------------------------------
The program exited with status {status}. `glasskernel run --strace PROGRAM` shows the same
for any static program; compare it with `strace PROGRAM` on the host.
"""


def example_path(name: str = "hello") -> str:
    return os.path.join(EXAMPLES, name)


def cmd_demo(args: list) -> int:
    program = example_path()
    sys.stdout.write(INTRO.format(program=os.path.basename(program)))
    sys.stdout.flush()
    strace = [a for a in args if a.startswith("--strace")] or ["--strace"]
    status = cmd_run(strace[:1] + [program])
    sys.stdout.write(OUTRO.format(status=status))
    return status

"""Start-up does no work a short run does not need (bench/dynamic.py's `true` row), and
what it defers behaves as before."""
import gc
import subprocess
import sys

# Modules a plain run must not import: the emulator build's (importlib.metadata, tarfile,
# subprocess, hashlib's OpenSSL), procfs and devtmpfs (until /proc or /dev is looked up),
# and the tracing outputs (until asked for).
DEFERRED = ("importlib.metadata", "tarfile", "subprocess", "hashlib",
            "glasskernel.fs.proc.root", "glasskernel.drivers.base.devtmpfs",
            "glasskernel.tools.strace.strace", "glasskernel.kernel.trace.recorder",
            "glasskernel.tools.timeline.timeline_html")

_PROBE = """
import sys
from glasskernel.cli import main
status = main(["run", *%r])
print(status, [m for m in %r if m in sys.modules])
"""


def _probe(argv: list) -> bytes:
    proc = subprocess.run([sys.executable, "-c", _PROBE % (argv, DEFERRED)],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_plain_run_imports_nothing_it_does_not_need():
    assert _probe(["/usr/bin/dash", "-c", "exit 3"]).endswith(b"3 []\n")


def test_proc_and_dev_are_there_when_looked_up():
    out = _probe(["/bin/busybox", "sh", "-c", "read a b < /proc/self/stat; echo $a; ls /dev/null"])
    lines = out.splitlines()
    assert lines[0].isdigit() and lines[1] == b"/dev/null"
    assert b"glasskernel.fs.proc.root" in lines[-1] and b"devtmpfs" in lines[-1]


def test_a_run_inside_a_caller_keeps_its_collector():
    """Only a process that is the run freezes the boot's objects (cli.boot_kernel)."""
    from glasskernel.cli import main
    frozen = gc.get_freeze_count()
    assert main(["run", "/bin/busybox", "true"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen

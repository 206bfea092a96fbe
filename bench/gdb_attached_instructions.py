#!/usr/bin/env python3
"""Host instructions per operation with the gdb stub attached and not (cachegrind).

    python3 bench/gdb_attached_instructions.py [WORKLOAD...]
    python3 bench/gdb_attached_instructions.py --run plain|attached PROGRAM N   (one run)

CPU time on a shared machine still moves by several percent; instruction counts do not.
Each workload (bench/programs, musl-gcc -static -O2) runs in-process at two sizes under
``valgrind --tool=cachegrind``, plain or with the stub attached: a real ``Server`` whose
connection is one end of a socket pair, the other end a scripted gdb that lets the guest
run, detaches each fork child (as gdb does with detach-on-fork and follow-fork-mode
parent) and answers the exit with a detach. (Under valgrind a real gdb's timeouts fire.)
Wake-up preemption is off, as in bench/instructions.py's --no-preempt: its decisions
follow the host clock, which valgrind slows, and would move the counts by themselves.
The stub is imported before the kernel boots and everything is frozen for the garbage
collector afterwards, as the command line does.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {"compute": (1_000, 2_001_000), "getpid": (2_000, 12_000),
             "pipe_pingpong": (100, 600)}


def _packet(body: bytes) -> bytes:
    return b"$" + body + b"#%02x" % (sum(body) & 0xFF)


def _scripted_gdb(sock) -> None:
    """Pass the signals gdb passes, continue, detach fork children, detach at the exit."""
    sock.sendall(_packet(b"QPassSignals:e;10;14;17;1a;1b;1c;21;24;25;2c;4c;97"))
    buf, detaching = b"", False
    while True:
        data = sock.recv(65536)
        if not data:
            return
        buf += data
        while (match := re.search(rb"\$([^#]*)#..", buf)):
            body, buf = match.group(1), buf[match.end():]
            sock.sendall(b"+")
            fork = re.match(rb"T05v?fork:p([0-9a-f]+)\.", body)
            if fork:
                sock.sendall(_packet(b"D;" + fork.group(1)))
                detaching = True
            elif body.startswith(b"W"):
                sock.sendall(_packet(b"D"))
                return
            elif (body == b"OK" and detaching) or body.startswith(b"T05vforkdone"):
                sock.sendall(_packet(b"vCont;c"))
                detaching = False


def run(mode: str, program: str, n: str) -> None:
    """One run in this process (the --run form, under cachegrind)."""
    import gc
    from glasskernel.kernel.sched import core
    core.check_preempt_wakeup = lambda rq, p: False
    if mode == "attached":
        import glasskernel.tools.gdbstub.server  # noqa: F401 (before boot, as cli.py)
    from glasskernel.init.main import Kernel
    kernel = Kernel()
    task = kernel.run_init_process(program.encode(), [b"p", n.encode()], [])
    if mode == "attached":
        from glasskernel.tools.gdbstub.server import Server
        stub_end, gdb_end = socket.socketpair()
        server = Server(kernel, None, ("unix", "/nonexistent"))
        server._adopt(stub_end)
        server.debugger.attach_process(task, "c")
        server.session.greeted = True
        threading.Thread(target=_scripted_gdb, args=(gdb_end,), daemon=True).start()
    gc.freeze()
    kernel.run(task)


def count(mode: str, program: str, n: int, out: str) -> int:
    subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--smc-check=all-non-file",
                    f"--cachegrind-out-file={out}", sys.executable, os.path.abspath(__file__),
                    "--run", mode, program, str(n)], capture_output=True, timeout=3600, cwd=ROOT)
    with open(out) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("summary:"))


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        run(*sys.argv[2:5])
        return
    names = sys.argv[1:] or list(WORKLOADS)
    work = tempfile.mkdtemp(prefix="gk-gdb-cg-")
    print("| workload | instructions per operation, not attached | attached | cost |")
    print("|---|---|---|---|")
    try:
        for name in names:
            program = os.path.join(work, name)
            subprocess.run(["musl-gcc", "-static", "-O2", "-o", program,
                            os.path.join(ROOT, "bench", "programs", f"{name}.c")], check=True)
            small, large = WORKLOADS[name]
            per = {}
            for mode in ("plain", "attached"):
                counts = [count(mode, program, n, os.path.join(work, f"cg.{mode}.{n}"))
                          for n in (small, large)]
                per[mode] = (counts[1] - counts[0]) / (large - small)
            print(f"| {name} | {per['plain']:,.0f} | {per['attached']:,.0f} | "
                  f"{per['attached'] / per['plain'] - 1:+.1%} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

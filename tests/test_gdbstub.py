"""The gdb stub (`glasskernel run --gdb`), driven by Debian's gdb in batch mode and by a
small protocol client for what gdb itself never sends (bad checksums, malformed packets).

Every session uses a unix socket in a private directory (no port to race for) except the
TCP tests. The tests wait for states (the "waiting for gdb" line, the guest's own output)
and never for time.
"""
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import weakref

import pytest

from tests.harness import TEST_ENV, cache_dir, glasskernel_command

pytestmark = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")

PROGRAMS = os.path.join(os.path.dirname(__file__), "programs")
SESSION_TIMEOUT = 240


def build_debug(name: str, static: bool = True, extra=()) -> str:
    """tests/programs/NAME.c with -g -O0 (gdb needs the lines), cached by content and by
    the source's path: the debug info names that path, and gdb reads the lines from it
    (a binary built in another checkout, since removed, would list nothing)."""
    src = os.path.abspath(os.path.join(PROGRAMS, f"{name}.c"))
    flags = ["-g", "-O0", *(["-static"] if static else []), *extra]
    key = hashlib.sha256(open(src, "rb").read() + repr(flags).encode()
                         + src.encode()).hexdigest()[:16]
    out = cache_dir() / f"gdb-{name}-{'static' if static else 'dyn'}-{key}"
    if not out.exists():
        tmp = f"{out}.{os.getpid()}.tmp"
        subprocess.run(["gcc", *flags, "-o", tmp, src], check=True, capture_output=True)
        os.replace(tmp, out)
    return str(out)


class Guest:
    """A `glasskernel run --gdb ADDRESS` process, its output read by threads."""

    def __init__(self, argv, gdb_opts=(), address=None, wait_line="waiting for gdb"):
        self.dir = tempfile.mkdtemp(prefix="gk-gdb-")
        weakref.finalize(self, shutil.rmtree, self.dir, True)   # also when a test fails
        self.address = address or os.path.join(self.dir, "sock")
        gdb_arg = self.address if address else f"unix:{self.address}"
        env = dict(TEST_ENV)
        if os.environ.get("GLASSKERNEL_GDB_LOG"):         # the stub's packet log, to debug it
            env["GLASSKERNEL_GDB_LOG"] = os.environ["GLASSKERNEL_GDB_LOG"]
        self.proc = subprocess.Popen(glasskernel_command(argv, ["--gdb", gdb_arg, *gdb_opts]),
                                     env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out, self.err = [], []
        self._events = {}
        self._threads = [threading.Thread(target=self._pump, args=(s, acc), daemon=True)
                         for s, acc in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._threads:
            t.start()
        if wait_line:
            self.wait_for(wait_line)

    def _pump(self, stream, acc) -> None:
        for line in iter(stream.readline, b""):
            acc.append(line.decode("utf-8", "replace"))
            for text, event in list(self._events.items()):
                if text in acc[-1]:
                    event.set()
        for event in self._events.values():
            event.set()                  # the stream ended: nobody waits for ever

    def wait_for(self, text: str) -> None:
        """Wait until a line containing text was printed (stdout or stderr)."""
        event = self._events.setdefault(text, threading.Event())
        if any(text in line for line in self.out + self.err):
            return
        event.wait(SESSION_TIMEOUT)
        assert any(text in line for line in self.out + self.err), \
            f"{text!r} never came; stderr: {''.join(self.err)}"

    def finish(self) -> int:
        status = self.proc.wait(SESSION_TIMEOUT)
        for t in self._threads:
            t.join(SESSION_TIMEOUT)
        shutil.rmtree(self.dir, ignore_errors=True)
        return status

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)


def gdb_command(guest: Guest, commands, program=None) -> list:
    argv = ["gdb", "-batch", "-nx", "-ex", "set confirm off", "-ex", "set width 0",
            "-ex", f"target remote {guest.address}"]
    for command in commands:
        argv += ["-ex", command]
    return argv + ([program] if program else [])


def gdb_session(argv, commands, program=None, gdb_opts=(), guest_program=True):
    """Run the guest under --gdb, drive it with gdb's batch commands; (gdb output,
    guest stdout, guest stderr, guest exit status)."""
    guest = Guest(argv, gdb_opts)
    try:
        gdb = subprocess.run(gdb_command(guest, commands, program), capture_output=True,
                             text=True, timeout=SESSION_TIMEOUT, stdin=subprocess.DEVNULL)
        status = guest.finish()
    finally:
        if guest.proc.poll() is None:
            guest.proc.kill()
            guest.proc.wait()
    output = gdb.stdout + gdb.stderr
    assert "Traceback" not in guest.stderr and "internal error" not in guest.stderr, guest.stderr
    return output, guest.stdout, guest.stderr, status


# ----- 1. break at main, next over fork, follow the parent or the child ----------------------

@pytest.mark.parametrize("static", [True, False], ids=["static", "dynamic"])
@pytest.mark.parametrize("follow", ["parent", "child"])
def test_break_main_next_over_fork(static, follow):
    prog = build_debug("gdbstub_fork", static=static)
    # The dynamic program is not given to gdb: it reads it (exec-file, vFile) and finds
    # ld.so and libc (libraries-svr4) through the stub, from the guest's root.
    out, stdout, _err, status = gdb_session(
        [prog], [f"set follow-fork-mode {follow}", "break main", "continue", "next", "next",
                 "next", "next", "info registers rip rax", "info sharedlibrary", "continue"],
        program=prog if static else None)
    assert "Breakpoint 1, main (argc=1" in out, out
    assert "pid_t pid = use_vfork ? vfork() : fork();" in out
    assert re.search(r"^21\s+if \(pid == 0\)", out, re.M), out    # the line after fork()
    rax = re.search(r"^rax\s+(0x[0-9a-f]+)", out, re.M)
    rip = re.search(r"^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>", out, re.M)
    assert rax and rip, out
    if follow == "child":
        assert int(rax.group(1), 16) == 0, out              # fork() returned 0 in the child
        assert "[Inferior 2 (process 3) exited with code 03]" in out, out
    else:
        assert int(rax.group(1), 16) == 3, out              # the child's pid in the parent
        assert "[Inferior 1 (process 2) exited with code 07]" in out, out
    if not static:
        assert "Reading symbols from target:" in out
        assert re.search(r"Yes\s+.*target:/\S*libc\.so\.6", out), out
    assert "child global 42" in stdout and "parent: child status 3" in stdout
    assert status == 7


def test_detach_on_fork_off_keeps_both_processes():
    prog = build_debug("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog, "vfork"], ["set detach-on-fork off", "set schedule-multiple on", "break child_work",
                          "continue", "info inferiors", "bt", "continue", "inferior 1", "continue"],
        program=prog)
    assert "[New inferior 2 (process 3)]" in out, out
    assert re.search(r"hit Breakpoint 1(\.2)?, child_work \(\)", out), out
    assert re.search(r"^\s+1\s+process 2\s", out, re.M) and re.search(r"^\*\s+2\s+process 3\s", out, re.M)
    assert "[Inferior 2 (process 3) exited with code 03]" in out
    assert "[Inferior 1 (process 2) exited with code 07]" in out, out
    assert status == 7


# ----- 2. catchpoints, watchpoints, Ctrl-C ----------------------------------------------------

def test_catch_syscall_clone():
    prog = build_debug("gdbstub_fork")
    out, _stdout, _err, status = gdb_session(
        [prog], ["catch syscall clone", "continue", "info registers rax orig_rax",
                 "continue", "info registers rax", "continue"], program=prog)
    assert "Catchpoint 1 (call to syscall clone)" in out, out
    assert re.search(r"^orig_rax\s+0x38\s+56", out, re.M), out
    assert re.search(r"^rax\s+0xffffffffffffffda\s+-38", out, re.M), out    # -ENOSYS at entry
    assert "Catchpoint 1 (returned from syscall clone)" in out
    assert re.search(r"^rax\s+0x3\s+3$", out, re.M), out                     # the child's pid
    assert "exited with code 07" in out and status == 7


def test_catch_exec_and_info_inferiors():
    prog = build_debug("gdbstub_exec")
    out, stdout, _err, status = gdb_session(
        [prog, "/usr/bin/true"], ["set follow-fork-mode child", "catch exec", "continue",
                                  "info inferiors", "continue"], program=prog)
    assert "is executing new program: /usr/bin/true" in out, out
    assert "(exec'd /usr/bin/true)" in out
    assert re.search(r"\*\s+2\s+process 3\s.*/usr/bin/true", out), out
    assert "[Inferior 2 (process 3) exited normally]" in out
    assert "exec child status 0" in stdout and status == 0


def test_watchpoint_on_global_changed_by_child():
    prog = build_debug("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog], ["set follow-fork-mode child", "break main", "continue", "watch global",
                 "continue", "bt", "continue"], program=prog)
    assert "Hardware watchpoint 2: global" in out
    assert re.search(r"Old value = 0\s+New value = 42", out), out
    # The stop comes at the end of the emulator's block holding the store: in child_work
    # or just after its return (docs/gdb.md).
    assert re.search(r"(child_work \(\)|main \(argc=1, argv=0x[0-9a-f]+\)) at \S+gdbstub_fork\.c:(1[1-3]|2[23])", out), out
    assert "Switching to Thread 3.3" in out
    assert "[Inferior 2 (process 3) exited with code 03]" in out
    assert status == 7


class InteractiveGdb:
    """gdb at its prompt on a pseudo-terminal, so that its output comes line by line."""

    def __init__(self, argv):
        import pty
        self.master, slave = pty.openpty()
        env = dict(os.environ, TERM="dumb")            # no colours, no bracketed paste
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True, env=env)
        os.close(slave)
        self.text = ""

    def expect(self, pattern: str) -> str:
        """Read until pattern (a regex) matches the output since the last expect."""
        start = len(self.text)
        while not re.search(pattern, self.text[start:]):
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            if not data:
                raise AssertionError(f"gdb ended before {pattern!r}:\n{self.text}")
            self.text += data.decode("utf-8", "replace").replace("\r", "")
        return self.text[start:]

    def command(self, line: str, until: str = r"\(gdb\) $") -> str:
        os.write(self.master, line.encode() + b"\n")
        return self.expect(until)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


def _cpu_ticks(pid: int) -> int:
    """utime + stime of a host process, in clock ticks (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_ctrl_c_stops_an_endless_loop():
    prog = build_debug("gdbstub_loop")
    guest = Guest([prog])
    gdb = InteractiveGdb(["gdb", "-nx", "-q", "-ex", "set confirm off", "-ex", "set pagination off",
                          "-ex", "set style enabled off", "-ex", f"target remote {guest.address}", prog])
    try:
        gdb.expect(r"\(gdb\) $")
        gdb.command("break spin")
        assert "Breakpoint 1, spin ()" in gdb.command("continue")   # no syscall after this
        assert "$1 = 0" in gdb.command("print counter")
        gdb.command("delete")
        gdb.command("continue", until="Continuing.")
        # Wait until the guest has spun for a while (its CPU time grows), then Ctrl-C.
        start = _cpu_ticks(guest.proc.pid)
        while _cpu_ticks(guest.proc.pid) < start + 20 and guest.proc.poll() is None:
            os.sched_yield()
        gdb.proc.send_signal(signal.SIGINT)
        stop = gdb.expect(r"\(gdb\) $")
        assert "Program received signal SIGINT, Interrupt." in stop, gdb.text
        assert "spin ()" in stop, gdb.text
        assert "$2 = 1" in gdb.command("print counter > 0")          # the loop ran
        assert "[Inferior 1 (process 2) killed]" in gdb.command("kill")
        gdb.command("quit", until="$")
        status = guest.finish()
    finally:
        gdb.close()
        if guest.proc.poll() is None:
            guest.proc.kill()
            guest.proc.wait()
    assert status == 128 + 9


def test_signal_stops_and_is_delivered():
    prog = build_debug("segv", extra=("-w",))
    out, stdout, _err, status = gdb_session([prog], ["continue", "bt", "continue"], program=prog)
    assert "Program received signal SIGSEGV, Segmentation fault." in out, out
    assert "Program terminated with signal SIGSEGV" in out
    assert status == 128 + 11


# ----- 3. threads -----------------------------------------------------------------------------

@pytest.mark.parametrize("static", [True, False], ids=["static", "dynamic"])
def test_threads_listed_and_backtraced(static):
    prog = build_debug("gdbstub_threads", static=static, extra=("-pthread",))
    out, stdout, _err, status = gdb_session(
        [prog], ["break all_started", "continue", "info threads", "thread 3", "bt", "continue"],
        program=prog)
    threads = re.findall(r"^\*?\s+(\d)\s+Thread 2\.(\d)", out, re.M)
    assert [t[1] for t in threads] == ["2", "3", "4", "5"], out
    assert "Switching to thread 3 (Thread 2.4)" in out
    assert re.search(r"in worker \(arg=0x1\)", out), out
    assert "joined 3 threads" in stdout and status == 0


# ----- 4. monitor commands reach the kernel ---------------------------------------------------

def test_monitor_kbreak_kbt_pt_regs():
    prog = build_debug("gdbstub_fork")
    out, _stdout, _err, status = gdb_session(
        [prog], ["monitor kbreak copy_process", "continue", "monitor kbt", "monitor pt_regs",
                 "monitor ps", "monitor tree", "monitor kdelete", "continue"], program=prog)
    assert "kernel breakpoint copy_process in pid 2" in out, out
    kbt = re.findall(r"^#(\d+)\s+(\w+)\(", out, re.M)
    names = [name for _depth, name in kbt]
    assert names[:2] == ["copy_process", "kernel_clone"], out
    assert re.search(r"orig_ax = (56|57) \((clone|fork)\)", out), out
    assert re.search(r"^\*\s+2\s+1 R gdb-gdbstub_for", out, re.M), out
    assert re.search(r"^  2 gdb-gdbstub_for \(R\) \*$", out, re.M), out
    assert "exited with code 07" in out and status == 7


def test_monitor_trace_shows_the_kernel_between_stops():
    prog = build_debug("gdbstub_fork")
    out, _stdout, _err, status = gdb_session(
        [prog], ["monitor trace on", "catch syscall clone", "catch fork", "continue", "continue",
                 "monitor trace show", "monitor trace off", "delete", "continue"], program=prog)
    assert "Catchpoint 2 (forked process 3)" in out, out
    graph = out[out.index("# tracer: function_graph"):]
    # From the syscall-entry stop to the fork event: copy_process inside kernel_clone.
    assert re.search(r"kernel_clone\(.*\n(.*\n)*.*copy_process\(", graph), graph
    assert status == 7


def test_deterministic_session_replays_the_same():
    prog = build_debug("gdbstub_fork")
    commands = ["monitor kbreak wake_up_new_task", "continue", "monitor trace on", "continue",
                "monitor trace show", "monitor ps", "info registers", "continue"]
    runs = [gdb_session([prog], commands, program=prog, gdb_opts=("--deterministic",))
            for _ in range(2)]
    strip = lambda text: re.sub(r"target remote \S+|/tmp/gk-gdb-\S+", "", text)
    assert strip(runs[0][0]) == strip(runs[1][0])
    assert runs[0][1] == runs[1][1] and runs[0][3] == runs[1][3] == 7


# ----- 5. bad input ----------------------------------------------------------------------------

class RspClient:
    """Just enough of the remote protocol: packets, acks, checksums chosen by the test."""

    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(SESSION_TIMEOUT)
        self.buf = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, payload: bytes, checksum: int = None) -> None:
        if checksum is None:
            checksum = sum(payload) & 0xFF
        self.send_raw(b"$" + payload + b"#%02x" % checksum)

    def read_byte(self) -> bytes:
        while not self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        byte, self.buf = self.buf[:1], self.buf[1:]
        return byte

    def reply(self) -> bytes:
        """The next packet's payload (acks and O packets skipped), acked."""
        while True:
            byte = self.read_byte()
            if byte != b"$":
                continue
            body = b""
            while (byte := self.read_byte()) != b"#":
                body += byte
            self.read_byte(), self.read_byte()
            self.send_raw(b"+")
            if not body.startswith(b"O") or body == b"OK":
                return body

    def ask(self, payload: bytes) -> bytes:
        self.send(payload)
        return self.reply()

    def close(self) -> None:
        self.sock.close()


def test_bad_checksums_and_malformed_packets_get_errors():
    prog = build_debug("gdbstub_fork")
    guest = Guest([prog])
    try:
        client = RspClient(guest.address)
        client.send(b"?", checksum=0x00)                 # wrong checksum: a '-' to resend
        assert client.read_byte() == b"-"
        assert client.ask(b"?").startswith(b"T05thread:p2.2;")
        client.send_raw(b"garbage+\x7f")                 # noise between packets
        for bad in (b"m zz,1", b"mzz", b"Hgpq", b"Z0,,", b"Z9,1,1", b"vCont;x", b"vCont;",
                    b"qXfer:features:read:target.xml:zz", b"p999", b"P1=zz", b"G00",
                    b"X10,4:ab", b"M0,2:00", b"qRcmd,zz", b"vFile:open:zz,0,0", b"\xff\xfe",
                    b"D;zz", b"T", b"qThreadExtraInfo,pzz"):
            answer = client.ask(bad)
            assert answer == b"" or answer.startswith((b"E", b"F-1")), (bad, answer)
        assert client.ask(b"m0,8") == b"E14"             # unmapped guest memory
        assert client.ask(b"M0,1:00") == b"E14"
        regs = client.ask(b"g")
        assert len(regs) == 2 * 560
        rip = int.from_bytes(bytes.fromhex(regs[16 * 16:17 * 16].decode()), "little")
        before = client.ask(b"m%x,4" % rip)
        assert client.ask(b"Z0,%x,1" % rip) == b"OK"
        assert client.ask(b"m%x,4" % rip) == before      # the int3 is not shown
        assert client.ask(b"z0,%x,1" % rip) == b"OK"
        assert b"monitor commands" in _monitor(client, "help")
        # vFile reads the guest's files: its own /proc, where pid 2 is the program.
        fd = client.ask(b"vFile:open:" + b"/proc/2/comm".hex().encode() + b",0,0")
        assert fd == b"F0", fd
        assert client.ask(b"vFile:pread:0,100,0") == b"F10;gdb-gdbstub_for\n"
        assert client.ask(b"vFile:close:0") == b"F0"
        assert client.ask(b"vFile:open:" + b"/nonexistent".hex().encode() + b",0,0") == b"F-1,2"
        assert client.ask(b"vFile:open:" + b"/tmp/x".hex().encode() + b",601,1b6") == b"F-1,d"
        client.send(b"vCont;c")
        assert client.reply() == b"T05fork:p3.3;thread:p2.2;core:0;"
        assert client.ask(b"D;3") == b"OK"               # the child runs on, undebugged
        client.send(b"vCont;c")
        assert client.reply() == b"W07;process:2"
        client.close()
        assert guest.finish() == 7
    finally:
        if guest.proc.poll() is None:
            guest.proc.kill()
    assert "Traceback" not in guest.stderr


def _monitor(client: RspClient, command: str) -> bytes:
    client.send(b"qRcmd," + command.encode().hex().encode())
    text = b""
    while True:
        byte = client.read_byte()
        if byte != b"$":
            continue
        body = b""
        while (byte := client.read_byte()) != b"#":
            body += byte
        client.read_byte(), client.read_byte()
        client.send_raw(b"+")
        if body.startswith(b"O") and body != b"OK":
            text += bytes.fromhex(body[1:].decode())
        else:
            return text


@pytest.mark.parametrize("policy", ["continue", "kill"])
def test_client_disconnecting_mid_run(policy):
    prog = build_debug("gdbstub_loop")
    guest = Guest([prog], gdb_opts=("--gdb-disconnect", policy))
    try:
        client = RspClient(guest.address)
        client.ask(b"?")
        if policy == "kill":
            client.send(b"vCont;c")
            guest.wait_for("looping")
            client.close()                               # gone while the guest spins
            assert guest.finish() == 128 + 9
            assert "gdb disconnected; killing the program" in guest.stderr
        else:
            client.close()                               # gone while stopped at the start
            guest.wait_for("looping")                    # it runs on, undebugged
            guest.proc.send_signal(signal.SIGINT)
            assert guest.finish() == 128 + 2
            assert "gdb disconnected; the program runs on" in guest.stderr
    finally:
        if guest.proc.poll() is None:
            guest.proc.kill()
    assert "Traceback" not in guest.stderr


def test_port_in_use_is_one_clear_line():
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    busy.bind(("localhost", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        proc = subprocess.run(glasskernel_command(["/bin/true"], ["--gdb", str(port)]),
                              env=dict(TEST_ENV), capture_output=True, text=True,
                              timeout=SESSION_TIMEOUT)
    finally:
        busy.close()
    assert proc.returncode == 1
    assert proc.stderr == f"glasskernel: --gdb {port}: cannot listen: Address already in use\n"


def test_bad_gdb_options_are_usage_errors():
    for opts in (["--gdb", "notaport"], ["--gdb-late"], ["--gdb", "1", "--gdb-disconnect", "maybe"]):
        proc = subprocess.run(glasskernel_command(["/bin/true"], opts), env=dict(TEST_ENV),
                              capture_output=True, text=True, timeout=SESSION_TIMEOUT)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, (opts, proc.stderr)


# ----- TCP and a late attach -----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_gdb_late_attaches_to_a_running_guest_over_tcp():
    prog = build_debug("gdbstub_loop")
    port = _free_port()
    guest = Guest([prog], gdb_opts=("--gdb-late",), address=f"localhost:{port}",
                  wait_line="looping")                     # it runs without waiting
    try:
        gdb = subprocess.run(gdb_command(guest, ["bt", "print counter > 0", "kill"], prog),
                             capture_output=True, text=True, timeout=SESSION_TIMEOUT,
                             stdin=subprocess.DEVNULL)
        status = guest.finish()
    finally:
        if guest.proc.poll() is None:
            guest.proc.kill()
    out = gdb.stdout + gdb.stderr
    assert "spin () at" in out and "$1 = 1" in out, out
    assert status == 128 + 9

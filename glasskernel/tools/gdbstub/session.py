"""The packets gdb sends while the guest is stopped, and their answers.

``Session.run_stop`` is the all-stop loop: it answers packets until one resumes the
guest (vCont, c, s, k, a detach of the last process) or the connection ends. Bad input
gets an error reply (`E01`, `E14` for memory that cannot be read or written), never an
exception out of the loop.
"""
import os
import sys

from glasskernel.tools.gdbstub import regs, signals
from glasskernel.tools.gdbstub.memory import read_memory
from glasskernel.kernel.task import task_state_to_char
from glasskernel.tools.gdbstub.transport import unescape
from glasskernel.arch.x86.kernel.process_64 import set_user_reg

RESUME = object()              # a handler's answer: leave the stop
DISCONNECTED = object()
ENOENT_REPLY, EFAULT_REPLY, EINVAL_REPLY = "E02", "E14", "E16"

FEATURES = ("PacketSize=20000;QStartNoAckMode+;multiprocess+;swbreak+;hwbreak+;fork-events+;"
            "vfork-events+;exec-events+;QCatchSyscalls+;QPassSignals+;QProgramSignals+;"
            "qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+;qXfer:threads:read+;"
            "qXfer:libraries-svr4:read+;vContSupported+;QThreadEvents+;QDisableRandomization+")


class BadPacket(ValueError):
    """A packet whose fields do not parse: answered E01."""


def parse_thread_id(text: str) -> tuple:
    """(pid, tid) from pPID.TID, pPID, TID, -1 or 0 (hex); None or -1 mean any/all."""
    try:
        if text.startswith("p"):
            pid_text, _, tid_text = text[1:].partition(".")
            return _hex_id(pid_text), _hex_id(tid_text) if tid_text else -1
        return None, _hex_id(text)
    except ValueError:
        raise BadPacket(text) from None


def _hex_id(text: str) -> int:
    """A hex id, or -1."""
    return -1 if text == "-1" else int(text, 16)


def thread_id(task) -> str:
    """pPID.TID of a task."""
    return f"p{task.tgid:x}.{task.pid:x}"


def parse_addr_len(text: str) -> tuple:
    """ADDR,LENGTH in hex."""
    try:
        addr, length = text.split(",", 1)
        return int(addr, 16), int(length, 16)
    except ValueError:
        raise BadPacket(text) from None


class Session:
    """One connection's state: the threads selected by H, the handlers."""

    def __init__(self, debugger, conn):
        self.debugger = debugger
        self.kernel = debugger.kernel
        self.conn = conn
        self.g_task = None              # Hg: registers and memory
        self.greeted = False            # gdb asked `?` once: later stops are sent at once
        from glasskernel.tools.gdbstub.qxfer import QXFER
        from glasskernel.tools.gdbstub.vfile import VFile
        from glasskernel.tools.gdbstub.monitor import Monitor
        self.qxfer = QXFER
        self.vfile = VFile(self)
        self.monitor = Monitor(self)

    # ----- the loop -----------------------------------------------------------------------

    def run_stop(self, reply: str, task, note: str = None):
        """Answer packets until gdb resumes; DISCONNECTED if the connection ended."""
        self.g_task = task if task.pid in self.debugger.tracees else self.debugger.find()
        if self.greeted:
            if note:
                self.monitor.output(note)
            self.conn.send(reply)
        while True:
            packet = self.conn.get()
            if packet is None:
                return DISCONNECTED
            answer = self.handle(packet)
            if answer is RESUME:
                self.monitor.resumed()
                return RESUME
            if answer is not None:
                self.conn.send(answer)

    def handle(self, packet: bytes):
        """One packet's answer (str/bytes), RESUME, or None for no reply."""
        try:
            return self._dispatch(packet)
        except (BadPacket, ValueError, IndexError, UnicodeDecodeError):
            return "E01"
        except Exception as exc:                  # never a traceback out of the stub
            if os.environ.get("GLASSKERNEL_DEBUG"):
                raise
            print(f"glasskernel: gdb stub: {type(exc).__name__}: {exc} (packet {packet[:40]!r})",
                  file=sys.stderr, flush=True)
            return "E01"

    def _dispatch(self, packet: bytes):
        """Route a packet to its handler; an empty reply for what we do not know."""
        if not packet:
            return ""
        head = chr(packet[0])
        if head in "XvF" or packet.startswith(b"qXfer") or packet.startswith(b"vFile"):
            if packet.startswith(b"vFile:"):
                return self.vfile.handle(packet[6:])
            if head == "X":
                return self.write_binary(packet[1:])
        text = packet.decode("latin-1")
        handler = _SIMPLE.get(text)
        if handler is not None:
            return handler(self)
        for prefix, method in _PREFIXED:
            if text.startswith(prefix):
                return method(self, text[len(prefix):])
        return ""

    # ----- threads --------------------------------------------------------------------------

    def selected(self):
        """The thread Hg selected, or the first traced one when it is gone."""
        task = self.g_task
        if task is None or task.exit_state != 0 or task.pid not in self.debugger.tracees:
            task = self.g_task = self.debugger.find()
        if task is None:
            raise BadPacket("no thread")
        return task

    def q_stop_reason(self):
        """?: the last stop reply."""
        self.greeted = True
        return self.debugger.last_reply

    def set_thread(self, rest: str):
        """Hg/Hc: select a thread."""
        kind, ident = rest[:1], rest[1:]
        pid, tid = parse_thread_id(ident)
        task = self.debugger.find(pid, tid)
        if task is None:
            return "E01"
        if kind == "g":
            self.g_task = task
        return "OK"

    def thread_alive(self, rest: str):
        """T: is the thread alive?"""
        pid, tid = parse_thread_id(rest)
        return "OK" if self.debugger.find(pid, tid) is not None else "E01"

    def q_current(self):
        """qC: the selected thread."""
        return "QC" + thread_id(self.selected())

    def thread_info_first(self):
        """qfThreadInfo: every traced thread in one reply."""
        threads = self.debugger.threads()
        return "m" + ",".join(thread_id(t) for t in threads) if threads else "l"

    def thread_extra_info(self, rest: str):
        """qThreadExtraInfo: name and state of a thread."""
        task = self.debugger.find(*parse_thread_id(rest))
        if task is None:
            return "E01"
        return f"{task.comm} ({task_state_to_char(task)})".encode().hex()

    # ----- registers and memory -------------------------------------------------------------

    def read_regs(self):
        """g: every register of the selected thread."""
        return regs.read_registers(self.kernel, self.selected()).hex()

    def write_regs(self, rest: str):
        """G: load every register."""
        regs.write_registers(self.kernel, self.selected(), bytes.fromhex(rest))
        return "OK"

    def read_reg(self, rest: str):
        """p: one register."""
        value = regs.read_register(self.kernel, self.selected(), int(rest, 16))
        return "E01" if value is None else value.hex()

    def write_reg(self, rest: str):
        """P: write one register."""
        number, value = rest.split("=", 1)
        ok = regs.write_register(self.kernel, self.selected(), int(number, 16), bytes.fromhex(value))
        return "OK" if ok else "E01"

    def read_mem(self, rest: str):
        """m: guest memory (the readable prefix), breakpoints hidden; E14 if none is readable."""
        addr, length = parse_addr_len(rest)
        mm = self.selected().mm
        if mm is None:
            return EFAULT_REPLY
        data = read_memory(mm, addr, min(length, 0x8000))
        if not data and length:
            return EFAULT_REPLY
        return self.debugger.bps.shadow(mm, addr, data).hex()

    def write_mem(self, rest: str):
        """M: write hex bytes into guest memory."""
        where, _, hexdata = rest.partition(":")
        addr, length = parse_addr_len(where)
        data = bytes.fromhex(hexdata)
        if len(data) != length:
            return "E01"
        return self._write(addr, data)

    def write_binary(self, rest: bytes):
        """X: write escaped binary bytes into guest memory."""
        where, sep, data = rest.partition(b":")
        if not sep:
            return "E01"
        addr, length = parse_addr_len(where.decode("latin-1"))
        data = unescape(data)
        if len(data) != length:
            return "E01"
        return self._write(addr, data)

    def _write(self, addr: int, data: bytes):
        """Write into the selected process's memory, keeping breakpoints; E14 if unmapped."""
        mm = self.selected().mm
        if not data:
            return "OK"
        if mm is None or not self.debugger.bps.write(mm, addr, data):
            return EFAULT_REPLY
        return "OK"

    # ----- breakpoints and watchpoints ------------------------------------------------------

    def insert_point(self, rest: str):
        """Z: insert a breakpoint or watchpoint."""
        return self._point(rest, True)

    def remove_point(self, rest: str):
        """z: remove one."""
        return self._point(rest, False)

    def _point(self, rest: str, insert: bool):
        """Z0/Z1 software breakpoints, Z2-Z4 watchpoints, in the selected process."""
        kind, _, args = rest.partition(",")
        addr_text, _, length_text = args.split(";", 1)[0].partition(",")
        addr, length = int(addr_text, 16), int(length_text or "1", 16)
        task = self.selected()
        if kind in ("0", "1"):                  # software; a "hardware" one is the same here
            bps = self.debugger.bps
            ok = bps.insert(task.mm, addr) if insert else bps.remove(task.mm, addr)
            return "OK" if ok else EFAULT_REPLY
        watch = {"2": "w", "3": "r", "4": "rw"}.get(kind)
        if watch is None:
            return ""
        if insert:
            return "OK" if self.debugger.add_watch(watch, addr, length, task.tgid) else "E01"
        self.debugger.remove_watch(watch, addr, length, task.tgid)
        return "OK"

    # ----- resuming -------------------------------------------------------------------------

    def vcont_query(self):
        """vCont?: the actions we support."""
        return "vCont;c;C;s;S;t;r"

    def vcont(self, rest: str):
        """vCont: per-thread actions, then resume."""
        actions = []
        for part in rest.lstrip(";").split(";"):
            if not part:
                continue
            action, _, ident = part.partition(":")
            pid, tid = parse_thread_id(ident) if ident else (None, None)
            kind, signo, span = action[:1], 0, None
            if kind in ("C", "S"):
                signo = signals.from_gdb(int(action[1:3], 16))
                kind = kind.lower()
            elif kind == "r":
                start, end = action[1:].split(",")
                span = (int(start, 16), int(end, 16))
            elif kind == "t":
                continue                        # all-stop: it stays stopped anyway
            elif kind not in ("c", "s"):
                raise BadPacket(part)
            actions.append((kind, signo, pid, tid, span))
        if not actions:
            return "E01"
        self.debugger.resume(actions)
        return RESUME

    def legacy_continue(self, rest: str, kind: str, with_signal: bool):
        """c/s/C/S: resume the selected thread so, the others continue."""
        signo = 0
        if with_signal:
            signo = signals.from_gdb(int(rest[:2], 16))
            rest = rest[3:] if rest[2:3] == ";" else ""
        if rest:
            set_user_reg(self.selected(), "rip", int(rest, 16))
        task = self.selected()
        self.debugger.resume([(kind, signo, task.tgid, task.pid, None), ("c", 0, None, None, None)])
        return RESUME

    def detach(self, rest: str):
        """D / D;PID: let a process (or all) go; the last one ends the session."""
        debugger = self.debugger
        if rest.startswith(";"):
            debugger.detach_process(int(rest[1:], 16))
        else:
            debugger.detach_all()
        self.conn.send("OK")
        if not debugger.procs:
            self.conn.close()
            return RESUME
        return None

    def kill_all(self):
        """k: kill every process gdb debugs (no reply)."""
        debugger = self.debugger
        for tgid in list(debugger.procs):
            debugger.kill_process(tgid)
            debugger.detach_process(tgid)
        return RESUME

    def vkill(self, rest: str):
        """vKill;PID: kill one process."""
        tgid = int(rest, 16)
        self.debugger.kill_process(tgid)
        self.debugger.detach_process(tgid)
        return "OK"

    # ----- settings -------------------------------------------------------------------------

    def no_ack(self):
        """QStartNoAckMode: OK, then no more acks."""
        self.conn.send("OK")
        self.conn.ack_mode = False
        return None

    def pass_signals(self, rest: str):
        """QPassSignals: signals delivered without a stop."""
        self.debugger.pass_signals = {signals.from_gdb(int(s, 16)) for s in rest.split(";") if s}
        return "OK"

    def catch_syscalls(self, rest: str):
        """QCatchSyscalls:0 or 1[;NR...]: syscall stops."""
        enabled, _, numbers = rest.partition(";")
        nrs = [int(n, 16) for n in numbers.split(";") if n]
        self.debugger.set_catch_syscalls(enabled == "1", nrs)
        return "OK"

    def xfer(self, rest: str):
        """qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH."""
        obj, op, annex, where = rest.split(":", 3)
        if op != "read" or obj not in self.qxfer:
            return ""
        offset, length = parse_addr_len(where)
        data = self.qxfer[obj](self, annex)
        if data is None:
            return "E00"
        from glasskernel.tools.gdbstub.transport import escape
        chunk = data[offset:offset + length]
        return (b"l" if offset + length >= len(data) else b"m") + escape(chunk)

    def rcmd(self, rest: str):
        """qRcmd: a monitor command."""
        return self.monitor.run(bytes.fromhex(rest).decode("utf-8", "replace"))


_SIMPLE = {
    "?": Session.q_stop_reason,
    "g": Session.read_regs,
    "qC": Session.q_current,
    "qfThreadInfo": Session.thread_info_first,
    "qsThreadInfo": lambda s: "l",
    "qAttached": lambda s: "0",
    "qOffsets": lambda s: "",
    "qSymbol::": lambda s: "OK",
    "QStartNoAckMode": Session.no_ack,
    "vCont?": Session.vcont_query,
    "vMustReplyEmpty": lambda s: "",
    "k": Session.kill_all,
    "!": lambda s: "OK",
    "D": lambda s: s.detach(""),
    "c": lambda s: s.legacy_continue("", "c", False),
    "s": lambda s: s.legacy_continue("", "s", False),
}
_PREFIXED = (
    ("qSupported", lambda s, rest: FEATURES),
    ("qXfer:", Session.xfer),
    ("qRcmd,", Session.rcmd),
    ("qThreadExtraInfo,", Session.thread_extra_info),
    ("vCont;", Session.vcont),
    ("vKill;", Session.vkill),
    ("vRun", lambda s, rest: "E01"),
    ("vAttach", lambda s, rest: "E01"),
    ("QPassSignals:", Session.pass_signals),
    ("QProgramSignals:", lambda s, rest: "OK"),
    ("QCatchSyscalls:", Session.catch_syscalls),
    ("QThreadEvents:", lambda s, rest: "OK"),
    ("QDisableRandomization:", lambda s, rest: "OK"),
    ("QNonStop:0", lambda s, rest: "OK"),
    ("D;", lambda s, rest: s.detach(";" + rest)),
    ("H", Session.set_thread),
    ("T", Session.thread_alive),
    ("G", Session.write_regs),
    ("p", Session.read_reg),
    ("P", Session.write_reg),
    ("m", Session.read_mem),
    ("M", Session.write_mem),
    ("Z", Session.insert_point),
    ("z", Session.remove_point),
    ("C", lambda s, rest: s.legacy_continue(rest, "c", True)),
    ("S", lambda s, rest: s.legacy_continue(rest, "s", True)),
    ("c", lambda s, rest: s.legacy_continue(rest, "c", False)),
    ("s", lambda s, rest: s.legacy_continue(rest, "s", False)),
)

"""The listening socket, the one gdb connection at a time, and what a disconnect does.

Without --gdb-late the run waits for gdb before the program's first instruction. With
it, an accepting thread takes a connection at any time and asks for a stop (as Ctrl-C
does), and takes the next one after a disconnect. A connection that ends while the guest
runs or is stopped detaches every process (they run on) or kills them, as --gdb-disconnect
says; either way the run ends normally.
"""
import socket
import sys
import threading

from glasskernel.tools.gdbstub import transport
from glasskernel.tools.gdbstub.session import DISCONNECTED, Session
from glasskernel.tools.gdbstub.target import Debugger

SIGINT = 2


class Server:
    """Owns the listener, the current Connection and Session, and the Debugger."""

    def __init__(self, kernel, listener, address, late=False, on_disconnect="continue", stderr=None):
        self.kernel = kernel
        self.listener = listener
        self.address = address
        self.late = late
        self.on_disconnect = on_disconnect
        self.stderr = stderr or sys.stderr
        self.conn = None
        self.session = None
        self.disconnect_pending = False
        self.activity = threading.Event()
        self._interrupt_signal = 0
        self.debugger = Debugger(kernel, self)
        kernel.debugger = self.debugger

    def connected(self) -> bool:
        """Is a gdb connected (and not being let go)?"""
        return self.conn is not None and not self.disconnect_pending

    def interrupt_signal(self) -> int:
        """The signal a pending stop reports: SIGINT for Ctrl-C, none for a late attach."""
        signo, self._interrupt_signal = self._interrupt_signal, SIGINT
        return signo

    # ----- connecting -----------------------------------------------------------------------

    def start(self, task) -> None:
        """Trace the first program; wait for gdb unless --gdb-late."""
        where = transport.describe_address(self.address)
        if self.late:
            self.debugger.attach_process(task, "c")
            self.say(f"gdb can attach at any time: target remote {where}")
            threading.Thread(target=self._accept_loop, name="gdb-accept", daemon=True).start()
            return
        self.debugger.attach_process(task, None)
        self.debugger.tracees[task.pid].event = self.debugger.stop_reply(task)
        self.say(f"waiting for gdb on {where} (gdb PROGRAM -ex 'target remote {where}')")
        self._adopt(self.listener.accept()[0])

    def say(self, text: str) -> None:
        """One line for the user on stderr."""
        print(f"glasskernel: {text}", file=self.stderr, flush=True)

    def _accept_loop(self) -> None:
        """--gdb-late: take connections for the life of the run, one at a time."""
        while self.listener is not None:
            try:
                sock, _peer = self.listener.accept()
            except OSError:
                return
            if self.conn is not None:
                sock.close()                 # one debugger at a time
                continue
            self._interrupt_signal = 0
            self._adopt(sock)
            self.debugger.request_interrupt()

    def _adopt(self, sock) -> None:
        """A new connection: its reader thread and a fresh session."""
        conn = transport.Connection(sock, self._on_interrupt)
        conn.on_activity = lambda: self._on_activity(conn)
        self.conn = conn
        self.session = Session(self.debugger, self.conn)
        self.disconnect_pending = False

    def _on_interrupt(self) -> None:
        """0x03 from gdb. gdb sends it only while it thinks the guest runs, so honour it
        even if the session has not yet taken the vCont queued before it."""
        self._interrupt_signal = SIGINT
        self.debugger.request_interrupt()

    def _on_activity(self, conn) -> None:
        """From the reader thread: a packet or the end of the connection."""
        if conn is self.conn and conn.closed and not self.debugger.stopped:
            self.disconnect_pending = True
            self.debugger.raise_alert()
            if self.on_disconnect == "kill":
                self.kernel.cpu.interrupt()
        self.activity.set()
        self.kernel.host_io.wake()

    def wait_activity(self) -> None:
        """Block until the reader thread has something (the idle loop's wait)."""
        self.activity.wait()
        self.activity.clear()

    # ----- a stop ---------------------------------------------------------------------------

    def serve(self, reply: str, task, note: str = None) -> None:
        """Run the session for one stop; a lost connection is handled here."""
        if self.session.run_stop(reply, task, note) is DISCONNECTED:
            self.disconnected()

    def disconnected(self) -> None:
        """The connection ended: let the guest go on, or kill it (--gdb-disconnect)."""
        debugger = self.debugger
        kill = self.on_disconnect == "kill" and debugger.procs
        if debugger.procs:
            self.say("gdb disconnected; " + ("killing the program" if kill else "the program runs on"))
        if kill:
            for tgid in list(debugger.procs):
                debugger.kill_process(tgid)
        debugger.detach_all()
        debugger.set_catch_syscalls(False, ())
        if self.session is not None:
            self.session.vfile.close_all()
            self.session.monitor.close()
        if self.conn is not None:
            self.conn.close()
        self.conn = self.session = None
        self.disconnect_pending = False
        if self.late:                              # the next gdb may attach again
            debugger.attach_process(self.kernel.user_task, "c") \
                if self.kernel.user_task is not None and self.kernel.user_task.exit_state == 0 else None

    def close(self) -> None:
        """End of the run: the connection, the listener and the socket file go."""
        self.debugger.closed = True
        if self.conn is not None:
            self.conn.close()
        listener, self.listener = self.listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)    # wakes the accepting thread
            except OSError:
                pass
            listener.close()
        transport.unix_cleanup(self.address)
        self.kernel.debugger = None

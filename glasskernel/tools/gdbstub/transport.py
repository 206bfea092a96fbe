"""The remote serial protocol's framing, over TCP or a unix socket.

`$payload#cs` packets with a modulo-256 checksum, `+`/`-` acknowledgements (until gdb
asks for QStartNoAckMode) and the lone 0x03 byte that means "interrupt". A reader
thread owns the receiving side, so the guest keeps running while gdb is quiet: it queues
complete packets for the stub, calls ``on_interrupt`` for 0x03 and queues None when the
connection ends. A packet with a bad checksum is answered `-` and dropped, as gdbserver
does, and gdb sends it again.
"""
import os
import queue
import socket
import threading

MAX_PACKET = 1 << 18                # twice PacketSize (escapes included): a sender gone wrong
INTERRUPT = 0x03
_ESCAPED = frozenset(b"#$}*")


class AddressError(ValueError):
    """A --gdb value that names no port or socket path."""


def parse_address(value: str) -> tuple:
    """--gdb's value: ("tcp", host, port) for PORT, :PORT or HOST:PORT, ("unix", path)
    for unix:PATH."""
    if value.startswith("unix:"):
        path = value[len("unix:"):]
        if not path:
            raise AddressError(f"--gdb {value}: expected unix:PATH")
        return ("unix", path)
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise AddressError(f"--gdb {value}: expected a TCP port (1-65535), HOST:PORT or unix:PATH")
    return ("tcp", host or "localhost", int(port))


def describe_address(address: tuple) -> str:
    """The address as the user writes it for gdb."""
    if address[0] == "unix":
        return address[1]
    return f"{address[1]}:{address[2]}"


def listen(address: tuple) -> socket.socket:
    """A listening socket at the address (OSError, e.g. EADDRINUSE, for the caller to report)."""
    if address[0] == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(address[1])
        except OSError:
            sock.close()
            raise
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address[1], address[2]))
        except OSError:
            sock.close()
            raise
    sock.listen(1)
    return sock


def checksum(data: bytes) -> int:
    """The packet checksum."""
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    """Binary data in a reply: `}` then the byte xor 0x20 for # $ } *."""
    if not any(b in _ESCAPED for b in data):
        return data
    out = bytearray()
    for b in data:
        if b in _ESCAPED:
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """The binary data of an X or vFile:pwrite packet."""
    out = bytearray()
    it = iter(data)
    for b in it:
        out.append(next(it, 0) ^ 0x20 if b == 0x7D else b)
    return bytes(out)


class Connection:
    """One gdb connection: a reader thread filling a queue, and a sending side."""

    def __init__(self, sock: socket.socket, on_interrupt, on_activity=None):
        self.sock = sock
        self.on_interrupt = on_interrupt      # called from the reader thread
        self.on_activity = on_activity        # the same, for every packet (wakes the idle loop)
        self.packets = queue.Queue()
        self.ack_mode = True
        self.closed = False
        self.bad_packets = 0
        self._last_sent = b""
        self._send_lock = threading.Lock()
        log = os.environ.get("GLASSKERNEL_GDB_LOG")    # every packet, for debugging the stub
        self.log = open(log, "a", buffering=1, encoding="latin-1") if log else None
        self._thread = threading.Thread(target=self._read_loop, name="gdb-reader", daemon=True)
        self._thread.start()           # (on_activity may be set right after: read late)

    # ----- receiving (the reader thread) -----------------------------------------------------

    def _read_loop(self) -> None:
        """The reader thread: bytes to packets until the connection ends."""
        parser = _Parser(self)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                parser.feed(data)
        except OSError:
            pass
        self.closed = True
        self.packets.put(None)
        if self.on_activity is not None:
            self.on_activity()

    def _received(self, payload: bytes, good: bool) -> None:
        """A complete packet: ack and queue it, or ask for it again."""
        if self.log is not None:
            self.log.write(f"<- {payload[:200].decode('latin-1')!r}{'' if good else ' (bad checksum)'}\n")
        if not good:
            self.bad_packets += 1
            if self.ack_mode:
                self._raw_send(b"-")         # gdb sends it again
            return
        if self.ack_mode:
            self._raw_send(b"+")
        self.packets.put(payload)
        if self.on_activity is not None:
            self.on_activity()

    def get(self, timeout=None):
        """The next packet's payload (bytes), None once the connection is gone, or
        raises queue.Empty after timeout seconds."""
        return self.packets.get(timeout=timeout)

    # ----- sending ------------------------------------------------------------------------

    def send(self, payload) -> None:
        """Send one packet (str or bytes; binary data must be escaped by the caller)."""
        if isinstance(payload, str):
            payload = payload.encode("latin-1")
        frame = b"$" + payload + b"#" + b"%02x" % checksum(payload)
        if self.log is not None:
            self.log.write(f"-> {payload[:200].decode('latin-1')!r}\n")
        self._last_sent = frame
        self._raw_send(frame)

    def resend(self) -> None:
        """Send the last packet again (gdb answered -)."""
        if self._last_sent:
            self._raw_send(self._last_sent)

    def _raw_send(self, data: bytes) -> None:
        """Send bytes (from either thread)."""
        with self._send_lock:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def close(self) -> None:
        """End the connection (the reader sees EOF)."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class _Parser:
    """Bytes in, packets out: the framing state machine of the reader thread."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.state = "idle"
        self.body = bytearray()
        self.sum_text = bytearray()

    def feed(self, data: bytes) -> None:
        """Run bytes through the framing state machine."""
        for b in data:
            if self.state == "idle":
                self._idle_byte(b)
            elif self.state == "body":
                if b == ord("#"):
                    self.state = "sum"
                elif len(self.body) >= MAX_PACKET:
                    self.state = "idle"
                    self.conn._received(b"", False)
                else:
                    self.body.append(b)
            else:
                self.sum_text.append(b)
                if len(self.sum_text) == 2:
                    self._complete()

    def _idle_byte(self, b: int) -> None:
        """A byte between packets: $, 0x03, - or noise."""
        if b == ord("$"):
            self.state = "body"
            self.body = bytearray()
            self.sum_text = bytearray()
        elif b == INTERRUPT:
            if self.conn.log is not None:
                self.conn.log.write("<- 0x03\n")
            self.conn.on_interrupt()
        elif b == ord("-"):
            self.conn.resend()
        # '+' and noise between packets are ignored

    def _complete(self) -> None:
        """The checksum has arrived: hand the packet over."""
        self.state = "idle"
        body = bytes(self.body)
        try:
            good = int(self.sum_text.decode("ascii"), 16) == checksum(body)
        except ValueError:
            good = False
        self.conn._received(body, good)


def unix_cleanup(address: tuple) -> None:
    """Remove the unix socket file we created."""
    if address[0] == "unix":
        try:
            os.unlink(address[1])
        except OSError:
            pass

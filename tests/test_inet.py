"""AF_INET and AF_INET6 over the loopback (net/ipv4, net/ipv6), NETLINK_ROUTE and network
namespaces, differential against the host kernel: TCP echo over 127.0.0.1 and ::1 between
forked processes, UDP boundaries and truncation, the socket/bind/connect errno matrix,
nonblocking connect with poll and SO_ERROR, SIGPIPE/EPIPE, resets and shutdown, a
CLONE_NEWNET child's own lo, a dynamic python3 server and client, and ip(8)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import differential, run_glasskernel


def test_inet_tcp_echo_and_udp(build, toolchain, tmp_path):
    exe = build("inet_echo", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"v6 client after shutdown: recv 0, total 27" in native[0]
    assert b"v4 udp recvmsg 5 'first' flags trunc 1 namelen 16 family 2" in native[0]
    assert b"v6 udp then recv -1 Connection refused" in native[0]


def test_inet_errno_matrix_nonblocking_connect_sigpipe(build, toolchain, tmp_path):
    exe = build("inet_errors", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    out = native[0]
    assert b"socket(2, 0x3, 0)                        -1 Protocol not supported" in out
    assert b"bind non-local                           -1 " in out
    assert b"connect refused                          -1 Connection refused" in out
    assert b"refused: revents 0x1c SO_ERROR Connection refused" in out
    assert b"send again                               -1 Broken pipe\nsigpipes 1" in out
    assert b"recv after reset                         -1 Connection reset by peer" in out


def test_inet_new_net_namespace(build, toolchain, tmp_path):
    exe = build("inet_netns", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"child connect 127.0.0.1          -1 Network" in native[0]
    assert b"child got 'netns'" in native[0]


def test_inet_only_lo_is_reachable(build, toolchain, tmp_path):
    """The guest's machine has lo only: any other destination is ENETUNREACH, whatever
    the host's network (no guest socket ever reaches it)."""
    src = tmp_path / "unreach.py"
    src.write_text(
        "import errno, socket\n"
        "for fam, addr in ((socket.AF_INET, ('10.1.2.3', 80)), (socket.AF_INET6, ('2001:db8::1', 80))):\n"
        "    for typ in (socket.SOCK_STREAM, socket.SOCK_DGRAM):\n"
        "        s = socket.socket(fam, typ)\n"
        "        try:\n"
        "            s.connect(addr) if typ == socket.SOCK_STREAM else s.sendto(b'x', addr)\n"
        "            print('reached', fam, typ)\n"
        "        except OSError as e:\n"
        "            print(fam, typ, errno.errorcode[e.errno])\n")
    out, err, _status = run_glasskernel(["/usr/bin/python3", str(src)], cwd=tmp_path)
    assert out.count(b"ENETUNREACH") == 4, out + err


PYTHON_INET = '''
import os, socket, selectors

def serve(srv):
    conn, peer = srv.accept()
    with conn:
        data = b""
        while not data.endswith(b"\\n"):
            data += conn.recv(100)
        conn.sendall(data.upper())

for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, 0))
    srv.listen()
    port = srv.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        serve(srv)
        os._exit(0)
    srv.close()
    with socket.create_connection((host, port)) as c:
        c.sendall(b"hello over loopback\\n")
        print(fam.name, c.makefile("rb").readline())
    print("server", os.waitpid(pid, 0)[1])

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v.sendto(b"datagram", u.getsockname())
sel = selectors.DefaultSelector()
sel.register(u, selectors.EVENT_READ)
print("ready", len(sel.select(5)))
data, addr = u.recvfrom(100)
print(data, addr == ("127.0.0.1", v.getsockname()[1]))
'''


@pytest.mark.timeout(600)
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no /usr/bin/python3")
def test_python_inet_sockets(tmp_path):
    """Debian's dynamic python3: a forked TCP server and client on 127.0.0.1 and ::1
    (socket.create_connection resolves through getaddrinfo), then UDP with epoll."""
    (tmp_path / "s.py").write_text(PYTHON_INET)
    native, _ = differential(["/usr/bin/python3", "s.py"], cwd=tmp_path)
    assert b"AF_INET6 b'HELLO OVER LOOPBACK\\n'" in native[0]
    assert b"b'datagram' True" in native[0]


@pytest.mark.timeout(300)
@pytest.mark.skipif(not shutil.which("ip"), reason="no iproute2")
def test_ip_link_and_addr(tmp_path):
    """iproute2 over NETLINK_ROUTE: the guest's lo, and `ip link set lo up`."""
    ip = shutil.which("ip")
    out, err, status = run_glasskernel([ip, "link", "set", "lo", "up"], cwd=tmp_path)
    assert status == 0, err
    out, err, status = run_glasskernel([ip, "link", "show"], cwd=tmp_path)
    assert out.startswith(b"1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536"), out + err
    assert out.count(b": <") == 1                     # lo is the only interface
    out, err, status = run_glasskernel([ip, "addr", "show", "dev", "lo"], cwd=tmp_path)
    assert b"inet 127.0.0.1/8 scope host lo" in out, out + err
    assert b"inet6 ::1/128 scope host" in out
    out, err, status = run_glasskernel([ip, "link", "set", "nosuchdev", "up"], cwd=tmp_path)
    assert status != 0 and b"Cannot find device" in err, err


PROC_NET = '''
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
port = s.getsockname()[1]
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 0))
tcp = open("/proc/net/tcp").read().splitlines()
print("listener", any(f"0100007F:{port:04X} 00000000:0000 0A" in l for l in tcp[1:]))
print("udp6", any(f"{'0' * 24}01000000:{u.getsockname()[1]:04X}" in l
                  for l in open("/proc/net/udp6").read().splitlines()[1:]))
print("devs", [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]])
print(open("/proc/net/if_inet6").read().split())
'''


@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no /usr/bin/python3")
def test_proc_net(tmp_path):
    """/proc/net of the guest's namespace: its sockets and lo alone."""
    (tmp_path / "p.py").write_text(PROC_NET)
    out, err, status = run_glasskernel(["/usr/bin/python3", "p.py"], cwd=tmp_path)
    assert out == (b"listener True\nudp6 True\ndevs ['lo']\n"
                   b"['00000000000000000000000000000001', '01', '80', '10', '80', 'lo']\n"), \
        out + err


PYTHON_HTTP = r"""import asyncio, threading, urllib.request, http.server, socketserver, os
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
srv = socketserver.TCPServer(("127.0.0.1", 0), H)
t = threading.Thread(target=srv.serve_forever, daemon=True); t.start()
port = srv.server_address[1]
with urllib.request.urlopen(f"http://localhost:{port}/") as r:
    print("http", r.status, len(r.read()) > 0)
srv.shutdown()

async def main():
    async def handle(reader, writer):
        data = await reader.readline()
        writer.write(data[::-1]); await writer.drain(); writer.close()
    server = await asyncio.start_server(handle, "::1", 0)
    port = server.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("::1", port)
    w.write(b"abc\n"); await w.drain()
    print("asyncio", await r.read())
    w.close(); server.close(); await server.wait_closed()
asyncio.run(main())
"""


@pytest.mark.timeout(600)
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no /usr/bin/python3")
def test_python_http_server_and_asyncio(tmp_path):
    """Real programs: http.server in a thread fetched by urllib through "localhost"
    (getaddrinfo, ::1 refused, then 127.0.0.1), and an asyncio server/client on ::1."""
    (tmp_path / "index.html").write_text("hello")
    (tmp_path / "web.py").write_text(PYTHON_HTTP)
    native, _ = differential(["/usr/bin/python3", "web.py"], cwd=tmp_path)
    assert native[0] == b"http 200 True\nasyncio b'\\ncba'\n"


@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no /usr/bin/python3")
def test_guest_ports_are_not_the_hosts(tmp_path):
    """A host listener is invisible to the guest (connect is refused) and its port is
    free there; the guest's own listener on that port is not reachable from the host."""
    import socket
    host = socket.socket()
    host.bind(("127.0.0.1", 0))
    host.listen()
    port = host.getsockname()[1]
    script = (
        "import socket, errno\n"
        "c = socket.socket()\n"
        f"print('connect', errno.errorcode.get(c.connect_ex(('127.0.0.1', {port})), 0))\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen()\n"
        "c = socket.socket(); c.connect(s.getsockname()); print('own listener ok')\n")
    try:
        out, err, status = run_glasskernel(["/usr/bin/python3", "-c", script], cwd=tmp_path)
        host.settimeout(0)
        with pytest.raises(BlockingIOError):
            host.accept()                                # nothing came to the host's
    finally:
        host.close()
    assert out == b"connect ECONNREFUSED\nown listener ok\n", out + err


SYSCTL_SCRIPT = """cd /proc/sys/net/ipv4
echo "500 2000" > ip_local_port_range; echo "rc $?"
echo "40000 40001" > ip_local_port_range; echo "rc $?"; cat ip_local_port_range
echo 50000 > ip_unprivileged_port_start; echo "rc $?"
echo 900 > ip_unprivileged_port_start; echo "rc $?"; cat ip_unprivileged_port_start
/usr/bin/python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print("ephemeral", s.getsockname()[1] in (40000, 40001))
s = socket.socket(); s.bind(("127.0.0.1", 950)); print("port 950 as root ok")'
"""


@pytest.mark.timeout(300)
@pytest.mark.skipif(not shutil.which("unshare") or not Path("/usr/bin/python3").exists(),
                    reason="needs unshare(1) and python3")
def test_net_sysctls(tmp_path):
    """ip_local_port_range and ip_unprivileged_port_start: their mutual limits, and the
    ephemeral ports follow the range (natively in a fresh namespace, `unshare -n`)."""
    (tmp_path / "s.sh").write_text(SYSCTL_SCRIPT)
    native, _ = differential(["unshare", "-n", "/bin/sh", "s.sh"],
                             guest_argv=["/bin/sh", "s.sh"], cwd=tmp_path)
    assert b"ephemeral True" in native[0]

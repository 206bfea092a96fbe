"""AF_UNIX sockets (net/unix/af_unix.c), differential against the host kernel:
socketpairs of each type between processes, a listening socket with forked clients,
path and abstract names with their errors, and ancillary data (SCM_RIGHTS,
SCM_CREDENTIALS) with the SOL_SOCKET options."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import differential


def test_unix_socketpairs(build, toolchain, tmp_path):
    exe = build("unix_pair", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"stream ping-pong: sum 784, child status 0" in native[0]
    assert b"seqpacket: recv 2 -> 3 [on]" in native[0]


def test_unix_listen_connect_and_names(build, toolchain, tmp_path):
    exe = build("unix_listen", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"all seen 1" in native[0]
    assert b"(Connection refused)" in native[0]
    assert not list(tmp_path.iterdir())         # the guest's socket files stay in the sandbox


def test_unix_ancillary_data_and_options(build, toolchain, tmp_path):
    exe = build("unix_scm", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"pipe read 13 [via passed fd], child 0" in native[0]
    assert b"in-flight write end released: read 0" in native[0]


def test_unix_bad_arguments(build, toolchain, tmp_path):
    exe = build("unix_badinput", toolchain)
    native, guest = differential([exe], cwd=tmp_path)
    assert b"sendmsg iovlen 2000" in native[0]


PYTHON_SOCKETS = '''
import multiprocessing as mp, os, socket
from multiprocessing.connection import Client, Listener


def square(x):
    return x * x


def client(addr):
    with Client(addr, family="AF_UNIX") as c:
        c.send([1, 2, 3])
        print("client got", c.recv(), flush=True)


if __name__ == "__main__":
    a, b = socket.socketpair()
    a.sendall(b"hi")
    print(b.recv(10))
    r, w = os.pipe()
    socket.send_fds(a, [b"x"], [w])
    msg, fds, flags, addr = socket.recv_fds(b, 10, 4)
    os.write(fds[0], b"through a passed fd")
    print(os.read(r, 32))
    addr = os.path.join(os.getcwd(), "mp.sock")
    with Listener(addr, family="AF_UNIX") as listener:
        proc = mp.Process(target=client, args=(addr,))
        proc.start()
        with listener.accept() as c:
            c.send(sum(c.recv()))
        proc.join()
    with mp.get_context("forkserver").Pool(2) as pool:    # fds passed with SCM_RIGHTS
        print("forkserver pool", pool.map(square, range(4)))
'''


@pytest.mark.timeout(600)
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no /usr/bin/python3")
def test_python_unix_sockets(tmp_path):
    """Debian's dynamic python3: socketpair, send_fds/recv_fds, a multiprocessing
    Listener on a path, and a forkserver Pool (which passes fds over AF_UNIX)."""
    (tmp_path / "s.py").write_text(PYTHON_SOCKETS)
    native, _ = differential(["/usr/bin/python3", "s.py"], cwd=tmp_path)
    assert b"forkserver pool [0, 1, 4, 9]" in native[0]

"""AF_UNIX sockets (net/unix/af_unix.c), differential against the host kernel:
socketpairs of each type between processes, a listening socket with forked clients,
path and abstract names with their errors, and ancillary data (SCM_RIGHTS,
SCM_CREDENTIALS) with the SOL_SOCKET options."""

from __future__ import annotations

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

"""Socket calls on descriptors that are not sockets (bash asks getpeername(0) at start-up)
and socket()'s argument checks: the same errno, in the same order, as Linux."""

from __future__ import annotations

from harness import differential


def test_socket_calls_on_non_sockets(build, toolchain):
    exe = build("socket_calls", toolchain)
    native, guest = differential([exe])
    assert b"getpeername(file)" in native[0]
    assert b"not implemented" not in guest[1]

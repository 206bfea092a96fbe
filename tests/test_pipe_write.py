"""Pipe writes larger than the pipe's capacity block part-way and must still deliver
every byte exactly once (a write that starts in the emulator hook and has to sleep is
moved to the slow path before it copies anything). Found by the shell corpus:
``head -c 1048576 /dev/zero | cat | cat | wc -c`` counted 1171456 bytes.
"""

from __future__ import annotations

from harness import differential


def test_big_pipe_writes(build, toolchain, tmp_path):
    exe = build("pipe_bigwrite", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"reader: 2300000 bytes" in native[0]


def test_pipe_capacity_and_atomic_writes(build, toolchain, tmp_path):
    """Linux's pipe is a ring of page slots: 1000-byte writes fill 64000 bytes, a PIPE_BUF
    write needs a free slot, F_SETPIPE_SZ rounds to a power of two pages and refuses to
    drop used slots, and two writers' PIPE_BUF records never interleave."""
    exe = build("pipe_atomic", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"filled with 1000-byte writes: 64000 bytes" in native[0]
    assert b"0 torn" in native[0]


def test_packet_mode_pipe(build, toolchain):
    """pipe2(O_DIRECT): one packet per read, the rest of a packet dropped (LTP pipe2_01)."""
    exe = build("pipe_packet", toolchain)
    native, _ = differential([exe])
    assert b"read1 5 hello\nread2 3 wor\n" in native[0]


def test_pipe_max_size_needs_cap_sys_resource(build, toolchain):
    """Growing a pipe past pipe-max-size takes CAP_SYS_RESOURCE alone (LTP fcntl37)."""
    differential([build("pipe_max_size", toolchain)])

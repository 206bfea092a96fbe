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

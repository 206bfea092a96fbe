"""mknod/mknodat and named pipes: node types and errors, the FIFO open rules, data flow,
and a blocking open that waits for a partner in another process (fifo_open)."""

from __future__ import annotations

from harness import differential


def test_fifo_ops(build, toolchain, tmp_path):
    exe = build("fifo_ops", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"got [hello through f2]" in native[0]
    assert not list(tmp_path.iterdir())        # the program cleans up after itself

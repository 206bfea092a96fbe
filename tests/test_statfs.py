"""statfs/fstatfs: procfs and pipefs report what Linux's do, the errors come in Linux's
order (bash's here-documents ask statfs("/tmp") before making their temporary file)."""

from __future__ import annotations

from harness import differential


def test_statfs_calls(build, toolchain):
    exe = build("statfs_calls", toolchain)
    native, guest = differential([exe])
    assert b"type 0x9fa0" in native[0]
    assert b"not implemented" not in guest[1]

"""Issue 18's typed structures: behaviour that hung on a field of signal_struct, checked
against the real kernel (differential runs of tests/programs/typed_*.c)."""

from __future__ import annotations

from harness import differential


def test_subreaper_set_after_fork(build, toolchain):
    """PR_SET_CHILD_SUBREAPER marks the descendants that already exist (has_child_subreaper,
    walked down every thread's children), so their orphans still come to the subreaper;
    those forked later inherit the mark at fork."""
    native, _ = differential([build("typed_subreaper_late", toolchain)])
    assert native[0].count(b"reaped the orphan, exit 5") == 3
    assert b"is us: N" not in native[0]

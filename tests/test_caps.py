"""Capabilities (kernel/capability.py, security/commoncap.py): differential tests.

caps_basic.c exercises capget/capset (all three header versions, the version probe, the
pid rules), the bounding and ambient sets, keepcaps and securebits, the transitions of
set*uid, setfsuid and execve, and privilege checks that follow capabilities rather than
uid 0 (kill, setpriority, chown, chmod, DAC overrides, access(), clone of namespaces).
It prints /proc/self/status's Cap lines after each step, so any difference in a set
shows up in the comparison. It changes uids, so it runs as root only.
"""
from __future__ import annotations

import os

import pytest

from test_programs import differential_as_other_user

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switches uids: needs root")


def test_caps_basic(build, toolchain):
    exe = build("caps_basic", toolchain)
    native = differential_as_other_user(exe)
    assert b"capget probe NULL = 0" in native[0]
    assert b"[uid 1000 with ambient]" in native[0]

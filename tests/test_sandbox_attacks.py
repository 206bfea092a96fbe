"""The sandbox under attack (issue 16): a guest that swaps names under its open
descriptors, plants symlinks to host files, reads other runs' layers, or outlives a
``kill -9`` of glasskernel must never change or read the host outside its root.

Each attack program runs natively (where Linux's semantics make every attack reach the
guest's own objects) and under glasskernel, with ``--root`` and with the default root;
the outputs must match and the host tree must be byte-for-byte unchanged (mode, owner,
size, times, content).
"""

from __future__ import annotations

import os
import signal
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import harness
from harness import differential, run_glasskernel, run_native
from test_sandbox import assert_unchanged, snapshot


def make_victims(top: Path) -> tuple[Path, Path]:
    """A host file and a host directory (with "secret" and a "prog" script) to attack."""
    victim = top / "victim"
    victim.write_text("HOST-SECRET\n")
    os.chmod(victim, 0o644)
    vdir = top / "victimdir"
    vdir.mkdir()
    (vdir / "secret").write_text("host-dir-secret\n")
    (vdir / "prog").write_text("#!/bin/sh\necho HOST PROGRAM RAN\n")
    os.chmod(vdir / "prog", 0o755)
    return victim, vdir


def native_attack(exe: Path, victim: Path, vdir: Path) -> tuple:
    scratch = Path(tempfile.mkdtemp(prefix="gk-attack-native-"))
    try:
        return run_native([exe, scratch, victim, vdir])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_stale_fd_attacks_with_root(build, toolchain, tmp_path):
    """--root: the symlinks point at host paths outside the root."""
    exe = build("stale_fd_attack", toolchain)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim, vdir = make_victims(outside)
    root = tmp_path / "root"
    (root / "tmp" / "s").mkdir(parents=True)
    shutil.copy2(exe, root / "attack")
    before, root_before = snapshot(outside), snapshot(root)
    native = native_attack(exe, victim, vdir)
    ours = run_glasskernel(["/attack", "/tmp/s", victim, vdir], extra_opts=["--root", root])
    harness.compare(native, ours, label="stale_fd_attack --root")
    assert_unchanged(before, snapshot(outside))
    assert_unchanged(root_before, snapshot(root))
    assert b"HOST" not in ours[0] and b"host-dir-secret" not in ours[0]


def test_stale_fd_attacks_default_root(build, toolchain, tmp_path):
    """The default root: the symlinks point at host files the guest can see read-only."""
    exe = build("stale_fd_attack", toolchain)
    victim, vdir = make_victims(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    before = snapshot(tmp_path)
    native = native_attack(exe, victim, vdir)
    ours = run_glasskernel([exe, scratch, victim, vdir])
    harness.compare(native, ours, label="stale_fd_attack")
    assert_unchanged(before, snapshot(tmp_path))
    assert b"HOST" not in ours[0] and b"host-dir-secret" not in ours[0]

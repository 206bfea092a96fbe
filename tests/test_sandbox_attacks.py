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
import stat
import signal
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

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


# --------------------------------------------------------------------------
# The writable layer: renames, holes, depth, quota
# --------------------------------------------------------------------------

def test_rename_exchange_keeps_guest_files(build, tmp_path):
    """RENAME_EXCHANGE swaps atomically; it once went through a fixed name in the
    guest's root, deleting a guest file called /.glasskernel-exchange."""
    exe = build("layer_ops", "glibc")
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    native = run_native([exe, "exchange", native_dir])
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy2(exe, root / "layer_ops")
    ours = run_glasskernel(["/layer_ops", "exchange", "/"], extra_opts=["--root", root])
    harness.compare(native, ours, label="layer_ops exchange")
    assert b".glasskernel-exchange        : keep me" in ours[0]


def test_sparse_files_stay_sparse_on_copy_up(build, tmp_path):
    """One byte written into a big sparse host file copies up its data, not its holes."""
    exe = build("layer_ops", "glibc")
    (tmp_path / "host").mkdir()
    host = tmp_path / "host" / "sparse"
    copy = tmp_path / "native-copy"
    for path in (host, copy):
        with open(path, "wb") as f:
            f.truncate(256 << 20)
    before = snapshot(tmp_path / "host")
    native = run_native([exe, "sparse", copy])
    ours = run_glasskernel([exe, "sparse", host])
    harness.compare(native, ours, label="layer_ops sparse")
    assert b"still sparse" in ours[0]
    assert_unchanged(before, snapshot(tmp_path / "host"))


def test_deep_paths(build, toolchain, tmp_path):
    """24 nested 250-byte names: the layer's host path passes PATH_MAX, Linux's does not
    matter (it walks one component at a time), and neither may ours."""
    exe = build("layer_ops", toolchain)
    (tmp_path / "n").mkdir()
    (tmp_path / "g").mkdir()
    native = run_native([exe, "deep", tmp_path / "n"])
    ours = run_glasskernel([exe, "deep", tmp_path / "g"])
    harness.compare(native, ours, label="layer_ops deep")
    assert b"depth reached                : 24 (ok)" in ours[0]


def test_disk_quota_gives_enospc(build, tmp_path):
    """--disk-quota bounds the private layer: writes past it fail with ENOSPC, and space
    comes back when the file goes."""
    exe = build("layer_ops", "glibc")
    out, err, rc = run_glasskernel([exe, "fill", tmp_path, "3"], extra_opts=["--disk-quota", "1M"])
    harness.assert_no_traceback(err)
    text = out.decode()
    assert "write failed after 1048576 bytes: No space left on device" in text, text
    assert "write after unlink           = 65536" in text, text
    assert rc == 0
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# Other runs' layers, and runs killed with SIGKILL
# --------------------------------------------------------------------------

LAYERS = Path(tempfile.gettempdir()) / f"glasskernel-{os.geteuid()}"


def start_sleeper(marker: str) -> subprocess.Popen:
    """A run that writes MARKER into its layer, says so, and sleeps."""
    script = f"echo {marker} > /tmp/{marker}; echo ready; exec /bin/busybox sleep 60"
    return subprocess.Popen(harness.glasskernel_command(["/bin/busybox", "sh", "-c", script]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(harness.TEST_ENV))


def layer_holding(marker: str) -> Path:
    hits = [p for p in LAYERS.glob(f"run-*/tmp/{marker}")]
    assert len(hits) == 1, hits
    return hits[0].parent.parent


def test_other_runs_layer_is_hidden(tmp_path):
    """A second run sees neither the layers' directory nor another run's files."""
    marker = f"gk-marker-{os.getpid()}"
    sleeper = start_sleeper(marker)
    try:
        assert sleeper.stdout.readline() == b"ready\n"
        layer = layer_holding(marker)
        probe = (f"ls {LAYERS}; cat {layer}/tmp/{marker}; ls {layer}; "
                 f"cd /tmp && ls -a | grep -c glasskernel-{os.geteuid()}")
        out, err, rc = run_glasskernel(["/bin/busybox", "sh", "-c", probe])
        harness.assert_no_traceback(err)
        assert marker.encode() not in out
        assert out.strip().endswith(b"0"), out
        assert err.count(b"No such file or directory") == 3, err
    finally:
        sleeper.kill()
        sleeper.wait()


def test_layer_of_killed_run_is_removed_at_next_start():
    """kill -9 leaves a layer behind; the next run to start removes it."""
    marker = f"gk-killed-{os.getpid()}"
    sleeper = start_sleeper(marker)
    try:
        assert sleeper.stdout.readline() == b"ready\n"
        layer = layer_holding(marker)
        os.kill(sleeper.pid, signal.SIGKILL)
        sleeper.wait()
        assert layer.exists()
        _, err, rc = run_glasskernel(["/bin/busybox", "true"])
        assert rc == 0, err
        assert not layer.exists()
        assert not Path(str(layer) + ".lock").exists()
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()


def test_two_runs_sweeping_one_dead_layer(tmp_path, monkeypatch):
    """Two runs starting at once may both find a dead run's lock free: the one that
    unlinks it second must carry on (it once died with FileNotFoundError, which ended a
    batch worker without a result)."""
    from glasskernel.fs.overlayfs import workdir
    dead = tmp_path / "run-dead"
    dead.mkdir()
    lock = tmp_path / "run-dead.lock"
    lock.write_bytes(b"")
    real_rmtree = workdir._rmtree

    def other_sweeper_finishes_first(path):
        real_rmtree(path)
        if lock.exists():
            lock.unlink()               # the other run's unlink, between our flock and ours
    monkeypatch.setattr(workdir, "_rmtree", other_sweeper_finishes_first)
    workdir.remove_stale(str(tmp_path))
    assert not dead.exists() and not lock.exists()


def test_proc_mounts_lists_the_sandbox_mounts():
    """/proc/mounts (a link to self/mounts) shows the guest's mounts, as LTP's
    tst_path_has_mnt_flags and df read it; never the host's."""
    out, err, rc = run_glasskernel(["/bin/busybox", "sh", "-c",
                                    "readlink /proc/mounts; cat /proc/mounts; cat /proc/1/mounts"])
    harness.assert_no_traceback(err)
    lines = out.decode().splitlines()
    assert lines[0] == "self/mounts"
    assert lines[1:5] == ["overlay / overlay rw,relatime 0 0",
                          "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
                          "devtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0",
                          "devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,"
                          "ptmxmode=000 0 0"]
    assert lines[5:] == lines[1:5]


def test_attribute_changes_of_host_directories_show(tmp_path):
    """chmod, chown and touch of a directory the host already has (a merged directory)
    show in stat, as natively; they were lost behind the lower directory's attributes."""
    script = ("cd \"$1\" && chmod 700 sub && stat -c '%a %u:%g' sub && touch sub/new && "
              "chown 12:13 sub && stat -c '%a %u:%g' sub && touch -d @1000 sub && "
              "stat -c '%Y' sub && ls sub")
    for name in ("host", "native"):
        (tmp_path / name / "sub").mkdir(parents=True)
        os.chmod(tmp_path / name / "sub", 0o755)
    before = snapshot(tmp_path / "host")
    argv = ["/bin/busybox", "sh", "-c", script, "sh"]
    native = run_native([*argv, tmp_path / "native"])
    ours = run_glasskernel([*argv, tmp_path / "host"])
    harness.compare(native, ours, label="merged directory attributes")
    assert_unchanged(before, snapshot(tmp_path / "host"))


def test_host_device_nodes_open_our_drivers(build, tmp_path):
    """Device nodes in the host tree under --root are numbers for our drivers: c 1 3 opens
    our /dev/null, a disk's b 8 0 is ENXIO (no such driver), and chmod copies the node up
    as a node, leaving the host's untouched. The host's devices are never opened."""
    if os.geteuid() != 0:
        pytest.skip("making device nodes needs root")
    exe = build("devnode_probe", "glibc")
    root = tmp_path / "root"
    (root / "devs").mkdir(parents=True)
    shutil.copy2(exe, root / "probe")
    os.mknod(root / "devs" / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(root / "devs" / "sda", 0o660 | stat.S_IFBLK, os.makedev(8, 0))
    before = snapshot(root)
    out, err, code = run_glasskernel(["/probe", "/devs/null", "/devs/sda"], extra_opts=["--root", root])
    harness.assert_no_traceback(err)
    assert code == 0, err
    assert out.decode() == ("/devs/null: read 0\n/devs/sda: open: No such device or address\n"
                            "chmod: 0\n/devs/null: chr 1 1:3 mode 600\n")
    assert_unchanged(before, snapshot(root))

"""Acceptance 3: the guest cannot change the host's files or read outside its
root, yet sees its own changes.

* ``--root DIR``: DIR is the guest's "/"; it is used read-only with a private
  writable layer, so after the run DIR is byte-for-byte unchanged.
* default root: the host's "/" read-only with a private writable layer.
* Path walking never leaves the root: "..", absolute and relative symlinks,
  /proc/self/root and /proc/self/cwd, openat on a root fd, chdir("..").

Assumption (DESIGN.md §5): the writable layer is private to one
``glasskernel run``; a second run sees the original files again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
from pathlib import Path

import pytest

import harness
from harness import run_glasskernel, run_native


def snapshot(top: Path) -> dict:
    """Everything about a tree that a write could change: for each path its
    type, mode, uid/gid, size, mtime, content hash or symlink target."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        for name in sorted(dirnames + filenames) + ["."]:
            p = Path(dirpath) / name if name != "." else Path(dirpath)
            st = os.lstat(p)
            entry = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                     st.st_size, st.st_mtime_ns, st.st_nlink)
            if stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(p),)
            elif stat.S_ISREG(st.st_mode):
                entry += (hashlib.sha256(p.read_bytes()).hexdigest(),)
            elif stat.S_ISDIR(st.st_mode):
                entry += (tuple(sorted(os.listdir(p))),)
            result[str(p.relative_to(top))] = entry
    return result


def assert_unchanged(before: dict, after: dict) -> None:
    if before == after:
        return
    lines = []
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            lines.append(f"  {k}: before={before.get(k)} after={after.get(k)}")
    raise AssertionError("host tree changed by the guest:\n" + "\n".join(lines[:40]))


def make_data_dir(d: Path) -> None:
    """The input sandbox_ops expects."""
    (d / "sub").mkdir(parents=True)
    (d / "existing.txt").write_text("I exist and will be deleted\n")
    (d / "modify.txt").write_text("original line\n")
    (d / "sub" / "inner.txt").write_text("inner file content\n")
    os.chmod(d / "modify.txt", 0o644)


def native_reference(exe: Path, tmp_path: Path) -> bytes:
    """sandbox_ops's output on the real kernel, on a throwaway copy."""
    ref = tmp_path / "native-copy"
    make_data_dir(ref)
    out, err, rc = run_native([exe, ref])
    assert rc == 0, err
    return out


def check_sandbox_output(out: bytes) -> None:
    """The guest saw its own changes."""
    text = out.decode(errors="replace")
    for expected in [
        "cat renamed.txt (17 bytes): written by guest",
        "cat new.txt: No such file or directory",
        "cat existing.txt: No such file or directory",
        "cat sub/inner.txt (4 bytes): inne",
        "cat kept/file.txt (11 bytes): in new dir",
        "mode modify.txt: 600 size 28",
        "ls .: kept modify.txt renamed.txt sub",
    ]:
        assert expected in text, f"missing {expected!r} in guest output:\n{text}"


def make_root(tmp_path: Path, programs: dict[str, Path]) -> Path:
    """A small guest root: /bin/<programs>, /data, /etc/hostname, /tmp."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    for name, exe in programs.items():
        shutil.copy2(exe, root / "bin" / name)
        os.chmod(root / "bin" / name, 0o755)
    make_data_dir(root / "data")
    (root / "etc").mkdir()
    (root / "etc" / "hostname").write_text("guest-root-hostname\n")
    (root / "tmp").mkdir()
    os.chmod(root / "tmp", 0o1777)
    return root


def test_sandbox_ops_with_root(build, toolchain, tmp_path):
    exe = build("sandbox_ops", toolchain)
    root = make_root(tmp_path, {"sandbox_ops": exe})
    expected = native_reference(exe, tmp_path)
    before = snapshot(root)

    out, err, rc = run_glasskernel(["/bin/sandbox_ops", "/data"], extra_opts=["--root", root],
                                   cwd=tmp_path)
    harness.assert_no_traceback(err)
    assert rc == 0, err.decode(errors="replace")
    harness.compare((expected, b"", 0), (out, err, rc), label="sandbox_ops --root")
    check_sandbox_output(out)
    assert_unchanged(before, snapshot(root))


def test_sandbox_ops_default_root(build, toolchain, tmp_path):
    exe = build("sandbox_ops", toolchain)
    host_dir = tmp_path / "hostdata"
    make_data_dir(host_dir)
    expected = native_reference(exe, tmp_path)
    before = snapshot(host_dir)

    out, err, rc = run_glasskernel([exe, host_dir])
    harness.assert_no_traceback(err)
    assert rc == 0, err.decode(errors="replace")
    harness.compare((expected, b"", 0), (out, err, rc), label="sandbox_ops default root")
    check_sandbox_output(out)
    assert_unchanged(before, snapshot(host_dir))


def test_writable_layer_is_private_to_a_run(build, tmp_path):
    """Two runs on the same directory: the second starts from the host's
    files again, so it prints exactly what the first did."""
    exe = build("sandbox_ops", "musl")
    host_dir = tmp_path / "hostdata"
    make_data_dir(host_dir)
    first = run_glasskernel([exe, host_dir])
    second = run_glasskernel([exe, host_dir])
    harness.assert_no_traceback(first[1])
    assert first[2] == 0
    harness.compare(first, second, label="second run")


def test_busybox_cannot_touch_host(tmp_path):
    """rm/touch/mkdir/chmod through the default root leave the host alone."""
    if not Path("/bin/busybox").exists():
        pytest.skip("busybox-static not installed")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    os.chmod(victim, 0o644)
    name = f"glasskernel-test-{uuid.uuid4().hex}"
    before = snapshot(tmp_path)
    for argv in (["chmod", "000", victim], ["cp", victim, f"/usr/{name}"],
                 ["touch", tmp_path / "new-file"], ["mkdir", tmp_path / "new-dir"],
                 ["touch", f"/etc/{name}"], ["rm", "-f", victim]):
        out, err, rc = run_glasskernel(["/bin/busybox", *argv])
        harness.assert_no_traceback(err)
        assert rc == 0, f"busybox {argv}: {rc} {err!r}"
    assert_unchanged(before, snapshot(tmp_path))
    assert not Path(f"/etc/{name}").exists()
    assert not Path(f"/usr/{name}").exists()


def test_escape_root(build, toolchain, tmp_path):
    exe = build("escape", toolchain)
    secret = f"MARKER-{uuid.uuid4().hex}"
    marker = tmp_path / "outside_marker.txt"
    marker.write_text(secret + "\n")

    # Natively, from a copy of the root, the attempts do reach the marker:
    # this shows they test something.
    native_root = tmp_path / "native-root"
    native_root.mkdir()
    n_out, n_err, n_rc = run_native([exe, native_root, marker.name, marker])
    assert n_rc == 0, n_err
    assert secret.encode() in n_out, "escape.c failed to reach the marker natively"

    root = make_root(tmp_path, {"escape": exe})
    before = snapshot(root)
    out, err, rc = run_glasskernel(["/bin/escape", "/", marker.name, str(marker)],
                                   extra_opts=["--root", root], cwd=tmp_path)
    harness.assert_no_traceback(err)
    text = out.decode(errors="replace")
    assert rc == 0, f"status {rc}\n{text}\n{err.decode(errors='replace')}"
    assert secret not in text, f"guest read the marker outside its root:\n{text}"
    assert secret.encode() not in err
    # "../../../../etc/hostname" from "/" is the root's own /etc/hostname.
    assert "ATTEMPT etc-hostname-dotdot: read 20 bytes: guest-root-hostname" in text, text
    assert "cwd after chdir(..) x64: /\n" in text, text
    assert_unchanged(before, snapshot(root))

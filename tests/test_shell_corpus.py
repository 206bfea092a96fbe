"""The real-shell acceptance corpus: every script in tests/shell/ runs under Debian's
static busybox ``sh`` and static ``bash``, natively and under glasskernel, with the same
stdout, stderr and exit status expected.

The host's /bin tools are dynamically linked (glasskernel has no dynamic loader), so the
external commands come from busybox: a directory of symlinks (``seq`` → /bin/busybox …)
is the whole PATH of both runs. ``sh`` is busybox's, so a script's nested ``sh -c`` is the
same program natively and in the guest.

Each run starts in an empty directory at the same path: the native run's files are
removed before the guest run, so a script that creates files sees the same starting state
in both (the guest's writable layer would otherwise show it the native run's files).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import harness

SHELL_DIR = Path(__file__).resolve().parent / "shell"
BUSYBOX = "/bin/busybox"
BASH = "/bin/bash-static"

SHELLS = {
    "busybox": [BUSYBOX, "sh"],
    "bash": [BASH],
}

APPLETS = """
    [ awk basename cat chmod cp cut dd dirname echo env expr false find grep head kill ln ls
    md5sum mkdir mkfifo mv nl od paste printf readlink rev rm rmdir sed seq sh sleep sort
    stat tac tail tar tee test timeout touch tr true uniq wc xargs yes gzip
""".split()

SCRIPTS = sorted(p.name for p in SHELL_DIR.glob("*.sh"))

pytestmark = [
    pytest.mark.skipif(not Path(BUSYBOX).exists(), reason="needs /bin/busybox (busybox-static)"),
    pytest.mark.timeout(300),
]


@pytest.fixture(scope="module")
def applet_bin(tmp_path_factory) -> Path:
    """A directory whose every entry is a symlink to /bin/busybox, named for an applet."""
    bindir = tmp_path_factory.mktemp("busybox-bin")
    for name in APPLETS:
        (bindir / name).symlink_to(BUSYBOX)
    return bindir


def shell_env(bindir: Path) -> dict:
    env = dict(harness.TEST_ENV)
    env["PATH"] = str(bindir)
    return env


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


def differential_fresh_cwd(argv, env, cwd: Path):
    """harness.differential, with CWD emptied again between the native and guest runs."""
    native = harness.run_native(argv, env=env, cwd=fresh_dir(cwd))
    guest = harness.run_glasskernel(argv, env=env, cwd=fresh_dir(cwd))
    harness.assert_no_traceback(guest[1])
    harness.compare(native, guest, label=" ".join(map(str, argv)))
    return native, guest


def test_corpus_is_large_enough():
    assert len(SCRIPTS) >= 40, SCRIPTS


@pytest.mark.parametrize("shell", list(SHELLS))
@pytest.mark.parametrize("script", SCRIPTS)
def test_shell_script(shell, script, applet_bin, tmp_path):
    if not Path(SHELLS[shell][0]).exists():
        pytest.skip(f"needs {SHELLS[shell][0]}")
    argv = [*SHELLS[shell], str(SHELL_DIR / script)]
    native, _ = differential_fresh_cwd(argv, shell_env(applet_bin), tmp_path / "work")
    # A script that printed nothing and failed natively is a broken script, not a test.
    assert native[0], f"{script} printed nothing natively under {shell}: {native!r}"

"""Debian's i386 busybox-static runs the shell corpus (tests/shell/) as natively.

The same scripts and applets as test_shell_corpus.py, with every program the 32-bit
busybox (scripts/fetch-i386-busybox.sh puts it in the test cache): the shell, its
children and the pipelines all run in compatibility mode.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import harness
from test_shell_corpus import APPLETS, SCRIPTS, SHELL_DIR, differential_fresh_cwd, shell_env

BUSYBOX32 = harness.cache_dir() / "i386" / "busybox"

pytestmark = [
    pytest.mark.skipif(not BUSYBOX32.exists(),
                       reason="needs the i386 busybox: run scripts/fetch-i386-busybox.sh"),
    pytest.mark.timeout(300),
]


@pytest.fixture(scope="module")
def applet_bin32(tmp_path_factory) -> Path:
    bindir = tmp_path_factory.mktemp("busybox32-bin")
    for name in APPLETS:
        (bindir / name).symlink_to(BUSYBOX32)
    return bindir


@pytest.mark.parametrize("script", SCRIPTS)
def test_shell_script_i386(script, applet_bin32, tmp_path):
    argv = [str(BUSYBOX32), "sh", str(SHELL_DIR / script)]
    native, _ = differential_fresh_cwd(argv, shell_env(applet_bin32), tmp_path / "work")
    assert native[0], f"{script} printed nothing natively: {native!r}"

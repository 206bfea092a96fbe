"""Shared fixtures for the acceptance tests (tests/test_*.py).

``toolchain`` parametrises a test over the two C libraries we build our test
programs with; ``build(name, toolchain)`` compiles tests/programs/NAME.c
(cached, see harness.py) and skips the test cleanly when that toolchain is
not installed.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

import harness

_usable: dict[str, str | None] = {}


def toolchain_problem(toolchain: str) -> str | None:
    """None if TOOLCHAIN can link a static program, else the reason it can't."""
    if toolchain not in _usable:
        compiler = harness.TOOLCHAINS[toolchain]
        if not harness.compiler_available(toolchain):
            _usable[toolchain] = f"{compiler} not installed (Debian: " + \
                {"musl": "musl-tools", "m32": "gcc-multilib"}.get(toolchain, "gcc, libc6-dev") + ")"
        else:
            with tempfile.TemporaryDirectory() as d:
                src = Path(d) / "t.c"
                src.write_text("int main(void) { return 0; }\n")
                proc = subprocess.run([compiler, "-static", *harness.TOOLCHAIN_FLAGS.get(toolchain, ()),
                                       "-o", str(Path(d) / "t"), str(src)],
                                      capture_output=True, text=True)
            _usable[toolchain] = None if proc.returncode == 0 else \
                f"{compiler} -static cannot link: {proc.stderr.strip()[:200]}"
    return _usable[toolchain]


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running acceptance test")
    # Without pytest-timeout installed, keep its marker from warning.
    if not config.pluginmanager.hasplugin("timeout"):
        config.addinivalue_line("markers", "timeout(seconds): time budget (pytest-timeout)")


@pytest.fixture(params=["musl", "glibc"])
def toolchain(request) -> str:
    """The C library a test program is built against."""
    reason = toolchain_problem(request.param)
    if reason:
        pytest.skip(reason)
    return request.param


@pytest.fixture
def build():
    """build(name, toolchain, defines=()) -> Path of the static binary for
    tests/programs/NAME.c; skips if the toolchain is unusable."""
    def _build(name: str, toolchain: str, defines: tuple = ()) -> Path:
        reason = toolchain_problem(toolchain)
        if reason:
            pytest.skip(reason)
        return harness.build(name, toolchain, defines)
    return _build

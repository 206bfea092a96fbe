"""LTP as the oracle: the process-subsystem list of LTP's syscall tests
(tests/conformance/process.txt) passes under glasskernel wherever it passes natively.

The test builds LTP's tests from the shared tarball (tests/conformance/ltp_build.py: cached
in ~/.cache/glasskernel/ltp-<key>/, a cold build is about 80 s), runs each one natively and
under glasskernel, and fails when a test that passes natively does not pass under
glasskernel and is not listed in tests/conformance/known-failures.txt. The tests of slow.txt
are left to the full run (`python3 tests/conformance/ltp.py`, which also writes
docs/conformance.md); LTP's looping tests run a fiftieth of their runtime here
(LTP_RUNTIME_MUL). Without the tarball (or LTP_SRC) the test is skipped.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "conformance"))
import ltp  # noqa: E402
import ltp_build  # noqa: E402
import ltp_report  # noqa: E402

BUILD_TOOLS = ("make", "autoconf", "automake", "gcc")


def _missing_tools() -> list[str]:
    return [t for t in BUILD_TOOLS if shutil.which(t) is None]


@pytest.mark.timeout(1800)
def test_ltp_process_list_passes_where_native_passes():
    if ltp_build.find_source() is None:
        pytest.skip("no LTP source: neither <repo>/../shared/ltp/*.tar.xz nor LTP_SRC "
                    "(see tests/conformance/ltp_build.py for where to get LTP)")
    missing = _missing_tools()
    if missing:
        pytest.skip(f"cannot build LTP without {', '.join(missing)}")
    build, entries, timing = ltp.prepare("process", [], log=lambda msg: None)
    slow = ltp.load_tagged(ltp.SLOW)
    entries = [e for e in entries if e.tag not in slow]
    cfg = ltp.RunConfig(jobs=2, timeout=180, runtime_mul="0.02")
    results = ltp.run_suite(build, entries, "process-ci", cfg, log=lambda msg: None)
    known = ltp.load_known_failures()
    summary = ltp_report.summarize(results, known)
    print(f"LTP build {timing['build']:.0f} s; {summary.line()}")
    failures = [f"{r.entry.tag}: native {r.native.verdict}, glasskernel {r.glasskernel.verdict}: "
                f"{r.glasskernel.cause()}" for r in results if r.entry.tag in summary.unexpected]
    assert not failures, ("LTP tests that pass natively fail under glasskernel (logs in "
                          f"{build.root / 'results' / 'process-ci'}):\n" + "\n".join(failures))

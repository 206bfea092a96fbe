"""The benchmark runner works end to end (quick mode: tiny counts, no timing asserted)."""
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.mark.skipif(not RUNNER.exists(), reason="no bench/run.py")
def test_bench_quick_mode_runs():
    proc = subprocess.run([sys.executable, str(RUNNER), "--quick"], capture_output=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    assert b"getpid" in proc.stdout and b"Traceback" not in proc.stderr


INSTRUCTIONS = RUNNER.with_name("instructions.py")


def _bench_module(name: str):
    """A module of bench/ (its scripts import each other by plain name)."""
    sys.path.insert(0, str(RUNNER.parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(RUNNER.parent))


def test_instruction_counts_are_read_from_cachegrind_output(tmp_path):
    """bench/instructions.py sums the "LINE COUNT" lines of every function and keeps
    memset's apart (what cachegrind writes; read without valgrind here)."""
    out = tmp_path / "cachegrind.out"
    out.write_text("desc: I1 cache: 32768 B\ncmd: python\nevents: Ir\n"
                   "fl=a.c\nfn=main\n10 5\n11 7\n"
                   "fl=memset.S\nfn=__memset_avx2_unaligned_erms\n3 100\n"
                   "fl=b.c\nfn=helper\n20 1\nsummary: 113\n")
    assert _bench_module("instructions").counts(str(out)) == (113, 100)


def test_instructions_refuses_an_unknown_workload():
    proc = subprocess.run([sys.executable, str(INSTRUCTIONS), "no_such_workload"],
                          capture_output=True, timeout=60)
    assert proc.returncode == 2
    assert b"no workload 'no_such_workload'" in proc.stderr and b"Traceback" not in proc.stderr


def test_ratios_are_paired_within_each_repetition():
    """glasskernel ÷ a peer is the median of the per-repetition ratios: a slow spell that
    hits both runners of one repetition cancels, where the ratio of medians would not."""
    run = _bench_module("run")
    samples = {"glasskernel": [2.0, 8.0, 3.0], "qemu-user": [1.0, 4.0, 2.0],
               "qiling": [10.0, 10.0, 10.0], "native": [1.0, 1.0]}
    paired = run.paired_ratios(samples, {"qiling": "boom"})
    # the median of 2.0, 2.0 and 1.5; qiling (an error) and native (a gap) are left out
    assert paired == {"qemu-user": 2.0}
    res = {"glasskernel": {"min": 2.0, "median": 3.0, "paired": paired},
           "qemu-user": {"min": 1.0, "median": 2.0}, "native": {"min": 1.0, "median": 1.0}}
    assert run.targets.gk_ratio(res, "qemu-user") == 2.0      # not 3.0 / 2.0
    assert run.targets.gk_ratio(res, "native") == 3.0         # no pair: ratio of medians
    assert run.ratio(res, "qemu-user") == "2.0×"


DYNAMIC = RUNNER.with_name("dynamic.py")


@pytest.mark.skipif(not DYNAMIC.exists() or not Path("/usr/bin/true").exists(),
                    reason="no bench/dynamic.py or /usr/bin/true")
def test_dynamic_bench_quick_mode_runs():
    """bench/dynamic.py times /usr/bin/true natively, under qemu-user (when installed) and
    under glasskernel, and prints the table with ratios (one repetition; no timing asserted)."""
    proc = subprocess.run([sys.executable, str(DYNAMIC), "--quick", "--only", "true"],
                          capture_output=True, timeout=300)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err and "ERROR" not in err, err[-2000:]
    row = [line for line in proc.stdout.decode().splitlines() if line.startswith("| true |")]
    assert len(row) == 1 and "error" not in row[0]
    if shutil.which("qemu-x86_64"):     # the paired glasskernel ÷ qemu-user ratio is there
        assert "×" in row[0].split("|")[-4]


def test_dynamic_bench_doc_section_is_replaced_in_place(tmp_path, monkeypatch):
    """--write-doc replaces only the marked section, so run.py's tables around it stay."""
    dyn = _bench_module("dynamic")
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# b\n\nbefore\n\n%s\nold\n%s\n\nafter\n" % (dyn.BEGIN, dyn.END))
    monkeypatch.setattr(dyn, "DOC", doc)
    dyn.write_doc("new\n")
    assert doc.read_text() == "# b\n\nbefore\n\n%s\nnew\n%s\n\nafter\n" % (dyn.BEGIN, dyn.END)


def test_run_py_keeps_the_dynamic_section(tmp_path, monkeypatch):
    """run.py rewrites the whole page; the section bench/dynamic.py wrote comes back with it."""
    run, dyn = _bench_module("run"), _bench_module("dynamic")
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# old page\n\n%s\nrows\n%s\n" % (dyn.BEGIN, dyn.END))
    monkeypatch.setattr(run, "DOC", doc)
    assert run.kept_sections() == "\n%s\nrows\n%s\n" % (dyn.BEGIN, dyn.END)

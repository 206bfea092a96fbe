"""Acceptance 2: the Debian static busybox (/bin/busybox, package
busybox-static) gives the same output under glasskernel as natively.

No shell pipelines here (those need fork+exec+pipe, which come later): input
files are generated in a tmp dir and passed as arguments, and where a test
wants a line count it counts in Python.

Time budget: the whole module should finish within ~600 s; sha256sum of a
10 MB file under the emulator is the slowest part (tens of seconds).
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

import harness
from harness import differential, run_glasskernel, run_native

BUSYBOX = "/bin/busybox"

pytestmark = [
    pytest.mark.skipif(shutil.which(BUSYBOX) is None and not Path(BUSYBOX).exists(),
                       reason="busybox-static not installed (/bin/busybox)"),
    pytest.mark.slow,
    pytest.mark.timeout(600),
]

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
         "iota", "kappa", "lambda", "mu", "Alpha", "BETA", "42", "x-y", "ünï"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Deterministic input files shared by the module's tests."""
    d = tmp_path_factory.mktemp("busybox-data")
    rng = random.Random(20240601)
    lines = []
    for _ in range(20000):
        n = rng.randint(0, 8)
        lines.append(" ".join(rng.choice(WORDS) for _ in range(n)))
    text = "\n".join(lines) + "\n"
    (d / "text.txt").write_text(text, encoding="utf-8")
    (d / "sorted.txt").write_text("\n".join(sorted(lines, key=lambda s: s.encode())) + "\n",
                                  encoding="utf-8")
    (d / "big.bin").write_bytes(random.Random(10).randbytes(10 * 1024 * 1024))
    return d


def test_echo():
    native, _ = differential([BUSYBOX, "echo", "hello"])
    assert native[0] == b"hello\n"


def test_true_false():
    differential([BUSYBOX, "true"])
    native, _ = differential([BUSYBOX, "false"])
    assert native[2] == 1


def test_applet_by_argv0(tmp_path):
    """busybox picks the applet from argv[0]: a symlink named echo."""
    link = tmp_path / "echo"
    link.symlink_to(BUSYBOX)
    native, _ = differential([link, "via", "symlink"])
    assert native[0] == b"via symlink\n"


# Entries of / whose metadata changes while tests run or that glasskernel
# provides itself (/proc, /dev, /sys): only their type and name are compared.
VOLATILE_ROOT_ENTRIES = {"proc", "sys", "dev", "tmp", "run", "root", "work"}


def normalise_ls_root(out: bytes) -> list[str]:
    result = []
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("total "):
            result.append("total N")
            continue
        fields = line.split()
        name = fields[-1] if "->" not in fields else fields[fields.index("->") - 1]
        if name in VOLATILE_ROOT_ENTRIES:
            result.append(f"{line[0]} ... {name}")
        else:
            result.append(line)
    return result


def test_ls_la_root():
    n_out, n_err, n_rc = run_native([BUSYBOX, "ls", "-la", "/"])
    g_out, g_err, g_rc = run_glasskernel([BUSYBOX, "ls", "-la", "/"])
    harness.assert_no_traceback(g_err)
    assert g_rc == n_rc == 0, g_err
    assert normalise_ls_root(g_out) == normalise_ls_root(n_out), \
        harness.diff_text(n_out, g_out, "ls -la /")


def test_cat_os_release():
    native, _ = differential([BUSYBOX, "cat", "/etc/os-release"])
    assert b"NAME=" in native[0]


def test_cat_missing_file(tmp_path):
    differential([BUSYBOX, "cat", tmp_path / "nope"])


def test_sha256sum_10mb(data_dir):
    native, _ = differential([BUSYBOX, "sha256sum", data_dir / "big.bin"], timeout=600)
    assert re.match(rb"[0-9a-f]{64}  ", native[0])


def test_wc(data_dir):
    differential([BUSYBOX, "wc", data_dir / "text.txt"])
    differential([BUSYBOX, "wc", "-l", data_dir / "text.txt", data_dir / "sorted.txt"])


def test_sort(data_dir):
    differential([BUSYBOX, "sort", data_dir / "text.txt"])
    differential([BUSYBOX, "sort", "-r", "-u", data_dir / "text.txt"])


def test_uniq(data_dir):
    differential([BUSYBOX, "uniq", data_dir / "sorted.txt"])
    differential([BUSYBOX, "uniq", "-c", data_dir / "sorted.txt"])


def test_sed(data_dir):
    differential([BUSYBOX, "sed", "-e", "s/alpha/ALPHA/g", "-e", "/theta/d",
                  data_dir / "text.txt"])


def test_grep(data_dir):
    differential([BUSYBOX, "grep", "-n", "kappa lambda", data_dir / "text.txt"])
    differential([BUSYBOX, "grep", "-c", "-i", "beta", data_dir / "text.txt"])
    # no match: exit status 1
    native, _ = differential([BUSYBOX, "grep", "no-such-word", data_dir / "text.txt"])
    assert native[2] == 1


def test_find_copyright():
    """``find /usr/share/doc -name copyright`` (the task's "| wc -l" is
    counted in Python).  readdir order is not specified, so the lines are
    compared as sorted lists; the count must be equal too."""
    argv = [BUSYBOX, "find", "/usr/share/doc", "-name", "copyright"]
    n_out, n_err, n_rc = run_native(argv)
    g_out, g_err, g_rc = run_glasskernel(argv, timeout=600)
    harness.assert_no_traceback(g_err)
    assert g_rc == n_rc, g_err
    assert g_err == n_err
    n_lines, g_lines = n_out.splitlines(), g_out.splitlines()
    assert len(g_lines) == len(n_lines), \
        f"wc -l: native {len(n_lines)}, glasskernel {len(g_lines)}"
    assert sorted(g_lines) == sorted(n_lines), \
        harness.diff_text(b"\n".join(sorted(n_lines)), b"\n".join(sorted(g_lines)), "find")

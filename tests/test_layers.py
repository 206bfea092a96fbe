"""The import layers (pyproject.toml's import-linter contract) hold, and the checker that
prints them (`python3 -m glasskernel.tools.layers`) catches an upward import."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from glasskernel.tools.layers import check, module_files, read_layers

ROOT = Path(__file__).resolve().parents[1]


def test_no_upward_import_in_the_tree():
    assert check(read_layers(), module_files()) == []


def test_checker_prints_clean_tree():
    out = subprocess.run([sys.executable, "-m", "glasskernel.tools.layers"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no upward import" in out.stdout


def _tree(tmp_path, files: dict) -> dict:
    for name, text in files.items():
        path = tmp_path / "glasskernel" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return module_files(tmp_path / "glasskernel")


def test_checker_finds_an_upward_import_inside_a_function(tmp_path):
    layers = [["glasskernel.tools"], ["glasskernel.kernel", "glasskernel.fs"], ["glasskernel.uapi"]]
    modules = _tree(tmp_path, {
        "__init__.py": "", "tools/__init__.py": "", "tools/strace.py": "import glasskernel.kernel\n",
        "kernel/__init__.py": "", "fs/__init__.py": "",
        "kernel/exit.py": "from glasskernel.fs import namei\n\ndef f():\n    from glasskernel.tools import strace\n",
        "fs/namei.py": "from glasskernel.kernel import exit\n",
        "uapi/__init__.py": "", "uapi/errno.py": "from .. import fs\n",
    })
    assert check(layers, modules) == [
        f"{tmp_path}/glasskernel/kernel/exit.py:4: glasskernel.kernel.exit imports "
        "glasskernel.tools.strace, a higher layer",
        f"{tmp_path}/glasskernel/uapi/errno.py:1: glasskernel.uapi.errno imports glasskernel.fs, "
        "a higher layer",
    ]


def test_checker_names_a_module_in_no_layer(tmp_path):
    modules = _tree(tmp_path, {"__init__.py": "", "stray.py": "", "uapi/__init__.py": ""})
    assert check([["glasskernel.uapi"]], modules) == [
        f"{tmp_path}/glasskernel/stray.py: glasskernel.stray is in no layer"]


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_import_linter_keeps_the_contract():
    out = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]

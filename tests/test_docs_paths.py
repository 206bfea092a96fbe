"""The docs name only what exists: every Python file they name is in the tree, every
`file.py: function` names a function of that file, and every code name in the reading
order (docs/reading-order.md) is defined somewhere in glasskernel/."""
import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "glasskernel"
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
# Names the reading order quotes that are not ours to define, each with why.
NOT_OURS = {
    "start_kernel": "Linux's init/main.c, which Kernel.__init__ plays",
    "mm_struct": "Linux's struct; ours is MmStruct",
    "ExitStack": "Python's contextlib",
    "syscall": "the instruction", "sysretq": "the instruction", "sysenter": "the instruction",
    "glasskernel": "the command", "copy_X": "the pattern of copy_creds, copy_mm, ...", "PROGRAM": "a placeholder in a command line",
}
_PATH = re.compile(r"(?:[\w.-]+/)*[\w-]+\.py\b")
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.\w+)*")


@lru_cache(maxsize=None)
def _all_files() -> dict:
    """file name -> the paths in the package with that name."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        names.setdefault(path.name, []).append(path)
    return names


def _resolve(name: str):
    """The file a doc means by name: a path from the repository or the package, a path
    ending (kernel/fork.py), or a bare file name only one package file has."""
    for base in (ROOT, PACKAGE):
        if (base / name).is_file():
            return base / name
    matches = [p for p in _all_files().get(Path(name).name, []) if p.as_posix().endswith("/" + name)]
    return matches[0] if len(matches) == 1 else None


@lru_cache(maxsize=None)
def _defined_in(path: Path) -> frozenset:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            targets = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
            names.update(t.attr for t in targets if isinstance(t, ast.Attribute))
    return frozenset(names)


@lru_cache(maxsize=None)
def _defined_anywhere() -> frozenset:
    names = set()
    for paths in _all_files().values():
        for path in paths:
            names |= _defined_in(path)
    from glasskernel.uapi.unistd_64 import SYSCALL_NAMES
    return frozenset(names) | set(SYSCALL_NAMES.values())


def _quoted(doc: Path) -> list:
    return re.findall(r"`([^`\n]+)`", doc.read_text())


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_named_files_exist(doc):
    missing = sorted({m for q in _quoted(doc) for m in _PATH.findall(q)
                      if "/" in m and not m.startswith(("tests/", "bench/", "scripts/", "/", "examples/"))
                      and _resolve(m) is None and not (ROOT / m).exists()})
    assert missing == [], f"{doc.name} names files that do not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_file_function_pairs_exist(doc):
    wrong = []
    for quote in _quoted(doc):
        for path, name in re.findall(r"([\w/.-]+\.py): ?([A-Za-z_]\w*)", quote):
            files = [p for p in _all_files().get(Path(path).name, [])
                     if p.as_posix().endswith("/" + path)]
            if not any(name in _defined_in(f) for f in files):
                wrong.append(f"{path}: {name}")
    assert wrong == [], f"{doc.name} names functions that are not in that file"


def test_reading_order_names_only_what_exists():
    missing = set()
    for quote in _quoted(ROOT / "docs" / "reading-order.md"):
        for part in re.split(r"[\s→(),;:]+", quote):
            part = part.strip(".")
            if part.endswith(".py"):
                if _resolve(part) is None:
                    missing.add(part)
            elif _NAME.fullmatch(part):
                name = part.split(".")[-1]
                if name not in _defined_anywhere() and part not in NOT_OURS:
                    missing.add(part)
    assert sorted(missing) == []

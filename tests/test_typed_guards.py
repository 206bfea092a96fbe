"""No getattr(obj, "field", default) guard on a declared field of a typed structure (issue 18).

The typed structures declare every field with __slots__, so a default on getattr only hides
a misspelt or undeclared name.  The few allowed entries read a duck-typed object (an inode,
a file's ops table ...) that merely shares a field name with one of the structures.
"""
import ast
import dataclasses
import pathlib

from glasskernel.arch.x86.kernel.process import ThreadStruct
from glasskernel.fs.file import FilesStruct
from glasskernel.fs.fs_struct import FsStruct
from glasskernel.init.main import Kernel
from glasskernel.kernel.signal import SighandStruct
from glasskernel.kernel.task import Cred, SignalStruct, Task
from glasskernel.mm.mm_types import MmStruct

TYPED = (Kernel, Task, SignalStruct, Cred, SighandStruct, ThreadStruct, MmStruct,
         FilesStruct, FsStruct)
ROOT = pathlib.Path(__file__).resolve().parent.parent / "glasskernel"

# (path relative to glasskernel/, field name) -> why the object there is not a typed structure
ALLOWED = {
    ("fs/proc/fd.py", "flags"):
        "a descriptor's open file: File or one of the socket/pipe/anon files, not ThreadStruct",
    ("fs/proc/namespaces.py", "user_ns"):
        "any of the namespace classes (pid, uts, net, ...), not a Cred",
    ("kernel/trace/events.py", "pid"):
        "a fork tracepoint's result: the new Task or an errno int",
    ("mm/filemap.py", "vfs"):
        "a dentry of whichever file system (or an open File), not the Kernel",
    ("mm/mmap.py", "flags"):
        "the mount of a mapped file's dentry (shared anonymous memory has none)",
}


def declared_fields_of(cls):
    """The slot and dataclass field names of cls and its bases."""
    names = set()
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.update((slots,) if isinstance(slots, str) else slots)
    if dataclasses.is_dataclass(cls):
        names.update(f.name for f in dataclasses.fields(cls))
    return names - {"__weakref__", "__dict__"}


def declared_fields():
    """Every slot or dataclass field name of the typed structures."""
    return set().union(*(declared_fields_of(cls) for cls in TYPED))


def _is_guard(node):
    """A 3-argument getattr call with a literal name."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "getattr" and len(node.args) == 3
            and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str))


def guards(tree):
    """Yield (line, name, source) of each 3-argument getattr with a literal name."""
    for node in ast.walk(tree):
        if _is_guard(node):
            yield node.lineno, node.args[1].value, ast.unparse(node)


def find_guards(root=ROOT):
    fields = declared_fields()
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, name, src in guards(ast.parse(path.read_text(), str(path))):
            if name in fields:
                found.append((rel, line, name, src))
    return found


def test_field_names_collected():
    fields = declared_fields()
    assert {"timekeeper", "tasks", "mm", "is_child_subreaper", "fds"} <= fields


def test_no_guard_on_declared_field():
    bad = [f"{rel}:{line}: {src}" for rel, line, name, src in find_guards()
           if (rel, name) not in ALLOWED]
    assert not bad, "getattr default on a declared field:\n" + "\n".join(bad)


def test_allowlist_is_current():
    # a stale entry would let a new guard of the same name in the same file through
    used = {(rel, name) for rel, _line, name, _src in find_guards()}
    assert set(ALLOWED) <= used, sorted(set(ALLOWED) - used)


def test_no_guard_on_undeclared_kernel_field():
    # Kernel has __slots__: getattr(kernel, "x", default) of a name it does not declare is
    # always the default, dead code that reads as if the field could exist.
    kernel_fields = declared_fields_of(Kernel)
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if _is_guard(node) and node.args[1].value not in kernel_fields:
                obj = ast.unparse(node.args[0])
                if obj == "kernel" or obj.endswith(".kernel"):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, "getattr of a field Kernel does not declare:\n" + "\n".join(bad)


def test_walker_finds_a_reintroduced_guard(tmp_path):
    (tmp_path / "m.py").write_text('def f(kernel):\n    return getattr(kernel, "timekeeper", None)\n')
    assert [(r, n) for r, _l, n, _s in find_guards(tmp_path)] == [("m.py", "timekeeper")]

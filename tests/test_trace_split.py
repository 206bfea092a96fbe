"""Tracing split as Linux splits it (issue 18): the kernel records values and never
imports a tool; the words that explain the values live with the walkthrough
(tools/demo/explain.py); boot's hand-made tasks fire no fork tracepoints.
"""
import ast
from pathlib import Path

import glasskernel
from glasskernel.init.main import Kernel
from glasskernel.tools.demo.demo import example_path
from glasskernel.tools.demo.explain import ENTRY_WORDS, POINT_WORDS, explain_events

PACKAGE = Path(glasskernel.__file__).parent
# The layers below tools/ and the CLI: none may import them, not even inside a function.
LOWER = ("kernel", "fs", "mm", "net", "ipc", "drivers", "security", "block", "arch", "init", "uapi")
UPPER = ("glasskernel.tools", "glasskernel.cli", "glasskernel.api", "glasskernel.batch")


def _imports(tree) -> list:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return names


def test_no_kernel_layer_imports_a_tool():
    upward = []
    for layer in LOWER:
        for path in (PACKAGE / layer).rglob("*.py"):
            for line, name in _imports(ast.parse(path.read_text())):
                if name.startswith(UPPER):
                    upward.append(f"{path.relative_to(PACKAGE)}:{line}: {name}")
    assert upward == []


def _record(explained: bool) -> list:
    """The forkexec example on a deterministic kernel, every event kept."""
    kernel = Kernel(deterministic=True)
    events = []
    if explained:
        explain_events(kernel.tracer)
    kernel.tracer.attach(events.append)
    exe = example_path().encode()
    try:
        kernel.run_init_process(exe, [exe], [b"PATH=/bin"])
        assert kernel.run() == 0
    finally:
        kernel.tracer.detach_all()
        kernel.shutdown()
    return events


def test_tracepoints_record_values_and_the_tools_say_what_they_mean(capfd):
    raw = {e.name: e.args for e in _record(False) if e.ph == "B" and e.name in ENTRY_WORDS}
    assert raw["copy_files"] == {"flags": 0} and raw["copy_mm"] == {"flags": 0}   # fork: SIGCHLD only
    assert raw["sched_fork"] == {"nice": 0}
    assert raw["copy_creds"] == {} and raw["dup_task_struct"] == {}
    for args in raw.values():                     # values only: no sentence in the kernel
        assert not any(isinstance(v, str) and " " in v for v in args.values()), args
    shown = {e.name: e.args for e in _record(True) if e.ph == "B" and e.name in ENTRY_WORDS}
    assert shown["copy_files"] == {"action": "copied", "why": "CLONE_FILES clear",
                                   "what": "the descriptor table"}
    assert shown["sched_fork"] == {"action": "new", "why": "scheduler state, nice 0, not yet queued"}
    assert shown["copy_namespaces"] == {"action": "shared", "why": "CLONE_NEW* clear"}
    assert set(shown) == set(ENTRY_WORDS)
    capfd.readouterr()


def test_boot_fires_no_fork_tracepoints_and_a_fork_links_its_child(capfd):
    """init and the first program are made by hand (notrace): the first sched_fork,
    alloc_pid and wake_up_new_task are the fork's, and its wake-up starts the flow arrow
    the child's first ret_from_fork ends."""
    events = _record(False)
    forkish = [e for e in events if e.name in ("sched_fork", "alloc_pid", "wake_up_new_task")
               and e.ph == "B"]
    assert [e.name for e in forkish] == ["sched_fork", "alloc_pid", "wake_up_new_task"]
    assert {e.pid for e in forkish} == {2}
    wake = forkish[-1]
    assert wake.args == {"pid": 3} and wake.flow[0] == "s"
    first_return = next(e for e in events if e.name == "ret_from_fork" and e.pid == 3)
    assert first_return.flow == ("f", wake.flow[1])
    capfd.readouterr()


def test_every_word_table_names_a_tracepoint():
    from glasskernel.kernel.trace.tracepoint import traceable_functions
    assert set(ENTRY_WORDS) <= traceable_functions()
    assert set(POINT_WORDS) == {"vdso_clock_reads"}

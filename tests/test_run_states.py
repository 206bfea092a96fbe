"""docs/run-states.dot draws every run-state transition the code makes.

The transitions are found with ast over glasskernel/: every call of a state-changing
function (set_current_state, set_special_state, the wake-ups
try_to_wake_up / wake_up_process / wake_up_state) with the state it sets or wakes from,
and every write of task->_state / task->exit_state, which only the named functions may
do. Each transition must be an edge of the .dot into its target state whose label names
the function (a wake-up: one edge from each state its mask wakes). The rendered SVG must
show what the .dot says.
"""
import ast
import html
import re
from pathlib import Path

from glasskernel.kernel import task as task_h

ROOT = Path(__file__).resolve().parent.parent
DOT = ROOT / "docs" / "run-states.dot"
SVG = ROOT / "docs" / "run-states.svg"

SETTERS = {"set_current_state", "__set_current_state", "set_special_state"}
WAKERS = {"try_to_wake_up": "TASK_NORMAL", "wake_up_process": "TASK_NORMAL",
          "wake_up_state": None}
# The only functions that write the fields (the setters above; the scheduler core's own
# steps, as kernel/sched/core.c writes p->__state; finish_wait, whose __set_current_state
# is written out on the pipe's hot path; exit.c's exit_notify and release_task).
WRITERS = {"_state": SETTERS | {"try_to_wake_up", "sched_fork", "wake_up_new_task", "do_task_dead",
                                "finish_wait"},
           "exit_state": {"exit_notify", "release_task", "exit_init_task"}}
# The states a task can be in, by value: the nodes of the diagram.
RUN_NODES = ("TASK_RUNNING", "TASK_INTERRUPTIBLE", "TASK_UNINTERRUPTIBLE", "TASK_KILLABLE",
             "TASK_STOPPED", "TASK_TRACED", "TASK_PARKED", "TASK_DEAD", "TASK_NEW")
EXIT_NODES = ("EXIT_ZOMBIE", "EXIT_DEAD")


class Unknown(Exception):
    pass


def state_values(node) -> list:
    """The values a state expression can have (A if c else B: both)."""
    if isinstance(node, ast.IfExp):
        return state_values(node.body) + state_values(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [a | b for a in state_values(node.left) for b in state_values(node.right)]
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return [node.value]
    if isinstance(node, ast.Name) and isinstance(getattr(task_h, node.id, None), int):
        return [getattr(task_h, node.id)]
    raise Unknown(ast.unparse(node))


def node_name(value: int, exit_state: bool = False) -> str:
    names = EXIT_NODES if exit_state else RUN_NODES
    for name in names:
        if getattr(task_h, name) == value:
            return name
    raise Unknown(f"{value:#x} is no state of the diagram")


def _called(call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


class Finder(ast.NodeVisitor):
    """Transitions (via, source or None, target) and misplaced writes of one module."""

    def __init__(self, where: str):
        self.where = where
        self.func = "<module>"
        self.params: set = set()
        self.transitions: list = []
        self.problems: list = []

    def visit_FunctionDef(self, node):
        outer = self.func, self.params
        self.func = node.name
        self.params = {a.arg for a in node.args.args + node.args.kwonlyargs}
        self.generic_visit(node)
        self.func, self.params = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def _arg(self, call, index: int, name: str):
        if len(call.args) > index:
            return call.args[index]
        return next((k.value for k in call.keywords if k.arg == name), None)

    def _values(self, node, line: int):
        """The state values, or None for a named function passing its parameter on."""
        if isinstance(node, ast.Name) and node.id in self.params and (
                self.func in SETTERS or self.func in WAKERS):
            return None
        try:
            return state_values(node)
        except Unknown as err:
            self.problems.append(f"{self.where}:{line} {self.func}: cannot tell the state {err}")
            return None

    def visit_Call(self, node):
        name = _called(node)
        if name in SETTERS:
            values = self._values(self._arg(node, 1, "state"), node.lineno)
            for value in values or ():
                self._add(name, None, value, node.lineno)
        elif name in WAKERS:
            mask = self._arg(node, 1, "state")
            values = ([getattr(task_h, WAKERS[name])] if mask is None
                      else self._values(mask, node.lineno))
            for value in values or ():
                for source in RUN_NODES:
                    if getattr(task_h, source) & value:
                        self.transitions.append((name, source, "TASK_RUNNING", self.where, node.lineno))
        self.generic_visit(node)

    def _add(self, via, source, value, line, exit_state=False):
        try:
            self.transitions.append((via, source, node_name(value, exit_state), self.where, line))
        except Unknown as err:
            self.problems.append(f"{self.where}:{line} {via}: {err}")

    def visit_Assign(self, node):
        for target in node.targets:
            elts = target.elts if isinstance(target, ast.Tuple) else [target]
            values = (node.value.elts if isinstance(target, ast.Tuple)
                      and isinstance(node.value, ast.Tuple) else [node.value] * len(elts))
            for elt, value in zip(elts, values):
                self._write(elt, value, node.lineno)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._write(node.target, None, node.lineno)
        self.generic_visit(node)

    def _write(self, target, value, line: int) -> None:
        if not isinstance(target, ast.Attribute) or target.attr not in WRITERS:
            return
        if self.func not in WRITERS[target.attr]:
            self.problems.append(f"{self.where}:{line} {self.func} writes .{target.attr}: only "
                                 f"{', '.join(sorted(WRITERS[target.attr]))} may")
            return
        values = self._values(value, line) if value is not None else None
        for v in values or ():
            self._add(self.func, None, v, line, exit_state=target.attr == "exit_state")


def find_transitions(sources: dict) -> tuple:
    """sources: {where: python source}. Returns (transitions, problems)."""
    transitions, problems = [], []
    for where, text in sources.items():
        finder = Finder(where)
        finder.visit(ast.parse(text))
        transitions += finder.transitions
        problems += finder.problems
    return transitions, problems


def code_sources() -> dict:
    return {str(p.relative_to(ROOT)): p.read_text() for p in sorted((ROOT / "glasskernel").rglob("*.py"))}


EDGE = re.compile(r'^\s*(\w+)\s*->\s*(\w+)\s*\[label="((?:[^"\\]|\\.)*)"', re.M)


def dot_edges(text: str) -> list:
    """(source, target, the words of the label) of each edge of the .dot."""
    return [(a, b, set(re.findall(r"\w+", label.replace("\\n", " ")))) for a, b, label in EDGE.findall(text)]


def missing_edges(transitions: list, edges: list) -> list:
    missing = []
    for via, source, target, where, line in transitions:
        if not any(b == target and via in words and (source is None or a == source)
                   for a, b, words in edges):
            frm = source or "*"
            missing.append(f"{where}:{line} {via}: {frm} -> {target}")
    return sorted(set(missing))


def test_every_transition_in_the_code_is_drawn():
    transitions, problems = find_transitions(code_sources())
    assert not problems, "\n".join(problems)
    assert len(transitions) >= 15          # the finder sees the code (sanity)
    missing = missing_edges(transitions, dot_edges(DOT.read_text()))
    assert not missing, "transitions not in docs/run-states.dot:\n" + "\n".join(missing)


def test_a_new_transition_without_its_edge_fails():
    """The check is not vacuous: a transition or a stray write the diagram lacks is caught."""
    edges = dot_edges(DOT.read_text())
    new = {"kernel/x.py": "def ptrace_stop(task):\n    set_special_state(task, TASK_TRACED)\n"
                          "def f(p):\n    wake_up_state(p, __TASK_TRACED)\n"}
    transitions, problems = find_transitions(new)
    assert not problems
    assert missing_edges(transitions, edges) == [
        "kernel/x.py:2 set_special_state: * -> TASK_TRACED",
        "kernel/x.py:4 wake_up_state: TASK_TRACED -> TASK_RUNNING"]
    stray = {"kernel/y.py": "def f(t):\n    t._state = TASK_RUNNING\n    t.exit_state = 0\n"}
    _, problems = find_transitions(stray)
    assert len(problems) == 2 and "f writes ._state" in problems[0]


def test_every_state_of_the_diagram_is_a_linux_value():
    """The diagram's state nodes carry Linux's include/linux/sched.h values."""
    linux = {"TASK_RUNNING": 0, "TASK_INTERRUPTIBLE": 1, "TASK_UNINTERRUPTIBLE": 2,
             "TASK_KILLABLE": 0x102, "TASK_STOPPED": 0x104, "TASK_DEAD": 0x80,
             "TASK_NEW": 0x800, "EXIT_ZOMBIE": 0x20, "EXIT_DEAD": 0x10}
    text = DOT.read_text()
    for name, value in linux.items():
        assert getattr(task_h, name) == value
        label = re.search(rf'^\s*{name} \[label="[^"]*\\n(0x[0-9a-f]+|0)\b', text, re.M)
        assert label is not None and int(label.group(1), 16) == value, name


def test_the_svg_is_the_dot_rendered():
    """docs/run-states.svg shows every node, edge and label line of the .dot (re-render it
    with dot -Tsvg after changing the .dot)."""
    svg = html.unescape(SVG.read_text())
    titles = set(re.findall(r"<title>(.*?)</title>", svg))
    text = DOT.read_text()
    for a, b, _ in dot_edges(text):
        assert f"{a}->{b}" in titles, f"{a} -> {b} is not in run-states.svg"
    labels = re.findall(r'label="((?:[^"\\]|\\.)*)"', text)
    rendered = set(re.findall(r"<text[^>]*>(.*?)</text>", svg))
    for label in labels:
        for line in label.split("\\n"):
            assert line.strip() in rendered, f"{line!r} is not in run-states.svg"


def test_run_states_md_shows_the_diagram():
    md = (ROOT / "docs" / "run-states.md").read_text()
    assert "](run-states.svg)" in md and "run-states.dot" in md


def test_proc_letters_follow_task_state_index():
    """/proc/PID/stat and status print the letters fs/proc/array.c does for each state."""
    from glasskernel.fs.proc.array import get_task_state

    class T:
        def __init__(self, state, exit_state=0):
            self._state, self.exit_state = state, exit_state

    h = task_h
    cases = [(h.TASK_RUNNING, 0, "R (running)"), (h.TASK_NEW, 0, "R (running)"),
             (h.TASK_INTERRUPTIBLE, 0, "S (sleeping)"), (h.TASK_UNINTERRUPTIBLE, 0, "D (disk sleep)"),
             (h.TASK_KILLABLE, 0, "D (disk sleep)"), (h.TASK_STOPPED, 0, "T (stopped)"),
             (h.TASK_RUNNING, h.EXIT_ZOMBIE, "Z (zombie)"), (h.TASK_DEAD, h.EXIT_ZOMBIE, "Z (zombie)"),
             (h.TASK_DEAD, h.EXIT_DEAD, "X (dead)"), (h.TASK_STOPPED, h.EXIT_ZOMBIE, "Z (zombie)")]
    for state, exit_state, shown in cases:
        task = T(state, exit_state)
        assert get_task_state(task) == shown, (hex(state), hex(exit_state))
        assert h.task_state_to_char(task) == shown[0]

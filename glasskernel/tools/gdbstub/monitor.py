"""`monitor` commands (qRcmd): the kernel's side of the guest, from gdb.

They share their formatting with the --break console (tools/breakpoint/breakpoint.py):
`ps` is its `tasks`, `kbt` its `bt`, `pt_regs` its `regs`. `kbreak FUNC` puts a
breakpoint probe on the kernel's tracer that stops gdb's session instead of opening
the console; `trace` records the function graph between two stops.
"""
import io

from glasskernel.kernel.task import task_state_to_char
from glasskernel.tools.breakpoint.breakpoint import (BreakpointProbe, kernel_stack_lines, regs_lines,
                                                 task_lines, user_backtrace)

HELP = """glasskernel monitor commands:
  ps                 the task list with states (* the selected thread)
  kbreak FUNC        stop when the kernel enters FUNC (a glob, e.g. copy_process)
  kbreak             list the kernel breakpoints; kdelete [FUNC] removes them
  kbt                the kernel calls open in the selected thread (innermost first)
  ubt                return addresses on the user stack of the selected thread
  pt_regs            the user registers the kernel holds for it, orig_ax included
  trace on|off|show  record the kernel's function graph; show what it did since the last stop
  tree               the process tree
"""


class KernelBreak(BreakpointProbe):
    """--break's probe, stopping gdb's session at a matching kernel function."""

    def __init__(self, kernel, debugger):
        super().__init__(kernel)
        self.debugger = debugger

    def hit(self, event) -> None:
        """A matching kernel function entered: stop gdb's session there (traced tasks only)."""
        task = self.kernel.current
        debugger = self.debugger
        if task.pid not in debugger.tracees or debugger.stopped:
            return                          # a task gdb does not debug: not its stop
        note = f"glasskernel: kernel breakpoint {event.name} in pid {task.pid} ({task.comm})\n"
        debugger.stop(task, debugger.stop_reply(task, 5, f"kbreak:{event.name.encode().hex()};"), note)


class Monitor:
    """One session's monitor: the kernel breakpoint probe and the trace recorder."""

    def __init__(self, session):
        self.session = session
        self.kernel = session.kernel
        self.kprobe = None
        self.recorder = None
        self.mark = 0                       # recorder events before the last resume

    def run(self, line: str):
        """Run one command; its output goes to gdb in O packets; the answer is OK."""
        words = line.split()
        name, args = (words[0], words[1:]) if words else ("help", [])
        handler = getattr(self, "do_" + name.replace("-", "_"), None)
        try:
            text = handler(args) if handler is not None else f"unknown monitor command {name!r}\n" + HELP
        except ValueError as err:
            text = f"{err}\n"
        self.output(text)
        return "OK"

    def output(self, text: str) -> None:
        """Text to gdb's console: O packets of hex."""
        for i in range(0, len(text), 400):
            self.session.conn.send("O" + text[i:i + 400].encode().hex())

    def resumed(self) -> None:
        """The guest runs again: `trace show` starts from here next time."""
        if self.recorder is not None:
            self.mark = len(self.recorder.events)

    def _task(self):
        """The thread gdb selected (Hg)."""
        return self.session.selected()

    def _tracer(self):
        """The kernel's tracer (probes attach there), explaining its events in words."""
        from glasskernel.tools.demo.explain import explain_events
        explain_events(self.kernel.tracer)
        return self.kernel.tracer

    # ----- commands ---------------------------------------------------------------------

    def do_help(self, _args) -> str:
        """help: the commands."""
        return HELP

    def do_ps(self, _args) -> str:
        """ps: the task list with states."""
        return "\n".join(task_lines(self.kernel, self._task())) + "\n"

    def do_kbreak(self, args) -> str:
        """kbreak FUNC: stop when the kernel enters FUNC; no FUNC: list them."""
        if not args:
            patterns = self.kprobe.patterns if self.kprobe else []
            return ("kernel breakpoints: " + ", ".join(patterns) if patterns else "no kernel breakpoints") + "\n"
        if self.kprobe is None:
            self.kprobe = KernelBreak(self.kernel, self.session.debugger)
            self._tracer().attach(self.kprobe)
        checked = BreakpointProbe(self.kernel, args)        # ValueError: can never stop
        self.kprobe.patterns.extend(p for p in checked.patterns if p not in self.kprobe.patterns)
        return f"kernel breakpoint on {', '.join(args)}: the guest stops when the kernel enters it\n"

    def do_kdelete(self, args) -> str:
        """kdelete [FUNC...]: remove kernel breakpoints (all without FUNC)."""
        if self.kprobe is None:
            return "no kernel breakpoints\n"
        patterns = self.kprobe.patterns
        patterns[:] = [p for p in patterns if args and p not in args]
        return "kernel breakpoints: " + (", ".join(patterns) or "none") + "\n"

    def do_kbt(self, _args) -> str:
        """kbt: the kernel calls open in the selected thread."""
        task = self._task()
        if self.kprobe is None:
            return "no kernel calls recorded: the kernel's calls are followed from `monitor kbreak` on\n"
        lines = kernel_stack_lines(self.kprobe, task)
        return "\n".join(lines) + "\n" if lines else f"pid {task.pid}: no kernel call open (in user mode)\n"

    def do_ubt(self, _args) -> str:
        """ubt: possible return addresses on its user stack."""
        return "\n".join(user_backtrace(self.kernel, self._task())) + "\n"

    def do_pt_regs(self, _args) -> str:
        """pt_regs: its saved user registers, orig_ax included."""
        task = self._task()
        return f"pid {task.pid} ({task.comm}) pt_regs:\n" + "\n".join(regs_lines(self.kernel, task)) + "\n"

    def do_trace(self, args) -> str:
        """trace on|off|show: the kernel's function graph between stops."""
        what = args[0] if args else "show"
        if what == "on":
            if self.recorder is None:
                from glasskernel.kernel.trace.recorder import Recorder
                self.recorder = Recorder()
                self._tracer().attach(self.recorder)
            self.mark = len(self.recorder.events)
            return "tracing the kernel's functions; `monitor trace show` after the next stop\n"
        if what == "off":
            if self.recorder is not None:
                self._tracer().detach(self.recorder)
                self.recorder = None
            return "tracing off\n"
        if what != "show":
            raise ValueError("usage: monitor trace on|off|show")
        if self.recorder is None:
            return "tracing is off: monitor trace on\n"
        from glasskernel.tools.graph.trace_functions_graph import write_function_graph
        out = io.StringIO()
        write_function_graph(self.recorder.events[self.mark:], out, None)
        return out.getvalue()

    def do_tree(self, _args) -> str:
        """tree: the process tree from the task list (* debugged)."""
        lines = []
        tasks = self.kernel.tasks
        leaders = sorted((t for t in tasks.values() if t.pid == t.tgid), key=lambda t: t.pid)
        children = {}
        for t in leaders:
            parent = t.real_parent.tgid if t.real_parent is not None else 0
            children.setdefault(parent, []).append(t)
        def walk(pid, depth):
            """The children of pid, indented by depth."""
            for t in children.get(pid, []):
                threads = sum(1 for o in tasks.values() if o.tgid == t.tgid)
                extra = f" [{threads} threads]" if threads > 1 else ""
                mark = " *" if t.tgid in self.session.debugger.procs else ""
                lines.append(f"{'  ' * depth}{t.pid} {t.comm} ({task_state_to_char(t)}){extra}{mark}")
                walk(t.pid, depth + 1)
        walk(0, 0)
        return "\n".join(lines) + "\n(* debugged by gdb)\n"

    def close(self) -> None:
        """Detach what the monitor attached to the tracer."""
        if self.kprobe is not None:
            self._tracer().detach(self.kprobe)
            self.kprobe = None
        if self.recorder is not None:
            self._tracer().detach(self.recorder)
            self.recorder = None

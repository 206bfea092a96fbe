"""The Python API: spawn a program, attach callbacks to tracepoints, run, inspect."""
from __future__ import annotations

from glasskernel.api import Session


def test_session_callbacks_see_the_fork_and_exec(capfd):
    s = Session(deterministic=True)
    forks, switches, seen_tasks = [], [], []

    def on_fork(ev):
        forks.append(ev.args["flags"])
        seen_tasks.append([t.comm for t in s.tasks()])

    s.on("copy_process", on_fork)
    s.on("sched_switch", lambda ev: switches.append((ev.args["prev_pid"], ev.args["next_pid"])))
    exits = []
    s.on("do_exit", lambda ev: exits.append(ev.args["code"]))
    pid = s.spawn(["/bin/busybox", "sh", "-c", "/bin/busybox true; exit 3"])
    assert pid == 2
    assert s.run() == 3
    assert forks == ["CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"]
    assert "busybox" in seen_tasks[0] and "init" in seen_tasks[0]
    assert (2, 3) in switches
    assert exits == [0, 3 << 8]
    procs = s.processes()
    assert [(p.pid, p.ppid) for p in procs] == [(2, 1), (3, 2)]
    assert procs[1].status == 0 and procs[0].status == 3 << 8


def test_session_needs_a_program():
    s = Session()
    try:
        s.run()
    except RuntimeError as err:
        assert "spawn" in str(err)
    else:
        raise AssertionError("run without spawn must fail")

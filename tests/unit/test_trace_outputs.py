"""The text outputs of a recording: the function graph (ftrace's function_graph layout)
and the process tree, on hand-built event lists with exact expected text."""
import io
from types import SimpleNamespace

from glasskernel.tools.proc_tree import command_line, exit_status_text, write_process_tree
from glasskernel.kernel.trace.recorder import Recorder
from glasskernel.tools.graph.trace_functions_graph import (
    format_duration, overhead_mark, proc_column, write_function_graph)
from glasskernel.kernel.trace.tracepoint import TraceEvent

HEADER = """\
# tracer: function_graph
#
# CPU  TASK/PID         DURATION                  FUNCTION CALLS
# |     |    |           |   |                     |   |   |   |
"""
RULE = " ------------------------------------------"


def ev(ts, pid, ph, name, /, _comm="busybox", **args):
    """An event of task pid (named _comm); args may have a "pid" or "comm" of their own."""
    return TraceEvent(ts, 0, pid, pid, _comm, ph, name, args)


def graph(events, filter=None) -> str:
    out = io.StringIO()
    write_function_graph(events, out, filter)
    return out.getvalue()


def clone_scenario() -> list:
    """pid 2 forks pid 3 and sleeps in schedule(); pid 3 runs, then pid 2 returns."""
    return [
        ev(0, 2, "B", "__x64_sys_clone", nr=56),
        ev(1000, 2, "B", "kernel_clone", flags="SIGCHLD"),
        ev(2000, 2, "B", "copy_process", flags="SIGCHLD"),
        ev(3000, 2, "B", "alloc_pid"),
        ev(6215, 2, "E", "alloc_pid", ret=3),
        ev(7000, 2, "i", "task_newtask", pid=3, ppid=2, comm="busybox", flags="SIGCHLD"),
        ev(52000, 2, "E", "copy_process", ret=3),
        ev(53000, 2, "B", "schedule"),
        ev(54000, 2, "i", "sched_switch", prev_pid=2, prev_comm="busybox", prev_state="R",
           next_pid=3, next_comm="busybox"),
        ev(60000, 3, "B", "ret_from_fork", rax=0),
        ev(61000, 3, "B", "schedule_tail"),
        ev(61500, 3, "E", "schedule_tail"),
        ev(62000, 3, "E", "ret_from_fork"),
        ev(63000, 3, "B", "do_wait"),
        ev(64000, 3, "E", "do_wait", error="ECHILD"),
        ev(250000, 2, "E", "schedule"),
        ev(1_300_000, 2, "E", "kernel_clone", ret=3),
        ev(1_400_000, 2, "E", "__x64_sys_clone", ret=3),
    ]


def test_graph_nesting_leaves_banner_retval_and_error():
    expected = HEADER + f"""\
 0)   busybox-2    |               |  __x64_sys_clone(nr=56) {{
 0)   busybox-2    |               |    kernel_clone(flags=SIGCHLD) {{
 0)   busybox-2    |               |      copy_process(flags=SIGCHLD) {{
 0)   busybox-2    |   3.215 us    |        alloc_pid(); /* = 3 */
 0)   busybox-2    |               |        /* task_newtask: pid=3 ppid=2 comm=busybox flags=SIGCHLD */
 0)   busybox-2    | + 50.000 us   |      }} /* copy_process = 3 */
 0)   busybox-2    |               |      schedule() {{
 0)   busybox-2    |               |        /* sched_switch: prev_pid=2 prev_comm=busybox prev_state=R next_pid=3 next_comm=busybox */
{RULE}
 0)   busybox-2    =>   busybox-3   
{RULE}

 0)   busybox-3    |               |  ret_from_fork(rax=0) {{
 0)   busybox-3    |   0.500 us    |    schedule_tail();
 0)   busybox-3    |   2.000 us    |  }} /* ret_from_fork */
 0)   busybox-3    |   1.000 us    |  do_wait(); /* = -ECHILD */
{RULE}
 0)   busybox-3    =>   busybox-2   
{RULE}

 0)   busybox-2    | ! 197.000 us  |      }} /* schedule */
 0)   busybox-2    | # 1299.000 us |    }} /* kernel_clone = 3 */
 0)   busybox-2    | # 1400.000 us |  }} /* __x64_sys_clone = 3 */
"""
    assert graph(clone_scenario()) == expected


def test_graph_filter_keeps_matching_calls_their_insides_and_banners():
    expected = HEADER + f"""\
 0)   busybox-2    |               |  copy_process(flags=SIGCHLD) {{
 0)   busybox-2    |   3.215 us    |    alloc_pid(); /* = 3 */
 0)   busybox-2    |               |    /* task_newtask: pid=3 ppid=2 comm=busybox flags=SIGCHLD */
 0)   busybox-2    | + 50.000 us   |  }} /* copy_process = 3 */
{RULE}
 0)   busybox-2    =>   busybox-3   
{RULE}

 0)   busybox-3    |   1.000 us    |  do_wait(); /* = -ECHILD */
"""
    assert graph(clone_scenario(), ["copy_*", "do_wait"]) == expected
    assert graph(clone_scenario(), ["no_such_function"]) == HEADER


def test_graph_is_a_pure_function_of_the_events():
    events = clone_scenario()
    assert graph(events) == graph(list(events))


def test_graph_unclosed_and_unmatched_calls():
    """A call left open (exit or exec inside it) is dropped when an outer one returns; a
    return whose entry was not recorded is shown without a duration."""
    events = [
        ev(0, 5, "B", "outer", _comm="sh"),
        ev(1000, 5, "B", "inner", _comm="sh"),
        ev(2000, 5, "i", "timer_tick", _comm="sh"),
        ev(5000, 5, "E", "outer", _comm="sh", ret=0),
        ev(6000, 5, "E", "lost", _comm="sh", ret=7),
        ev(7000, 5, "B", "fails", _comm="sh"),
        ev(9000, 5, "E", "fails", _comm="sh", error="GreenletExit"),
    ]
    expected = HEADER + """\
 0)      sh-5      |               |  outer() {
 0)      sh-5      |               |    inner() {
 0)      sh-5      |               |      /* timer_tick */
 0)      sh-5      |   5.000 us    |  } /* outer = 0 */
 0)      sh-5      |               |  } /* lost = 7 */
 0)      sh-5      |   2.000 us    |  fails(); /* raised GreenletExit */
"""
    assert graph(events) == expected


def test_graph_arguments_lists_and_extra_return_values():
    events = [
        ev(0, 2, "B", "__x64_sys_wait4", nr=61, args=["0xffffffff", "0x0"]),
        ev(4000, 2, "E", "__x64_sys_wait4", ret=-10, note="no child"),
    ]
    expected = HEADER + """\
 0)   busybox-2    |   4.000 us    |  __x64_sys_wait4(nr=61, args=[0xffffffff, 0x0]); /* = -10, note=no child */
"""
    assert graph(events) == expected


def test_duration_column_follows_ftrace():
    assert format_duration(3215) == "3.215 us    "
    assert format_duration(50_000) == "50.000 us   "
    assert format_duration(1_299_000) == "1299.000 us "
    assert format_duration(12_345_678) == "12345.67 us "
    assert format_duration(123_456_789) == "123456.7 us "
    assert format_duration(1_234_567_890) == "1234567 us  "
    assert format_duration(0) == "0.000 us    "


def test_overhead_marks():
    assert [overhead_mark(ns) for ns in (10_000, 10_001, 100_001, 1_000_001, 10_000_001,
                                         100_000_001, 1_000_000_001)] == \
        [" ", "+", "!", "#", "*", "@", "$"]
    assert overhead_mark(100_000) == "+"


def test_proc_column_is_centred_and_names_idle_and_unnamed_tasks():
    assert proc_column(2, "busybox") == "  busybox-2   "
    assert proc_column(0, "swapper/0") == "   <idle>-0   "
    assert proc_column(2, "") == "   <...>-2    "
    assert proc_column(1234, "very_long_name") == " very_lo-1234 "
    assert proc_column(123456, "kworker/u8") == "kworker-123456"


# ----- the process tree ------------------------------------------------------------------

def tree_recorder() -> Recorder:
    rec = Recorder()
    rec.add_first_process(SimpleNamespace(pid=2, comm="busybox"),
                          ["/bin/busybox", "sh", "-c", "x"], "/bin/busybox", ts=0)
    for event in (
        ev(1_000_000, 2, "i", "task_newtask", pid=4, ppid=2, comm="busybox", flags="0"),
        ev(2_000_000, 2, "i", "task_newtask", pid=3, ppid=2, comm="busybox", flags="0"),
        ev(2_500_000, 4, "i", "sched_process_exec", _comm="cat", comm="cat", pid=4,
           filename="/bin/cat", argv=["cat", "-n"]),
        ev(3_000_000, 4, "i", "task_newtask", _comm="cat", comm="cat", pid=5, ppid=4,
           flags="SIGCHLD"),
        ev(3_500_000, 5, "i", "task_newtask", _comm="cat", comm="cat", pid=6, ppid=5,
           flags="SIGCHLD"),
        ev(4_000_000, 3, "i", "sched_process_exit", pid=3, code=0),
        ev(4_250_000, 6, "i", "sched_process_exit", _comm="cat", pid=6, code=0x80 | 11),
        ev(4_500_000, 5, "i", "sched_process_exit", _comm="cat", pid=5, code=15),
        ev(5_000_000, 4, "i", "sched_process_exit", _comm="cat", pid=4, code=3 << 8),
    ):
        rec(event)
    return rec


def test_process_tree_branches_children_in_pid_order_and_endings():
    out = io.StringIO()
    write_process_tree(tree_recorder(), out)
    assert out.getvalue() == """\
busybox(2) /bin/busybox sh -c x  [running, 5.000 ms so far]
├─busybox(3) /bin/busybox sh -c x  [exit 0, 2.000 ms]
└─cat(4) cat -n  [exit 3, 4.000 ms]
  └─cat(5) cat -n  [killed by SIGTERM, 1.500 ms]
    └─cat(6) cat -n  [killed by SIGSEGV (core dumped), 0.750 ms]
"""


def test_process_tree_uses_the_last_name_a_task_had():
    """busybox execs /proc/self/exe (comm "exe"), then prctl(PR_SET_NAME) says "cat"."""
    rec = Recorder()
    rec.add_first_process(SimpleNamespace(pid=2, comm="exe"), ["cat"], "/proc/self/exe")
    rec(ev(1000, 2, "i", "syscall", _comm="cat", call="getuid", nr=102, ret=0))
    rec(ev(2000, 2, "i", "sched_process_exit", _comm="cat", pid=2, code=0))
    out = io.StringIO()
    write_process_tree(rec, out)
    assert out.getvalue() == "cat(2) cat  [exit 0, 0.002 ms]\n"


def test_command_line_is_quoted_and_shortened():
    assert command_line(["echo", "a b", "$x"]) == "echo 'a b' '$x'"
    long = command_line(["sh", "-c", "echo " + "x" * 100])
    assert len(long) == 60 and long.endswith("...") and long.startswith("sh -c 'echo xxx")


def test_exit_status_text():
    assert exit_status_text(0) == "exit 0"
    assert exit_status_text(42 << 8) == "exit 42"
    assert exit_status_text(9) == "killed by SIGKILL"
    assert exit_status_text(0x80 | 6) == "killed by SIGABRT (core dumped)"

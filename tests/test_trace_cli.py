"""`glasskernel trace` (the function graph of a run) and `glasskernel run --tree`.

    glasskernel trace [--filter PATTERN]... [-o FILE] [--deterministic] PROGRAM [ARGS...]
    glasskernel run --tree PROGRAM [ARGS...]

The graph is written after the program's own output (stdout, or -o FILE) in ftrace's
function_graph layout; the tree goes to stderr. Timings vary between runs, so these
tests look at structure: which kernel functions appear, the banners between tasks, the
tree's branches and exit statuses.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

import harness

BUSYBOX = "/bin/busybox"
HEADER = ("# tracer: function_graph\n#\n"
          "# CPU  TASK/PID         DURATION                  FUNCTION CALLS\n"
          "# |     |    |           |   |                     |   |   |   |\n")
PIPELINE = [BUSYBOX, "sh", "-c", "echo hi | cat"]

pytestmark = pytest.mark.skipif(not os.path.exists(BUSYBOX),
                                reason="busybox-static not installed (/bin/busybox)")


def glasskernel(*args, timeout=harness.GLASSKERNEL_TIMEOUT):
    """Run `python -m glasskernel ARGS...` (or $GLASSKERNEL_TEST_COMMAND ARGS...)."""
    base = shlex.split(os.environ.get("GLASSKERNEL_TEST_COMMAND", "")) or \
        [sys.executable, "-m", "glasskernel"]
    proc = subprocess.run([*base, *[str(a) for a in args]], env=harness._env(None),
                          input=b"", capture_output=True, timeout=timeout)
    harness.assert_no_traceback(proc.stderr)
    return proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"), \
        proc.returncode


def graph_lines(text: str) -> list[str]:
    """The graph's call lines: ' 0)  comm-pid  |  duration  |  function column'."""
    return [line for line in text.splitlines() if re.match(r"^ \d+\) .* \| .*\|  ", line)]


def function_column(line: str) -> str:
    return line.split("|", 2)[2][2:]


def require_instrumentation(graph: str) -> None:
    """The header is always there; without the fork tracepoints there is nothing to test."""
    assert HEADER in graph
    if "copy_process(" not in graph:
        pytest.skip("the recording has no copy_process: kernel/fork.py is not instrumented yet")


@pytest.fixture(scope="module")
def pipeline_trace():
    return glasskernel("trace", *PIPELINE)


def test_trace_writes_program_output_then_function_graph(pipeline_trace):
    out, err, rc = pipeline_trace
    assert rc == 0, err
    assert out.startswith("hi\n" + HEADER), out[:500]
    require_instrumentation(out)


def test_a_pipe_read_that_sleeps_is_one_call(pipeline_trace):
    """cat's reads that wait are tried in the syscall hook first and run again on the slow
    path; Linux makes one pipe_read call, so the graph shows the one inside the read
    syscall, not a stray leaf returning "wait=park" before it."""
    out, _err, _rc = pipeline_trace
    require_instrumentation(out)
    assert "wait=park" not in out
    reads = [function_column(line).strip() for line in graph_lines(out) if "pipe_read" in line]
    assert any(r.startswith("pipe_read(") and r.endswith("{") for r in reads), reads
    assert all(r.endswith("{") or re.search(r"pipe_read(\(.*\);)? /\* (pipe_read )?= \d+ \*/$", r)
               or r.startswith("} /* pipe_read = ") for r in reads), reads


def test_trace_shows_fork_exec_and_the_child_returning(pipeline_trace):
    out, _err, _rc = pipeline_trace
    require_instrumentation(out)
    calls = [function_column(line).strip() for line in graph_lines(out)]
    for name in ("kernel_clone(", "copy_process(", "ret_from_fork(", "load_elf_binary("):
        assert any(call.startswith(name) for call in calls), f"no {name}...) line in:\n{out}"
    # two forks (echo's subshell and cat), each child returning through ret_from_fork
    assert sum(call.startswith("copy_process(") for call in calls) == 2
    assert len({line.split("|")[0] for line in graph_lines(out)
                if function_column(line).strip().startswith("ret_from_fork(")}) == 2
    # copy_process returns the child's pid, alloc_pid collapses to one line with it
    assert re.search(r"\} /\* copy_process = \d+ \*/", out)
    assert re.search(r"\|  +alloc_pid\(\); /\* = \d+ \*/", out)


def test_trace_marks_context_switches_with_ftrace_banners(pipeline_trace):
    out, _err, _rc = pipeline_trace
    require_instrumentation(out)
    banner = re.compile(r"^ -{42}\n \d+\) +\S+-\d+ +=> +\S+-\d+ *\n -{42}\n\n", re.M)
    assert len(banner.findall(out)) >= 2, out
    columns = re.compile(r"^ \d+\) [ \S]{14} \| ([ +!#*@$] [\d.]+ us +|              )\|  ")
    for line in graph_lines(out):
        assert columns.match(line), line


def test_trace_to_file_is_deterministic_with_deterministic(tmp_path):
    graphs = []
    for n in range(2):
        path = tmp_path / f"graph{n}.txt"
        out, err, rc = glasskernel("trace", "--deterministic", "-o", path, *PIPELINE)
        assert rc == 0, err
        assert out == "hi\n"
        graphs.append(path.read_text())
    assert graphs[0].startswith(HEADER)
    require_instrumentation(graphs[0])
    assert graphs[0] == graphs[1]


def test_trace_filter_shows_only_the_matching_calls_and_their_insides():
    out, err, rc = glasskernel("trace", "--filter", "copy_process", *PIPELINE)
    assert rc == 0, err
    require_instrumentation(out)
    calls = [function_column(line) for line in graph_lines(out)]
    outermost = [c for c in calls if not c.startswith(" ")]
    assert outermost, out
    assert all(c.startswith(("copy_process(", "} /* copy_process")) for c in outermost), \
        "\n".join(outermost)
    assert any(c.strip().startswith("alloc_pid()") for c in calls)
    assert not any("kernel_clone" in c or "__x64_sys" in c for c in calls)


def tree_lines(err: str) -> list[str]:
    """The tree's lines with lifetimes (timing-dependent) replaced by T."""
    return [re.sub(r"\d+\.\d{3} ms", "T ms", line) for line in err.splitlines()
            if re.match(r"^([│ ]*[├└]─)?\S+\(\d+\) ", line)]


def test_run_tree_last_command_is_exec_d_in_place():
    """busybox sh execs its last command without forking: pid 2 becomes sh -c 'exit 3'."""
    out, err, rc = glasskernel("run", "--tree", BUSYBOX, "sh", "-c",
                               '/bin/busybox true; /bin/busybox sh -c "exit 3"')
    assert rc == 3, err
    assert out == ""
    assert tree_lines(err) == [
        "busybox(2) /bin/busybox sh -c 'exit 3'  [exit 3, T ms]",
        "└─busybox(3) /bin/busybox true  [exit 0, T ms]",
    ], err


def test_run_tree_children_in_pid_order():
    out, err, rc = glasskernel("run", "--tree", "--deterministic", BUSYBOX, "sh", "-c",
                               '/bin/busybox true; /bin/busybox sh -c "exit 3"; exit $?')
    assert rc == 3, err
    assert tree_lines(err) == [
        "busybox(2) /bin/busybox sh -c '/bin/busybox true; /bin/busybox sh -c...  [exit 3, T ms]",
        "├─busybox(3) /bin/busybox true  [exit 0, T ms]",
        "└─busybox(4) /bin/busybox sh -c 'exit 3'  [exit 3, T ms]",
    ], err


def test_run_tree_shows_a_killed_child():
    # kill once the child sleeps, i.e. has exec'd sleep (killed before its exec, the tree
    # would show the shell's command line): a builtin loop on /proc/PID/stat waits for that
    script = ("/bin/busybox sleep 5 & "
              "until read -r s < /proc/$!/stat && case $s in *') S '*) true;; *) false;; esac; "
              "do :; done; /bin/busybox kill $!; wait")
    _out, err, rc = glasskernel("run", "--tree", BUSYBOX, "sh", "-c", script)
    assert rc == 0, err
    lines = tree_lines(err)
    assert lines[0].startswith("busybox(2) ")
    killed = re.compile(r"^[├└]─busybox\(\d+\) /bin/busybox sleep 5  \[killed by SIGTERM, T ms\]$")
    assert any(killed.match(line) for line in lines), err


@pytest.mark.parametrize("args, message", [
    (["trace"], "no PROGRAM given"),
    (["run", "--filter", "x", BUSYBOX, "true"], "unknown option --filter"),
    (["run", "-o", "f", BUSYBOX, "true"], "unknown option -o"),
    (["trace", "-o", "/nonexistent-dir/graph.txt", BUSYBOX, "true"], "no such directory"),
    (["run", "--timeline", "/nonexistent-dir/t.html", BUSYBOX, "true"], "no such directory"),
    (["trace", "--filter"], "--filter needs a value"),
])
def test_trace_usage_errors(args, message):
    out, err, rc = glasskernel(*args)
    assert rc == 2
    assert message in err
    assert out == ""


def test_do_wait_returns_the_pid_as_linux(build):
    """The graph shows do_wait's value as Linux's do_wait returns it: the reported child's
    pid (wait4 passes it on; waitid returns 0 but do_wait still found the pid), 0 for
    WNOHANG with the child still busy. It showed 0 where Linux returns the pid."""
    exe = build("wait_values", "musl")
    harness.differential([exe])              # the program's answers are Linux's
    out, err, rc = glasskernel("trace", "--filter", "__x64_sys_wait*", exe)
    assert rc == 0, err
    assert "WNOHANG: 0\nwaitid: 0, si_pid is the child: 1, si_status 5\n" in out
    assert "wait4 is the child: 1, status 5\n" in out
    returns = re.findall(r"(?:\} /\* (__x64_sys_wait\w+|do_wait) = |(do_wait)\(\); /\* = )(-?\d+) \*/",
                         out)
    calls = [(a or b, int(n)) for a, b, n in returns]
    child = next(n for name, n in calls if name == "__x64_sys_wait4" and n > 0)
    assert calls == [("do_wait", 0), ("__x64_sys_wait4", 0),
                     ("do_wait", child), ("__x64_sys_waitid", 0),
                     ("do_wait", child), ("__x64_sys_wait4", child)], calls

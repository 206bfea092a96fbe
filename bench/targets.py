"""The speed targets of the benchmark issue, checked against one run of the suite.

bench/run.py appends ``section(results)`` to its report: each target with what this run
measured and whether it is met; for a missed one, by how much and what the profile
(py-spy and cProfile runs of the same workload, see docs/benchmarks.md) shows.
"""


def _median(res, runner):
    x = res.get(runner)
    if not x or "error" in x or x["median"] <= 0:
        return None
    return x["median"]


def _ratio(res, a, b):
    ma, mb = _median(res, a), _median(res, b)
    return None if ma is None or mb is None else ma / mb


def _us(seconds):
    return f"{seconds * 1e6:.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def _ratio_at_most(peer: str, limit: float, digits: int = 2):
    """A check: glasskernel's median ÷ peer's is at most limit."""
    def check(res):
        ratio = _ratio(res, "glasskernel", peer)
        if ratio is None:
            return "n/a", None
        return f"{ratio:.{digits}f}× {peer}", ratio <= limit
    return check


def _getpid(res):
    gk, faster = _median(res, "glasskernel"), _ratio(res, "qiling", "glasskernel")
    if gk is None:
        return "n/a", None
    if faster is None:                      # no Qiling in this run
        return _us(gk), gk <= 3e-6
    return f"{_us(gk)}, {faster:.0f}× faster than Qiling", gk <= 3e-6 and faster >= 20


def _fork_exec_wait(res):
    ratio, gk = _ratio(res, "glasskernel", "qemu-all"), _median(res, "glasskernel")
    if ratio is None or gk is None:
        return "n/a", None
    return f"{ratio:.2f}× qemu-all, {_us(gk)}", ratio <= 0.2 and gk <= 3e-3


# (workload, target, check(results of that workload) -> (measured text, met or None))
TARGETS = [
    ("getpid", "≤ 3 µs per syscall (≥ 20× faster than Qiling)", _getpid),
    ("compute", "≤ 1.3× qemu-user, preemption included", _ratio_at_most("qemu-user", 1.3)),
    ("fork_wait", "≤ 1.0× qemu-user", _ratio_at_most("qemu-user", 1.0)),
    ("fork_exec_wait", "≤ 0.2× qemu-all and ≤ 3 ms", _fork_exec_wait),
    ("pipe_pingpong", "≤ 3× qemu-user", _ratio_at_most("qemu-user", 3.0, digits=1)),
    ("busybox_true_loop", "≤ 0.15× qemu-all", _ratio_at_most("qemu-all", 0.15)),
]

# What the profiles show, for the report of a missed target.
PROFILE_NOTES = {
    "getpid": (
        "Per syscall, about 1.5 µs is Unicorn's: before it calls any hook it rebuilds the "
        "guest pc from the translated block (`cpu_restore_state`, ~20% of samples). The "
        "ctypes callback into Python costs ~0.6 µs and `do_syscall_64` with `sys_getpid` "
        "~1 µs. The C shim already removed every ctypes call from the path; what is left "
        "is the Python kernel itself and the emulator's hook entry."),
    "compute": (
        "The loop runs as one unbounded run on the CPU instance without the tick hook, so "
        "no glasskernel code runs while it computes: compare the `cpu-floor` row, the same "
        "instructions on a bare glasskernel CPU with no kernel. What remains is Unicorn's: softmmu "
        "with paging, and an exit-request check at the start of every translated block, "
        "against qemu-user's direct host addressing. Preemption, when on, adds a C block "
        "hook of a few ns per block (not per instruction)."),
    "pipe_pingpong": (
        "A round trip is two context switches and four syscalls, about 400 Python calls: "
        "`schedule` with CFS accounting (`update_curr`, `pick_next_task`), wait-queue wake "
        "and sleep, `switch_mm`, saving and loading registers and FPU state, and the pipe "
        "read and write. The emulator's share is about 10%. Going further means a leaner "
        "switch path, not faster emulation."),
    "busybox_true_loop": (
        "Per iteration (cProfile of 100 iterations): emulating busybox itself is about "
        "a third; ~50 page faults (fault-around of 16 pages, Linux's default 64 KiB, and "
        "COW after the shell's fork) about a quarter, each a Python call chain of "
        "~25 µs; fork, exec, exit and wait (page-table copy and zap, ELF loading, path "
        "lookups on the host) most of the rest. Next: fewer full TLB flushes (a "
        "permission upgrade needs none; the emulator has no per-page flush), and a "
        "leaner fault path."),
    "fork_exec_wait": (
        "Faults of the exec'd program and the fork's page-table copy dominate; see "
        "busybox_true_loop."),
    "fork_wait": ("`copy_page_range` and the child's COW faults dominate."),
}

MEMORY_NOTE = (
    "Memory (not timed here): `tests/test_many_processes.py` starts 1,000 sleeping "
    "processes in one run and checks that each costs well under 2 MB of host memory "
    "beyond its touched pages (about 100 KB measured).")


def section(results) -> str:
    """The targets as a markdown section, from bench/run.py's results list."""
    by_name = {w.name: res for w, (res, _n, _n0) in results}
    lines = ["## Targets (this run)\n",
             "| workload | target | measured (median) | met |", "|---|---|---|---|"]
    missed = []
    for name, target, check in TARGETS:
        if name not in by_name:
            continue
        measured, met = check(by_name[name])
        verdict = "n/a" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {name} | {target} | {measured} | {verdict} |")
        if met is False:
            missed.append(name)
    lines.append("")
    lines.append(MEMORY_NOTE + "\n")
    if missed:
        lines.append("### Missed targets: what the profile shows\n")
        for name in missed:
            lines.append(f"* **{name}**: {PROFILE_NOTES.get(name, 'not profiled yet.')}")
        lines.append("")
    return "\n".join(lines)

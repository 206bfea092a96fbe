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


def gk_ratio(res, peer):
    """glasskernel's time ÷ peer's: the paired median (bench/run.py: paired_ratios) when
    the run has it, else the ratio of the two medians."""
    if _median(res, "glasskernel") is None or _median(res, peer) is None:
        return None
    paired = res["glasskernel"].get("paired", {}).get(peer)
    return paired if paired is not None else _median(res, "glasskernel") / _median(res, peer)


def _ratio(res, a, b):
    if a == "glasskernel":
        return gk_ratio(res, b)
    if b == "glasskernel":
        inverse = gk_ratio(res, a)
        return None if not inverse else 1 / inverse
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
        "Per syscall: Unicorn's hook entry (the patched build no longer rebuilds eip from "
        "the translated block first), ~0.6 µs for the ctypes callback into Python, and "
        "~1 µs of `do_syscall_64` and `sys_getpid`. No ctypes call is left on the path."),
    "compute": (
        "The loop runs as one unbounded run on the CPU instance without the tick hook, so "
        "no glasskernel code runs while it computes: compare the `cpu-floor` row, the same "
        "instructions on a bare glasskernel CPU with no kernel. With the patched Unicorn "
        "(`glasskernel build-emulator`) a translated block starts with an inline exit "
        "check, as in QEMU; the stock library calls a helper there instead (~1.5x "
        "qemu-user). The machine section says which library ran."),
    "pipe_pingpong": (
        "A round trip never leaves the emulator (design.md, parked tasks): per half trip "
        "a write that wakes the parked reader, a read that parks (ERESTART_PARK), the "
        "switch inside the hook (`__schedule`'s bookkeeping, one C call for the contexts "
        "and CR3) and the woken reader's read run again. Counted with cachegrind in steady "
        "state (`bench/instructions.py --no-preempt pipe_pingpong`): ~184k host "
        "instructions per round trip (311k two rounds of work ago): the patched Unicorn "
        "no longer clears its 32 KiB jump cache at each CR3 load, the kernel keeps its "
        "own TLB for user copies (no page walk for the four one-byte copies), and the "
        "interpreter now caches the hot attributes (task.state and a forked task's "
        "thread_struct had made it take the generic path). What is left is ~3,000 "
        "bytecodes and ~95 Python calls, spread thin: dispatch, the scheduler (wake-up, "
        "update_curr, pick), park and switch glue, read/write and the pipe, in about "
        "equal parts. This machine's speed drifts: within one run a round trip moved "
        "between ~27 and ~48 µs over seconds while qemu-user stayed near 17 µs, so the "
        "paired ratio moves by ±20% from run to run."),
    "busybox_true_loop": (
        "Per iteration: emulating sh and busybox (TLB refills and jump-cache misses after "
        "each CR3 load among it), execve, fork, a few read faults (the 2 MiB fault-around "
        "window maps the cached pages of busybox's text), copy-on-write faults, exit. "
        "Counted with cachegrind: ~7.2M host instructions per iteration (8.5M two rounds "
        "of work ago: the patched Unicorn stopped clearing its whole jump cache at every "
        "TLB flush; fault-around writes each window from a packed run the page cache "
        "keeps). "
        "Of the Python, page faults (~30 per iteration, ~14 µs each), execve and fork "
        "are the largest parts; the per-page reference counts of mapping and unmapping "
        "(~250 pages each way) come next."),
    "fork_exec_wait": (
        "Faults of the exec'd program and the exec itself dominate; see "
        "busybox_true_loop."),
    "fork_wait": ("`copy_page_range` of the anonymous areas and the child's COW faults "
                  "dominate."),
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

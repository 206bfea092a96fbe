"""The fair scheduling class, CFS-like (kernel/sched/fair.c).

Each runnable task has a virtual runtime that advances by its real runtime scaled by
NICE_0_LOAD / weight: a heavier (lower nice) task's clock runs slower, so it is picked
more often. The run queue picks the smallest vruntime. A new task starts at the queue's
min_vruntime plus one slice (``place_entity`` with START_DEBIT), so with
sched_child_runs_first off the parent keeps the CPU after fork.
"""
from dataclasses import dataclass

NICE_0_LOAD = 1024
# sched_prio_to_weight[]: nice -20 .. 19, each step ~1.25x.
PRIO_TO_WEIGHT = (
    88761, 71755, 56483, 46273, 36291,
    29154, 23254, 18705, 14949, 11916,
    9548, 7620, 6100, 4904, 3906,
    3121, 2501, 1991, 1586, 1277,
    1024, 820, 655, 526, 423,
    335, 272, 215, 172, 137,
    110, 87, 70, 56, 45,
    36, 29, 23, 18, 15,
)
SCHED_LATENCY_NS = 6_000_000           # sysctl_sched_latency
MIN_GRANULARITY_NS = 750_000           # sysctl_sched_min_granularity
WAKEUP_GRANULARITY_NS = 1_000_000      # sysctl_sched_wakeup_granularity
SCHED_NR_LATENCY = 8


@dataclass(eq=False)
class SchedEntity:
    """sched_entity: a task's place in the fair class."""

    vruntime: int = 0
    weight: int = NICE_0_LOAD
    sum_exec_runtime: int = 0
    prev_sum_exec_runtime: int = 0     # at the last pick: how long it has run this turn
    exec_start: int = 0


def nice_to_weight(nice: int) -> int:
    return PRIO_TO_WEIGHT[max(-20, min(19, nice)) + 20]


def calc_delta_fair(delta_ns: int, se: SchedEntity) -> int:
    """Real time → virtual time for this entity's weight."""
    if se.weight == NICE_0_LOAD:
        return delta_ns
    return delta_ns * NICE_0_LOAD // se.weight


def sched_period(nr_running: int) -> int:
    if nr_running > SCHED_NR_LATENCY:
        return nr_running * MIN_GRANULARITY_NS
    return SCHED_LATENCY_NS


def sched_slice(rq, se: SchedEntity) -> int:
    """The wall-clock share of one period this entity should get."""
    total = sum(t.se.weight for t in rq.queued) + (rq.curr.se.weight if rq.curr.on_rq else 0)
    total = max(total, se.weight)
    return sched_period(rq.nr_running()) * se.weight // total


def update_curr(rq, now: int) -> None:
    """Charge the running task for the time since it was last charged."""
    curr = rq.curr
    if curr is rq.idle:
        return
    se = curr.se
    delta = now - se.exec_start
    if delta <= 0:
        return
    se.exec_start = now
    se.sum_exec_runtime += delta
    # calc_delta_fair, spelled out: this runs at every wake-up and switch.
    se.vruntime += delta if se.weight == NICE_0_LOAD else delta * NICE_0_LOAD // se.weight
    rq.update_min_vruntime()


def place_entity(rq, se: SchedEntity, initial: bool) -> None:
    """Where a task enters the timeline: new tasks one slice behind, sleepers not too far ahead."""
    vruntime = rq.min_vruntime
    if initial:
        vruntime += calc_delta_fair(sched_slice(rq, se), se)       # START_DEBIT
    else:
        vruntime -= SCHED_LATENCY_NS // 2                         # GENTLE_FAIR_SLEEPERS
    if vruntime > se.vruntime:              # max(), which the interpreter calls generically
        se.vruntime = vruntime


def check_preempt_tick(rq) -> bool:
    """Tick: has the current task used up its slice, or is someone far enough behind?"""
    curr = rq.curr
    if not rq.queued:
        return False
    ran = curr.se.sum_exec_runtime - curr.se.prev_sum_exec_runtime
    if ran > sched_slice(rq, curr.se):
        return True
    if ran < MIN_GRANULARITY_NS:
        return False
    first = rq.leftmost()
    return curr.se.vruntime - first.se.vruntime > sched_slice(rq, curr.se)


def check_preempt_wakeup(rq, woken) -> bool:
    """Should a task just woken take the CPU from the current one?"""
    curr = rq.curr
    if curr is rq.idle:
        return True
    return curr.se.vruntime - woken.se.vruntime > calc_delta_fair(WAKEUP_GRANULARITY_NS, woken.se)

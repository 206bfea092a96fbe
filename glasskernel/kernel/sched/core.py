"""The scheduler core (kernel/sched/core.c): run queue, schedule(), context_switch().

Every task runs on its own kernel stack, a greenlet. ``schedule()`` picks the next task
and ``context_switch`` → ``switch_mm`` (load CR3) → ``switch_to`` (save the outgoing
task's user registers, switch greenlets). The call returns in the *next* task, at the
point where it last called ``schedule()`` — or, for a task that never ran, in
``ret_from_fork``: that is where ``copy_thread`` pointed its kernel stack.

The idle task (pid 0, "swapper") is the main greenlet: it runs when nothing else can,
sleeping on the host until the next timer or host event, and it ends the run when no task is left.
One virtual CPU, one run queue.
"""
from greenlet import getcurrent, greenlet

from glasskernel.arch.x86.kernel.process_64 import restore_user_regs, save_user_regs, switch_user_context
from glasskernel.arch.x86.mm.tlb import switch_mm
from glasskernel.arch.x86.kernel.thread_info import _TIF_NEED_REGS_LOAD, _TIF_NEED_RESCHED, _TIF_PARKED
from glasskernel.kernel.sched.fair import (SchedEntity, check_preempt_tick, check_preempt_wakeup,
                                           nice_to_weight, place_entity, update_curr)
from glasskernel.kernel.sched.park import is_parked
from glasskernel.kernel.sched.wait import signal_pending
from glasskernel.kernel.task import (TASK_DEAD, TASK_NEW, TASK_NORMAL, TASK_RUNNING,
                                     task_state_to_char)
from glasskernel.kernel.trace import tracepoint
from glasskernel.kernel.trace.events import fork_flow
from glasskernel.kernel.trace.tracepoint import trace_enter, trace_event, trace_exit, traced


TICK_NS = 4_000_000          # HZ = 250, Debian's configuration


class RunQueue:
    """struct rq (with its cfs_rq): the runnable tasks of one CPU, ordered by vruntime.

    ``curr.on_rq`` says whether the running task is one of them: the idle task is never
    queued (its on_rq stays False), as Linux's cfs_rq has no curr while idle runs.
    """

    def __init__(self, idle):
        self.idle = idle
        self.curr = idle
        self.queued: list = []          # runnable tasks other than curr
        self.min_vruntime = 0
        self.nr_switches = 0

    def nr_running(self) -> int:
        return len(self.queued) + (1 if self.curr.on_rq else 0)

    def leftmost(self):
        """The queued task with the smallest vruntime (the rbtree's leftmost node)."""
        best = None
        for task in self.queued:
            if best is None or task.se.vruntime < best.se.vruntime:
                best = task
        return best

    def update_min_vruntime(self) -> None:
        """min_vruntime follows the smallest vruntime of curr and the queue, never back."""
        lowest = self.curr.se.vruntime if self.curr.on_rq else None
        for task in self.queued:
            vruntime = task.se.vruntime
            if lowest is None or vruntime < lowest:
                lowest = vruntime
        if lowest is not None and lowest > self.min_vruntime:
            self.min_vruntime = lowest


class Scheduler:
    """What Linux keeps per CPU and in sched/core.c globals, for our one CPU."""

    def __init__(self, kernel, idle_task):
        self.kernel = kernel
        self.idle = idle_task
        idle_task.greenlet = getcurrent()
        idle_task.se = SchedEntity()
        self.rq = RunQueue(idle_task)
        self.last_tick_ns = self.kernel.clock_ns()
        self.spare_stacks: list = []    # greenlets left behind by parked tasks (park.py)
        self.hook_switches = 0          # switches made inside the syscall hook
        self.parked_stack_handoffs = 0  # parked tasks given a kernel stack by switch_to

    # ----- creating and waking ------------------------------------------------------------

    @traced(args=lambda self, p: {"nice": p.nice}, ret=lambda _r: {})
    def sched_fork(self, p) -> None:
        """A new task's scheduling state: same nice as the parent, not yet runnable
        (TASK_NEW: no wake-up can touch it before wake_up_new_task)."""
        p.se = SchedEntity(weight=nice_to_weight(p.nice))
        p._state = TASK_NEW
        p.on_rq = False

    @traced(args=lambda self, p: {"pid": p.pid}, ret=lambda _r: {}, flow=fork_flow)
    def wake_up_new_task(self, p) -> None:
        """First enqueue of a forked task: placed one slice behind (child does not run first)."""
        p._state = TASK_RUNNING
        update_curr(self.rq, self.kernel.clock_ns())
        place_entity(self.rq, p.se, initial=True)
        self._enqueue(p)

    def try_to_wake_up(self, p, state: int = TASK_NORMAL) -> bool:
        """Make p runnable if it sleeps in one of the state bits (TASK_NORMAL: any plain
        sleep); preempt the current task if the sleeper deserves it."""
        if not p._state & state:
            return False
        p._state = TASK_RUNNING
        if tracepoint._active is not None:
            trace_event("sched_wakeup", pid=p.pid, comm=p.comm)
        if not p.on_rq:
            rq = self.rq
            update_curr(rq, self.kernel.clock_ns())
            place_entity(rq, p.se, False)
            self._enqueue(p)
            if check_preempt_wakeup(rq, p):
                self.resched_curr()
        return True

    def resched_curr(self) -> None:
        """Ask the running task to switch at its next chance: TIF_NEED_RESCHED on rq->curr
        (the idle task included: its loop schedules anyway)."""
        self.rq.curr.thread.flags |= _TIF_NEED_RESCHED

    def _enqueue(self, p) -> None:
        p.on_rq = True
        rq = self.rq
        if p is not rq.curr and p not in rq.queued:
            rq.queued.append(p)

    def dequeue(self, p) -> None:
        p.on_rq = False
        if p in self.rq.queued:
            self.rq.queued.remove(p)

    # ----- the tick -----------------------------------------------------------------------

    def tick_due(self, now: int) -> bool:
        """Has a timer period (HZ=250: 4 ms) passed since the last tick? (now: the clock
        the caller just read)"""
        return now - self.last_tick_ns >= TICK_NS

    def scheduler_tick(self) -> None:
        """Timer interrupt: charge the current task and ask for a switch if its slice is up."""
        trace_event("timer_tick")
        self.last_tick_ns = self.kernel.clock_ns()
        self.kernel.timekeeper.refresh_offsets()    # update_wall_time: a stepped host clock
        self.kernel.hrtimers.run_expired()
        self.kernel.host_io.poll_now(self.kernel)
        self.kernel.host_io.deliver()
        update_curr(self.rq, self.kernel.clock_ns())
        if self.rq.curr is not self.idle and check_preempt_tick(self.rq):
            self.resched_curr()

    def set_user_nice(self, p, nice: int) -> None:
        p.nice = max(-20, min(19, nice))
        p.se.weight = nice_to_weight(p.nice)

    def yield_task(self, p) -> None:
        """sched_yield: go behind every other runnable task for this turn."""
        if self.rq.queued:
            p.se.vruntime = max(p.se.vruntime, max(t.se.vruntime for t in self.rq.queued) + 1)
            self.resched_curr()

    # ----- schedule -----------------------------------------------------------------------

    def pick_next_task(self):
        """The runnable task with the smallest vruntime (curr included), else idle."""
        rq = self.rq
        best = rq.leftmost()
        curr = rq.curr
        if (curr.on_rq and curr._state == TASK_RUNNING
                and (best is None or curr.se.vruntime < best.se.vruntime)):
            best = curr
        return self.idle if best is None else best

    def schedule(self) -> None:
        """Give up the CPU: a sleeping task leaves the run queue, the best runnable one runs."""
        if tracepoint.active() is None or self.rq.curr is self.idle:
            self.__schedule()
            return
        trace_enter("schedule")
        self.__schedule()
        trace_exit("schedule")

    def __schedule(self) -> None:
        prev = self.rq.curr
        self.kernel.hrtimers.run_expired()
        now = self.kernel.clock_ns()                # update_rq_clock: one read per pass
        nxt = self._pick_next(prev, now)
        if nxt is not prev:
            self.context_switch(prev, nxt, now)

    def _pick_next(self, prev, now: int):
        """put_prev_task + pick_next_task: charge prev, take it off the run queue if it
        sleeps (back in the queue if it stays runnable), and return the task to run."""
        self._put_prev(prev, now)
        nxt = self.pick_next_task()
        if nxt is not prev:
            self._requeue(prev, nxt)
        return nxt

    def _put_prev(self, prev, now: int) -> None:
        """put_prev_task: charge prev for its run; a prev that sleeps leaves the queue."""
        update_curr(self.rq, now)
        if prev is not self.idle and prev._state != TASK_RUNNING:
            prev.on_rq = False          # dequeue() of curr, which is never in the queue list
        prev.thread.flags &= ~_TIF_NEED_RESCHED    # clear_tsk_need_resched

    def _requeue(self, prev, nxt) -> None:
        """nxt leaves the queue to run; a runnable prev goes back in (a switch it did not
        ask for), a sleeping one counts a voluntary switch."""
        queued = self.rq.queued
        if nxt in queued:
            queued.remove(nxt)
        if prev is not self.idle:
            if prev.on_rq:
                queued.append(prev)
                prev.nivcsw += 1
            else:
                prev.nvcsw += 1

    def _set_curr(self, nxt, now: int) -> None:
        """nxt is the run queue's current task from now on (its run is charged from now)."""
        rq = self.rq
        rq.nr_switches += 1
        rq.curr = nxt
        nxt.se.exec_start = now
        nxt.se.prev_sum_exec_runtime = nxt.se.sum_exec_runtime

    @traced(args=lambda self, prev, nxt, now: {"prev": prev.pid, "next": nxt.pid},
            ret=lambda _r: {})
    def context_switch(self, prev, nxt, now: int) -> None:
        """switch_mm to the next address space, then switch_to its kernel stack (now:
        the run queue's clock, from which nxt's run is charged)."""
        self._set_curr(nxt, now)
        if prev.kernel_entered_ns:              # prev's system time ends here ...
            prev.stime_ns += now - prev.kernel_entered_ns
        prev.kernel_entered_ns = 0
        nxt.kernel_entered_ns = now             # ... and nxt's goes on from here
        if tracepoint._active is not None:
            trace_event("sched_switch", task=prev, prev_pid=prev.pid, prev_comm=prev.comm,
                        prev_state=task_state_to_char(prev), next_pid=nxt.pid, next_comm=nxt.comm)
        # prev's user context leaves the CPU first: the saved copy holds its CR3 too.
        save_user_regs(self.kernel, prev)
        switch_mm(prev, nxt)
        self.switch_to(prev, nxt)

    @traced(args=lambda self, prev, nxt: {"prev": prev.pid, "next": nxt.pid}, ret=lambda _r: {})
    def switch_to(self, prev, nxt) -> None:
        """Run nxt's kernel stack (greenlet); when prev runs again, its user context
        (saved by context_switch) goes back into the CPU.

        A parked task (park.py) has no kernel stack: it gets this one if prev is parked
        too (no greenlet switch at all), else a spare or a new one. A parked prev leaves
        this greenlet behind as a spare, which returns from here when it is given to a
        parked task: that task is then the one running on it."""
        kernel = self.kernel
        kernel.current = nxt
        here = prev.greenlet
        spare = prev is not self.idle and is_parked(prev)
        if spare:
            prev.greenlet = None
        target = nxt.greenlet
        if target is None:
            target = nxt.greenlet = here if spare else self._spare_stack()
            self.parked_stack_handoffs += 1
        if target is not here:
            if spare:
                self.spare_stacks.append(here)
            target.switch()
        # Back in prev: somebody scheduled us again — or, for the idle task, the task we
        # switched to finished its kernel stack (it exited), which returns here. A spare
        # stack comes back for the parked task its switcher made current.
        me = kernel.current if spare else prev
        kernel.current = me
        restore_user_regs(kernel, me)
        curr = self.rq.curr
        if curr is not me and curr.greenlet is not None and curr.greenlet.dead:
            self.rq.curr = me

    def parked_successor(self):
        """The task a parking task may hand the CPU to inside the syscall hook (park.py):
        the only runnable one, itself parked with its context intact and no signal to
        take, and no timer that the run (maybe without a budget) would have to stop for."""
        queued = self.rq.queued
        if len(queued) != 1 or self.kernel.hrtimers.armed():
            return None
        nxt = queued[0]
        thread = nxt.thread
        if (thread is None or thread.flags & (_TIF_PARKED | _TIF_NEED_REGS_LOAD) != _TIF_PARKED
                or not thread.context_saved or nxt.exiting or signal_pending(nxt)):
            return None
        return nxt

    def switch_in_hook(self, prev, nxt, now: int) -> None:
        """schedule() for a task parking in the syscall hook, to the parked nxt: the same
        bookkeeping and context switch, but nxt takes over this kernel stack and the
        emulator run (no greenlet switch, see park.py). nxt is the only runnable task:
        what pick_next_task would return."""
        self._put_prev(prev, now)
        self._requeue(prev, nxt)
        self._set_curr(nxt, now)
        self.hook_switches += 1
        kernel = self.kernel
        switch_user_context(kernel, prev, nxt)
        nxt.greenlet, prev.greenlet = prev.greenlet, None
        kernel.current = nxt

    def _spare_stack(self):
        """A kernel stack for a parked task: a spare greenlet, or a new one."""
        if self.spare_stacks:
            return self.spare_stacks.pop()
        return greenlet(run=self._parked_task_entry, parent=self.idle.greenlet)

    def _parked_task_entry(self) -> None:
        """Where a new stack for a parked task starts: its context back into the CPU,
        then its return-to-user loop (which runs the parked syscall again)."""
        from glasskernel.kernel.entry.common import user_mode_loop
        task = self.kernel.current
        restore_user_regs(self.kernel, task)
        user_mode_loop(task)

    def do_task_dead(self, p) -> None:
        """The final step of an exiting task: TASK_DEAD, off the run queue; its greenlet
        then ends."""
        p._state = TASK_DEAD
        self.dequeue(p)

    def start_task_greenlet(self, p, entry) -> None:
        """The new task's kernel stack: its first switch_to lands in entry (ret_from_fork)."""
        p.greenlet = greenlet(run=lambda: entry(p), parent=self.idle.greenlet)

    # ----- idle ---------------------------------------------------------------------------

    def idle_loop(self, finished) -> None:
        """cpu_idle: run whatever is runnable; otherwise sleep until the next timer."""
        while not finished():
            self.schedule()
            if finished():
                return
            if not self.rq.queued:
                self.kernel.idle_wait(self.kernel.hrtimers.next_expiry_delay())
                self.kernel.hrtimers.run_expired()


def wake_up_state(p, state: int) -> bool:
    """Wake p only from a sleep in one of the state bits (a stop, a killable sleep)."""
    return p.kernel.sched.try_to_wake_up(p, state)


@traced(ret=lambda _r: {})
def schedule_tail(task) -> None:
    """The tail of the first context switch into a new task, called by ret_from_fork:
    CLONE_CHILD_SETTID's tid goes into the child's memory."""
    from glasskernel.kernel.fork import set_child_tid_in_child
    set_child_tid_in_child(task)

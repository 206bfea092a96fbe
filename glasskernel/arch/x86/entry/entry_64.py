"""Where a new task's kernel stack begins (arch/x86/entry/entry_64.S: ret_from_fork).

``copy_thread`` points every new task here. Its first ``switch_to`` therefore does not
return into ``schedule()`` like an ordinary switch: it starts this function, which
finishes the switch (``schedule_tail``, in kernel/sched/core.py) and then returns to user
mode with the registers ``copy_thread`` prepared — rax = 0, which is why fork returns 0
in the child.
"""
from glasskernel.arch.x86.segment import USER32_CS
from glasskernel.kernel.entry.common import user_mode_loop
from glasskernel.kernel.sched.core import schedule_tail
from glasskernel.kernel.trace.tracepoint import active, trace_enter, trace_exit


def ret_from_fork(task) -> None:
    if active() is not None and not task.kthread:
        regs = task.thread.regs
        flow = task.fork_flow
        names = ("eax", "eip", "esp") if task.thread.user_cs == USER32_CS else ("rax", "rip", "rsp")
        trace_enter("ret_from_fork", task=task, flow=("f", flow) if flow else None,
                    **dict(zip(names, (regs.get("rax", 0), f"{regs.get('rip', 0):#x}",
                                       f"{regs.get('rsp', 0):#x}"))), cs=f"{task.thread.user_cs:#x}")
        schedule_tail(task)
        trace_exit("ret_from_fork", task=task)      # on to user mode: rax=0 is fork's 0
    else:
        schedule_tail(task)
    if task.kthread:
        task.kthread_fn(task)
        task.kernel.sched.do_task_dead(task)
        return
    user_mode_loop(task)

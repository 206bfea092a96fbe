"""The OOM killer (mm/oom_kill.c).

When the page allocator finds no frame and the page cache has nothing left to give
(mm/page_alloc.py), ``out_of_memory`` picks the process whose death frees the most
memory (``oom_badness``: resident pages plus page tables, moved by oom_score_adj), sends
it SIGKILL and logs it in Linux's words on glasskernel's stderr. The rest of the run goes
on. A victim other than the allocating task has its private memory taken away at once,
as the oom_reaper thread does, so the allocation can be retried; when the allocating task
is the victim, its allocation fails and the task dies of its SIGKILL on the way out to
user mode, freeing everything in exit_mmap.
"""
from glasskernel.kernel.printk import printk
from glasskernel.fs.proc.task_mmu import rss_counters
from glasskernel.mm.memory import zap_page_range
from glasskernel.mm.page_alloc import PAGE_SHIFT, PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.kernel.task import signal_group_exit

SIGKILL = 9
OOM_SCORE_ADJ_MIN = -1000
# What dump_header reports for the allocation: an order-0 user page (GFP_HIGHUSER_MOVABLE).
_GFP_TEXT = "gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0"


def oom_score_adj(task) -> int:
    return getattr(task.signal, "oom_score_adj", 0) if task.signal is not None else 0


def oom_unkillable_task(task) -> bool:
    """Kernel threads and the global init are never chosen (is_global_init, PF_KTHREAD)."""
    return task.kthread or task.tgid == 1 or task.mm is None or bool(task.exit_state)


def in_vfork(task) -> bool:
    """A vfork child still borrowing its parent's mm: the parent is the one to kill."""
    parent = task.real_parent
    return task.vfork_done is not None and parent is not None and parent.mm is task.mm


def pgtables_pages(mm) -> int:
    """mm_pgtables_bytes / PAGE_SIZE: every table page but the top one."""
    return max(len(mm.pgtable.table_pages) - 1, 0)


def oom_badness(task, totalpages: int):
    """Pages the task's death would free, moved by oom_score_adj; None if unkillable."""
    if oom_unkillable_task(task):
        return None
    adj = oom_score_adj(task)
    mm = task.mm
    if adj == OOM_SCORE_ADJ_MIN or getattr(mm, "oom_skip", False) or in_vfork(task):
        return None
    points = sum(rss_counters(mm)) + pgtables_pages(mm)
    return points + adj * (totalpages // 1000)


def find_lock_task_mm(group: list):
    """A thread of the process that still has its mm (a dead leader's threads may)."""
    for task in group:
        if task.mm is not None and not task.exit_state:
            return task
    return None


def processes(kernel) -> list:
    """The live tasks grouped by process (signal_struct), in creation order."""
    groups = {}
    for task in list(kernel.tasks.values()):
        if task.signal is not None:
            groups.setdefault(id(task.signal), []).append(task)
    return list(groups.values())


def select_bad_process(kernel, totalpages: int):
    """(victim, dying): the process with the highest badness (a tie goes to the later
    one, as Linux's walk), or, as dying, an earlier victim still holding its memory."""
    chosen, chosen_points = None, None
    for group in processes(kernel):
        task = find_lock_task_mm(group)
        if task is None:
            continue
        if task.signal.oom_victim:
            if getattr(task.mm, "oom_skip", False):
                continue
            return task, True
        points = oom_badness(task, totalpages)
        if points is None or (chosen_points is not None and points < chosen_points):
            continue
        chosen, chosen_points = task, points
    return chosen, False


def task_will_free_mem(task) -> bool:
    """The task's process is dying already (SIGKILL pending, exiting, or killed as a
    group): its memory comes back when it has gone, so nobody else is killed for it."""
    sig = task.signal
    return bool(task.pending & (1 << (SIGKILL - 1))) or task.exiting or \
        (sig is not None and (signal_group_exit(sig) or sig.oom_victim))


def out_of_memory(kernel) -> bool:
    """The allocator's last resort. True when memory was freed and the allocation may
    be retried; False when the allocating task must fail (it is the victim, or nothing
    at all could be killed: then it is killed itself, where Linux would panic)."""
    current = kernel.current
    if current is not None and current.mm is not None and task_will_free_mem(current):
        return False
    totalpages = kernel.phys.total_pages
    victim, dying = select_bad_process(kernel, totalpages)
    if dying:
        # Linux waits for it to exit; it cannot run before this allocation is done
        # here, so its memory is reaped now, as the oom_reaper would.
        if current is not None and current.mm is victim.mm:
            return False
        oom_reap_task_mm(kernel, victim, victim.mm)
        return True
    dump_header(kernel, current)
    if victim is None:
        printk(kernel, "Out of memory and no killable processes...")
        if current is not None and current.mm is not None:
            _kill_process_tree(kernel, current)
        return False
    return oom_kill_process(kernel, victim, current)


def dump_header(kernel, current) -> None:
    comm = current.comm if current is not None else "swapper"
    adj = oom_score_adj(current) if current is not None and current.signal is not None else 0
    printk(kernel, f"{comm} invoked oom-killer: {_GFP_TEXT}, oom_score_adj={adj}")


def oom_kill_process(kernel, victim, current) -> bool:
    """__oom_kill_process: SIGKILL to the victim and to every process sharing its mm;
    then the reaper, unless the victim's memory is the allocating task's own."""
    mm = victim.mm
    anon, file, shmem = rss_counters(mm)
    total_vm = sum(vma.end - vma.start for vma in mm.vmas) >> PAGE_SHIFT
    printk(kernel, f"oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
                 f"global_oom,task_memcg=/,task={victim.comm},pid={victim.pid},uid={victim.cred.uid}")
    _kill_process_tree(kernel, victim)
    printk(kernel, f"Out of memory: Killed process {victim.pid} ({victim.comm}) "
                 f"total-vm:{_kb(total_vm)}kB, anon-rss:{_kb(anon)}kB, file-rss:{_kb(file)}kB, "
                 f"shmem-rss:{_kb(shmem)}kB, UID:{victim.cred.uid} "
                 f"pgtables:{_kb(pgtables_pages(mm))}kB oom_score_adj:{oom_score_adj(victim)}")
    for task in list(kernel.tasks.values()):
        if task.mm is mm and task.signal is not victim.signal and not task.kthread \
                and task.tgid != 1 and not task.signal.oom_victim:
            _kill_process_tree(kernel, task)
    if current is not None and current.mm is mm:
        return False                  # the allocating task dies; exit_mmap frees it all
    oom_reap_task_mm(kernel, victim, mm)
    return True


def oom_reap_task_mm(kernel, victim, mm) -> None:
    """The oom_reaper: unmap the private memory of a killed process now (it will never
    run in user mode again), and mark the mm so the next OOM looks elsewhere."""
    for vma in list(mm.vmas):
        if not vma.flags & VmFlags.VM_SHARED:
            zap_page_range(mm, vma.start, vma.end)
    mm.oom_skip = True                               # MMF_OOM_SKIP
    anon, file, shmem = rss_counters(mm)
    printk(kernel, f"oom_reaper: reaped process {victim.pid} ({victim.comm}), now "
                 f"anon-rss:{_kb(anon)}kB, file-rss:{_kb(file)}kB, shmem-rss:{_kb(shmem)}kB")


def _kill_process_tree(kernel, task) -> None:
    """do_send_sig_info(SIGKILL, SEND_SIG_PRIV, task, PIDTYPE_TGID), and mark_oom_victim."""
    from glasskernel.kernel.signal import SEND_SIG_PRIV, group_send_sig_info
    task.signal.oom_victim = True
    group_send_sig_info(task, SIGKILL, SEND_SIG_PRIV)


def _kb(pages: int) -> int:
    return pages * (PAGE_SIZE >> 10)



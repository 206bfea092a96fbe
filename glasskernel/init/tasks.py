"""The first tasks: idle (pid 0), our init (pid 1) and the user's program (pid 2).

Linux's pid 1 is a user program (/sbin/init). Ours is a kernel thread with one job: be
the parent of the user's program and the reaper of orphans, and end the run when it has
no children left. It has none of init's special signal rules for the user to trip over:
the user's program is an ordinary pid 2.
"""
import os

from glasskernel.arch.x86.kernel.process import ThreadStruct
from glasskernel.kernel.exit import P_ALL, WEXITED, WaitOpts, __WALL, do_wait, exit_init_task
from glasskernel.kernel.nsproxy import init_nsproxy
from glasskernel.kernel.pid import PidNamespace, alloc_pid
from glasskernel.kernel.trace.tracepoint import notrace
from glasskernel.kernel.signal import SighandStruct
from glasskernel.kernel.task import Cred, SignalStruct, Task
from glasskernel.uapi.errno import Errno, KernelError


def make_idle_task(kernel) -> Task:
    """pid 0, "swapper": the boot context, which becomes the idle loop."""
    idle = Task(kernel=kernel, pid=0, tgid=0, comm="swapper/0", kthread=True)
    idle.signal = SignalStruct()
    idle.sighand = SighandStruct()
    idle.nsproxy = init_nsproxy(kernel, PidNamespace(level=0))
    idle.thread = ThreadStruct()
    return idle


def _host_cred() -> Cred:
    """The ids and capability sets glasskernel itself runs with: the program starts as if
    glasskernel had exec'd it (a bounding set the host narrowed stays narrow)."""
    caps = _host_caps()
    return Cred(os.getuid(), os.getgid(), os.geteuid(), os.getegid(), tuple(os.getgroups()),
                cap_inheritable=caps.get("CapInh", 0), cap_permitted=caps.get("CapPrm", -1),
                cap_effective=caps.get("CapEff", -1),
                cap_bset=caps.get("CapBnd", (1 << 41) - 1) & ((1 << 41) - 1),
                cap_ambient=caps.get("CapAmb", 0))


def _host_caps() -> dict:
    """CapInh .. CapAmb of the host's /proc/self/status (empty if it cannot be read),
    cut to the capabilities this kernel knows."""
    caps = {}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Cap"):
                    name, _, value = line.partition(":")
                    caps[name] = int(value.strip(), 16) & ((1 << 41) - 1)
    except (OSError, ValueError):
        return {}
    return caps


def make_init_task(kernel) -> Task:
    """pid 1: a kernel thread that reaps (see init_main)."""
    from glasskernel.kernel.sys import default_rlimits
    ns = kernel.idle_task.nsproxy.pid_ns_for_children
    init = Task(kernel=kernel, pid=0, tgid=0, comm="init", kthread=True, cred=_host_cred())
    init.pid_links = notrace(alloc_pid)(ns)
    init.pid = init.tgid = init.pid_links[0][1]
    init.signal = SignalStruct(pgrp=init.pid, session=init.pid, leader_pid=init.pid, is_init=True)
    init.sighand = SighandStruct()
    init.nsproxy = kernel.idle_task.nsproxy
    init.thread = ThreadStruct()
    init.rlimits = default_rlimits()
    init.kthread_fn = init_main
    init.start_time_ns = kernel.clock_ns()
    ns.child_reaper = init
    notrace(kernel.sched.sched_fork)(init)
    kernel.sched.start_task_greenlet(init, _kthread_entry)
    kernel.tasks[init.pid] = init
    return init


def _kthread_entry(task) -> None:
    from glasskernel.arch.x86.entry.entry_64 import ret_from_fork
    ret_from_fork(task)


def make_user_task(kernel, init) -> Task:
    """pid 2: the user's program, in its own session and process group, child of init."""
    from glasskernel.drivers.tty.n_tty import inherited_signal_state
    from glasskernel.fs.file import FilesStruct
    from glasskernel.kernel.signal import inherit_signal_state
    from glasskernel.fs.fs_struct import FsStruct
    from glasskernel.kernel.entry.common import user_mode_loop
    task = Task(kernel=kernel, pid=0, tgid=0, cred=_host_cred())
    task.pid_links = notrace(alloc_pid)(init.nsproxy.pid_ns_for_children)
    task.pid = task.tgid = task.pid_links[0][1]
    task.signal = SignalStruct(pgrp=task.pid, session=task.pid, leader_pid=task.pid)
    task.sighand = SighandStruct()
    inherit_signal_state(task, *inherited_signal_state())
    task.nsproxy = init.nsproxy
    task.thread = ThreadStruct()
    task.fs = FsStruct.initial(kernel.vfs, os.getcwd())
    task.files = FilesStruct.with_stdio(kernel)
    task.rlimits = init.rlimits.copy()
    task.real_parent = task.parent = init
    task.start_time_ns = kernel.clock_ns()
    init.children.append(task)
    notrace(kernel.sched.sched_fork)(task)
    kernel.sched.start_task_greenlet(task, user_mode_loop)
    kernel.tasks[task.pid] = task
    return task


def init_main(init) -> None:
    """Reap every child until none is left; remember the user program's status."""
    wo = WaitOpts(P_ALL, 0, WEXITED | __WALL)
    while True:
        try:
            do_wait(init, wo)
        except KernelError as err:
            if err.errno == Errno.ECHILD:
                break
            raise
    exit_init_task(init)

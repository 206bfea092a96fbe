"""Real kernel objects for tests that call kernel functions directly (issue 18): a Kernel
that never runs, and tasks put together from the real structures the way init/tasks.py
and fork put them together, instead of SimpleNamespace stand-ins that hide a misspelt or
missing field."""

from __future__ import annotations

import gc

from glasskernel.arch.x86.kernel.process import ThreadStruct
from glasskernel.fs.file import FilesStruct
from glasskernel.fs.locks import _registries as file_locks_registry
from glasskernel.fs.fs_struct import FsStruct
from glasskernel.init.main import Kernel
from glasskernel.kernel.pid import alloc_pid
from glasskernel.kernel.signal import SighandStruct
from glasskernel.kernel.sys import default_rlimits
from glasskernel.kernel.task import Cred, SignalStruct, Task
from glasskernel.mm.mm_types import MmStruct, VmArea
from glasskernel.mm.vm_flags import VmFlags

RW = VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_MAYREAD | VmFlags.VM_MAYWRITE


def make_kernel(**kwargs) -> Kernel:
    """A Kernel with idle and init (pid 1) but no user program; nothing runs. Give it to
    release_kernel when done."""
    kwargs.setdefault("mem_size", 64 << 20)
    return Kernel(**kwargs)


def release_kernel(kernel: Kernel) -> None:
    """Shut the kernel down (its sandbox layer, host descriptors) and free it now: its
    tasks point back at it, so only a full collection frees it and its emulator, and a
    test run making hundreds would otherwise grow by tens of MiB (and every child the
    test process starts inherits its peak RSS in ru_maxrss, as test_limits measures)."""
    kernel.shutdown()
    # fs/locks.py's registry is weak on the kernel, but its value (contexts and all)
    # refers back to the kernel, so the entry would keep every kernel alive.
    file_locks_registry.pop(kernel, None)
    gc.collect()


def make_mm(kernel: Kernel) -> MmStruct:
    """An empty address space on the kernel's memory."""
    return MmStruct(kernel.phys, kernel.kernel_pgd_entry)


def map_anon(mm: MmStruct, start: int, size: int, flags: int = RW) -> VmArea:
    """A private anonymous area [start, start + size), filled on first touch."""
    vma = VmArea(start, start + size, flags)
    mm.insert_vma(vma)
    return vma


def make_task(kernel: Kernel | None = None, *, comm: str = "prog", pid: int | None = None,
              tgid: int | None = None, cred: Cred | None = None, parent: Task | None = None,
              thread_of: Task | None = None, mm: MmStruct | None = None) -> Task:
    """A user task registered in kernel.tasks: its own signal, sighand, files and fs (or
    its leader's, for thread_of), init's namespaces, child of parent (default init).
    pid/tgid pick the numbers instead of the pid allocator (root namespace only)."""
    kernel = kernel if kernel is not None else make_kernel()
    init = kernel.init_task
    if pid is None:
        links = alloc_pid(init.nsproxy.pid_ns_for_children)
        pid = links[-1][1]
    else:
        links = [(init.nsproxy.pid_ns_for_children, pid)]
    if tgid is None:
        tgid = thread_of.tgid if thread_of is not None else pid
    t = Task(kernel=kernel, pid=pid, tgid=tgid, comm=comm,
             cred=cred if cred is not None else Cred(1000, 1000, 1000, 1000, (1000,)))
    t.pid_links = links
    t.nsproxy = init.nsproxy
    t.thread = ThreadStruct()
    t.rlimits = default_rlimits()
    t.start_time_ns = kernel.clock_ns()
    if thread_of is not None:
        leader = thread_of
        t.signal, t.sighand, t.mm, t.files, t.fs = (leader.signal, leader.sighand, leader.mm,
                                                    leader.files, leader.fs)
        t.signal.nr_threads += 1
        parent = leader.real_parent
    else:
        t.signal = SignalStruct(pgrp=pid, session=pid, leader_pid=tgid)
        t.sighand = SighandStruct()
        t.mm = mm if mm is not None else make_mm(kernel)
        t.files = FilesStruct()
        t.fs = FsStruct(kernel.vfs.root, kernel.vfs.root)
        parent = parent if parent is not None else init
    t.real_parent = t.parent = parent
    if parent is not None and thread_of is None:
        parent.children.append(t)
    kernel.tasks[pid] = t
    return t

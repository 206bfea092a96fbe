"""Creating tasks: the clone family (kernel/fork.c).

    fork / vfork / clone / clone3          fill a KernelCloneArgs, nothing else
      → kernel_clone                       copy_process, then wake_up_new_task
          → copy_process                   the ordered steps below; undone in reverse on failure
              check flags (EINVAL)  →  check limits (EAGAIN)  →  dup_task_struct
              copy_creds → sched_fork → copy_files → copy_fs → copy_sighand → copy_signal
              → copy_mm → copy_namespaces → copy_io → copy_thread → alloc_pid → link

Each copy_X step has one shape: if its clone flag is set the child *shares* the parent's
object (one more reference); if not, the child gets a *copy*.
"""
import contextlib
import struct
from dataclasses import dataclass

from glasskernel.kernel.time_itimer import update_rlimit_cpu
from glasskernel.uapi.resource import RLIM_INFINITY
from glasskernel.arch.x86.kernel.process import copy_thread
from glasskernel.kernel.cred import copy_creds
from glasskernel.kernel.nsproxy import copy_namespaces
from glasskernel.kernel.pid import alloc_pid, free_pid, task_pid_vnr
from glasskernel.kernel.task import SignalStruct, Task
from glasskernel.kernel.trace.events import clone_args, clone_flags_arg, pid_ret
from glasskernel.kernel.trace.tracepoint import active as tracepoint_active, trace_event, traced
from glasskernel.mm.memory import zap_page_range
from glasskernel.mm.mm_types import TASK_SIZE
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.kernel.capability import capable
from glasskernel.ipc.sem import copy_semundo
from glasskernel.uapi.capability import CAP_SYS_ADMIN, CAP_SYS_RESOURCE
from glasskernel.uapi import sched as CF      # the CLONE_* names, as plain ints

CSIGNAL = 0xFF
SIGCHLD = 17
NSIG = 64


@dataclass
class KernelCloneArgs:
    """struct kernel_clone_args: what the entry points agree on."""

    flags: int = 0
    exit_signal: int = SIGCHLD
    stack: int = 0
    stack_size: int = 0
    parent_tid: int = 0
    child_tid: int = 0
    tls: int = 0
    pidfd: int = 0
    set_tid_size: int = 0
    set_tid: tuple = ()                 # clone3: the pids to take, deepest namespace first


def struct_copy(obj):
    """A field-by-field copy of a kernel struct, a dataclass (the memcpy of dup_task_struct
    and prepare_creds); copy.copy's generic protocol costs ten times as much. The fields
    are read one by one, not through ``__dict__``: reading an instance's ``__dict__`` turns
    its attribute values into a real dict, on which the interpreter's attribute caches
    miss (a forked task's thread_struct would then cost every syscall of the parent and
    the child more)."""
    new = object.__new__(type(obj))
    for name in obj.__dataclass_fields__:
        setattr(new, name, getattr(obj, name))
    return new


# ----- the checks ---------------------------------------------------------------------------

def check_clone_flags(current, flags: int) -> None:
    """The combinations Linux 6.1 refuses before allocating anything."""
    def both(a, b):
        return flags & a and flags & b
    if both(CF.CLONE_NEWNS, CF.CLONE_FS) or both(CF.CLONE_NEWUSER, CF.CLONE_FS):
        raise KernelError(Errno.EINVAL)
    if flags & CF.CLONE_THREAD and not flags & CF.CLONE_SIGHAND:
        raise KernelError(Errno.EINVAL)
    if flags & CF.CLONE_SIGHAND and not flags & CF.CLONE_VM:
        raise KernelError(Errno.EINVAL)
    if flags & CF.CLONE_PARENT and current.signal.is_init:
        raise KernelError(Errno.EINVAL)
    if flags & CF.CLONE_THREAD:
        if flags & (CF.CLONE_NEWUSER | CF.CLONE_NEWPID):
            raise KernelError(Errno.EINVAL)
        if current.nsproxy.pid_ns_for_children is not current.pid_links[-1][0]:
            raise KernelError(Errno.EINVAL)
    if flags & (CF.CLONE_THREAD | CF.CLONE_VM):
        nsp = current.nsproxy       # no sharing an mm or a group across time namespaces
        if getattr(nsp, "time_ns", None) is not getattr(nsp, "time_ns_for_children", None):
            raise KernelError(Errno.EINVAL)
    if both(CF.CLONE_SIGHAND, CF.CLONE_CLEAR_SIGHAND):
        raise KernelError(Errno.EINVAL)
    if flags & CF.CLONE_PIDFD and flags & (CF.CLONE_DETACHED | CF.CLONE_THREAD):
        raise KernelError(Errno.EINVAL)


def check_task_limits(current) -> None:
    """RLIMIT_NPROC for the user (root exempt, as INIT_USER) and the kernel's task cap."""
    kernel = current.kernel
    if len(kernel.tasks) >= kernel.max_tasks:
        raise KernelError(Errno.EAGAIN)
    uid = current.cred.uid
    limit = current.rlimits.get(6, (None, None))[0] if current.rlimits else None   # RLIMIT_NPROC
    if uid != 0 and limit is not None and not capable(current, CAP_SYS_RESOURCE) \
            and not capable(current, CAP_SYS_ADMIN):
        processes = sum(1 for t in kernel.tasks.values() if t.cred.uid == uid and not t.kthread)
        if processes >= limit:
            raise KernelError(Errno.EAGAIN)


# ----- the copy steps -----------------------------------------------------------------------

@traced(ret=lambda p: {})
def dup_task_struct(current) -> Task:
    """A new task_struct that starts as a copy of the parent's scalar fields."""
    p = Task(kernel=current.kernel, pid=0, tgid=0, comm=current.comm)
    p.blocked = current.blocked
    p.nice = current.nice
    p.personality = current.personality
    p.timer_slack_ns = p.default_timer_slack_ns = current.timer_slack_ns
    p.rlimits = current.rlimits.copy() if current.rlimits else {}
    p.thread = struct_copy(current.thread)
    p.mempolicy = current.mempolicy       # mpol_dup (immutable tuple)
    return p


def share_or_copy(flags: int, flag: int, obj):
    """The rule of every copy_X step: flag set → one more user of the parent's object;
    flag clear → the child gets its own copy."""
    if flags & flag:
        obj.users += 1
        return obj
    return obj.copy()


@traced(args=clone_flags_arg)
def copy_files(flags, current, p) -> None:
    p.files = share_or_copy(flags, CF.CLONE_FILES, current.files)


@traced(args=clone_flags_arg)
def copy_fs(flags, current, p) -> None:
    p.fs = share_or_copy(flags, CF.CLONE_FS, current.fs)


@traced(args=clone_flags_arg)
def copy_sighand(flags, current, p) -> None:
    from glasskernel.arch.x86.kernel.signal import sas_for_child
    p.sighand = share_or_copy(flags, CF.CLONE_SIGHAND, current.sighand)
    p.sas = sas_for_child(flags, current)      # the alternate signal stack
    if flags & CF.CLONE_CLEAR_SIGHAND:
        from glasskernel.kernel.signal import flush_signal_handlers
        flush_signal_handlers(p)


@traced(args=clone_flags_arg)
def copy_signal(flags, current, p) -> None:
    """A thread joins its group's signal_struct; a new process gets its own (same pgrp/session)."""
    if flags & CF.CLONE_THREAD:
        p.signal = current.signal             # counted in link_new_task, past every failure
        return
    src = current.signal
    p.signal = SignalStruct(pgrp=src.pgrp, session=src.session, tty=src.tty,
                            oom_score_adj=src.oom_score_adj)


@traced(args=clone_flags_arg)
def copy_mm(flags, current, p) -> None:
    """CLONE_VM shares the address space; otherwise dup_mmap copies it copy-on-write."""
    if current.mm is None:
        return
    if flags & CF.CLONE_VM:
        current.mm.users += 1
        p.mm = current.mm
    else:
        p.mm = dup_mmap(current.mm)


def copy_io(flags, current, p) -> None:
    """io_context: block-I/O priorities. Nothing to share or copy without a block layer."""


# ----- the address space copy ---------------------------------------------------------------

@traced(args=lambda old: {"vmas": len(old.vmas)}, ret=lambda mm: {})
def dup_mmap(old):
    """Copy every VMA and the page tables; private pages become copy-on-write in both."""
    from glasskernel.mm.mm_types import MmStruct, VmArea
    from glasskernel.mm.mmap import vm_enough_memory
    from glasskernel.mm.vm_flags import VmFlags
    for vma in old.vmas:
        # Each private writable area commits its memory again for the child: one larger
        # than the machine fails the fork (ENOMEM), as under the heuristic overcommit.
        if vma.flags & VmFlags.VM_ACCOUNT and not vma.flags & VmFlags.VM_DONTCOPY and \
                not vm_enough_memory(old, (vma.end - vma.start) >> 12):
            raise KernelError(Errno.ENOMEM)
    mm = MmStruct(old.phys, old.kernel_pgd_entry, old.cpu)
    for name in ("mmap_base", "start_code", "end_code", "start_data", "end_data", "start_brk",
                 "brk", "start_stack", "arg_start", "arg_end", "env_start", "env_end", "exe_path", "auxv",
                 "rlimit_as", "vdso", "timens", "coredump_filter", "task_size"):
        setattr(mm, name, getattr(old, name))
    if old.exe_file is not None:
        mm.exe_file = old.exe_file.get()
    private_huge = {}                          # a private hugetlb file's copy, by parent file
    for vma in old.vmas:
        if vma.flags & VmFlags.VM_DONTCOPY:
            continue                           # MADV_DONTFORK: not in the child at all
        file = vma.file
        if file is not None:
            private = vma.flags & (VmFlags.VM_HUGETLB | VmFlags.VM_SHARED) == VmFlags.VM_HUGETLB
            file = file.dup_private(private_huge) if private else file.get()
        # Memory locks are the parent's own: the child's copies are unlocked.
        flags = vma.flags & ~(VmFlags.VM_LOCKED | VmFlags.VM_LOCKONFAULT)
        mm.insert_vma(VmArea(vma.start, vma.end, flags, file, vma.pgoff, vma.name,
                             vma.anon_vma))
        if not vma.flags & VmFlags.VM_WIPEONFORK:     # wiped: the child faults in zeros
            copy_page_range(old, mm, vma)
    old.flush_tlb()
    return mm


def copy_page_range(src, dst, vma) -> None:
    """Share each present frame; write-protect private writable ones on both sides.

    A file mapping without private pages is not copied at all (vma_needs_copy): the
    child's faults map the same page-cache pages again, which costs a fork+exec child
    nothing when it never touches them.
    """
    from glasskernel.arch.x86.mm.pgtable import PTE_PFN_MASK
    from glasskernel.mm.vm_flags import VmFlags
    if vma.file is not None and not vma.anon_vma:
        return
    cow = not vma.flags & VmFlags.VM_SHARED
    shared = src.pgtable.share_ptes(dst.pgtable, vma.start, vma.end, wrprotect=cow)
    src.phys.get_pages([pte & PTE_PFN_MASK for pte in shared])


def exit_mmap(mm) -> None:
    """Tear down every mapping and the page tables themselves (mm/mmap.c: exit_mmap)."""
    for vma in list(mm.vmas):
        if vma.file is not None and hasattr(vma.file, "put"):
            vma.file.put()
    if mm.exe_file is not None:
        mm.exe_file.put()
        mm.exe_file = None
    mm.vmas.clear()
    mm._starts.clear()
    zap_page_range(mm, 0, TASK_SIZE)
    mm.pgtable.free_tables()


def mmput(mm) -> None:
    """Drop one user of mm; the last one frees it."""
    mm.users -= 1
    if mm.users == 0:
        exit_mmap(mm)


# ----- copy_process -------------------------------------------------------------------------

@traced(args=clone_args, ret=pid_ret)
def copy_process(current, args: KernelCloneArgs) -> Task:
    """Build the child task, step by step; on failure undo the steps done, in reverse."""
    kernel = current.kernel
    flags = args.flags
    check_clone_flags(current, flags)
    check_task_limits(current)
    p = dup_task_struct(current)
    with contextlib.ExitStack() as undo:
        copy_creds(flags, current, p)
        copy_semundo(flags, current, p)
        kernel.sched.sched_fork(p)
        copy_files(flags, current, p)
        undo.callback(lambda: _put_files(p))                   # bad_fork_cleanup_files
        copy_fs(flags, current, p)
        undo.callback(lambda: _put_users(p.fs))                 # bad_fork_cleanup_fs
        copy_sighand(flags, current, p)
        undo.callback(lambda: _put_users(p.sighand))            # bad_fork_cleanup_sighand
        copy_signal(flags, current, p)
        copy_mm(flags, current, p)
        undo.callback(lambda: p.mm is not None and mmput(p.mm))  # bad_fork_cleanup_mm
        copy_namespaces(flags, current, p)
        copy_io(flags, current, p)
        copy_thread(p, current, args)
        p.pid_links = alloc_pid(p.nsproxy.pid_ns_for_children, args.set_tid, current)
        undo.callback(lambda: free_pid(p.pid_links))            # bad_fork_free_pid
        p.pid = p.pid_links[0][1]
        p.tgid = current.tgid if flags & CF.CLONE_THREAD else p.pid
        p.exit_signal = -1 if flags & CF.CLONE_THREAD else args.exit_signal
        if flags & CF.CLONE_PIDFD:
            _clone_pidfd(current, p, args, undo)
        undo.pop_all()                                          # the point of no return
    link_new_task(current, p, flags, args)
    return p


def _clone_pidfd(current, p, args: KernelCloneArgs, undo) -> None:
    """CLONE_PIDFD: a pidfd of the child in the parent's table, its number written to
    args.pidfd (EFAULT fails the clone, and the descriptor goes again)."""
    from glasskernel.kernel.pidfd import pidfd_create
    from glasskernel.mm.uaccess import put_user_i32
    fd = pidfd_create(current, p, 0)
    undo.callback(lambda: current.files.close_fd(fd))          # bad_fork_put_pidfd
    put_user_i32(current, args.pidfd, fd)


def _put_files(p) -> None:
    if p.files is not None:
        p.files.users -= 1
        if p.files.users == 0:
            p.files.close_all()


def _put_users(obj) -> None:
    if obj is not None:
        obj.users -= 1


def link_new_task(current, p, flags: int, args: KernelCloneArgs) -> None:
    """Make the child visible: parent links, thread group, pid namespace init, task table."""
    kernel = current.kernel
    if flags & (CF.CLONE_PARENT | CF.CLONE_THREAD):
        p.real_parent = current.real_parent
    else:
        p.real_parent = current
    p.parent = p.real_parent
    if p.real_parent is not None and not flags & CF.CLONE_THREAD:
        p.real_parent.children.append(p)        # only group leaders are anyone's children
        sig = p.real_parent.signal              # from the new parent (CLONE_PARENT: ours)
        p.signal.has_child_subreaper = sig.has_child_subreaper or sig.is_child_subreaper
    ns = p.pid_links[-1][0]
    if ns.child_reaper is None and p.pid_links[-1][1] == 1:
        ns.child_reaper = p                     # the first task of a new pid namespace
        p.signal.is_init = True
    if flags & CF.CLONE_THREAD:
        p.signal.nr_threads += 1
    p.signal.leader_pid = p.tgid
    p.start_time_ns = kernel.clock_ns()
    p.clear_child_tid = args.child_tid if flags & CF.CLONE_CHILD_CLEARTID else 0
    p.set_child_tid = args.child_tid if flags & CF.CLONE_CHILD_SETTID else 0
    kernel.tasks[p.pid] = p


@traced(args=clone_args)
def kernel_clone(current, args: KernelCloneArgs) -> int:
    """Create the child, let it run, and (vfork) wait until it lets go of our memory."""
    from glasskernel.kernel.sched.wait import Completion
    if args.flags & CF.CLONE_PIDFD and args.flags & CF.CLONE_PARENT_SETTID and args.pidfd == args.parent_tid:
        raise KernelError(Errno.EINVAL)
    p = copy_process(current, args)
    nr = task_pid_vnr(p, current)
    if args.flags & CF.CLONE_PARENT_SETTID:
        # After the point of no return, as Linux does: a bad pointer is ignored, the
        # child exists and the clone succeeds.
        from glasskernel.mm.uaccess import put_user_i32
        try:
            put_user_i32(current, args.parent_tid, nr)
        except KernelError:
            pass
    vfork = None
    if args.flags & CF.CLONE_VFORK:
        vfork = Completion()
        p.vfork_done = vfork
    if tracepoint_active() is not None:
        trace_event("task_newtask", pid=p.pid, ppid=current.tgid, comm=p.comm,
                    flags=clone_args(current, args)["flags"])
    if not args.flags & CF.CLONE_THREAD and p.rlimits and p.rlimits.get(0, (RLIM_INFINITY,))[0] != RLIM_INFINITY:
        update_rlimit_cpu(p)              # posix_cputimers_group_init: the inherited RLIMIT_CPU
    current.kernel.sched.wake_up_new_task(p)
    debugger = current.kernel.debugger
    if debugger is not None:                 # ptrace_event(PTRACE_EVENT_FORK...)
        debugger.on_fork(current, p, args.flags)
    if vfork is not None:
        vfork.wait_for_completion(current)
        if debugger is not None:
            debugger.on_vfork_done(current)
    return nr


def sys_fork(task) -> int:
    return kernel_clone(task, KernelCloneArgs(exit_signal=SIGCHLD))


def sys_vfork(task) -> int:
    return kernel_clone(task, KernelCloneArgs(flags=CF.CLONE_VFORK | CF.CLONE_VM, exit_signal=SIGCHLD))


def sys_clone(task, clone_flags, newsp, parent_tidptr, child_tidptr, tls) -> int:
    """clone(2), x86-64 argument order: flags, newsp, parent_tid, child_tid, tls."""
    clone_flags &= 0xFFFFFFFFFFFFFFFF
    args = KernelCloneArgs(flags=clone_flags & ~CSIGNAL, exit_signal=clone_flags & CSIGNAL,
                           stack=newsp, parent_tid=parent_tidptr, child_tid=child_tidptr,
                           tls=tls, pidfd=parent_tidptr)
    if args.flags & 0xFFFFFFFF00000000:
        raise KernelError(Errno.EINVAL)       # legacy clone takes only the low 32 flag bits
    return kernel_clone(task, args)


def set_child_tid_in_child(p) -> None:
    """schedule_tail's part of CLONE_CHILD_SETTID: write the tid into the child's memory."""
    if p.set_child_tid:
        from glasskernel.mm.uaccess import put_user_i32
        try:
            put_user_i32(p, p.set_child_tid, task_pid_vnr(p, p))
        except KernelError:
            pass


def sys_set_tid_address(task, tidptr) -> int:
    """Remember where to clear the tid at exit (CLONE_CHILD_CLEARTID); return the tid."""
    task.clear_child_tid = tidptr
    return task_pid_vnr(task, task)


# ----- clone3 -------------------------------------------------------------------------------

CLONE_ARGS_SIZE_VER0 = 64          # up to tls
CLONE_ARGS_SIZE_VER2 = 88          # + set_tid, set_tid_size, cgroup
_CLONE_ARGS = struct.Struct("<11Q")
_CLONE_LEGACY_FLAGS = 0xFFFFFFFF
_PAGE_SIZE = 4096


def copy_clone_args_from_user(task, uargs: int, usize: int) -> KernelCloneArgs:
    """Read struct clone_args with size versioning (copy_struct_from_user rules)."""
    from glasskernel.mm.uaccess import copy_from_user
    if usize > _PAGE_SIZE:
        raise KernelError(Errno.E2BIG)
    if usize < CLONE_ARGS_SIZE_VER0:
        raise KernelError(Errno.EINVAL)
    raw = copy_from_user(task, uargs, usize)
    if usize > CLONE_ARGS_SIZE_VER2 and any(raw[CLONE_ARGS_SIZE_VER2:]):
        raise KernelError(Errno.E2BIG)          # a newer struct whose extra fields are used
    raw = raw[:CLONE_ARGS_SIZE_VER2].ljust(CLONE_ARGS_SIZE_VER2, b"\0")
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
     set_tid, set_tid_size, cgroup) = _CLONE_ARGS.unpack(raw)
    if set_tid_size > 32 or (set_tid and not set_tid_size) or (not set_tid and set_tid_size):
        raise KernelError(Errno.EINVAL)
    if exit_signal & ~CSIGNAL or exit_signal > NSIG:
        raise KernelError(Errno.EINVAL)
    tids = ()
    if set_tid_size:
        raw_tids = copy_from_user(task, set_tid, 4 * set_tid_size)
        tids = struct.unpack(f"<{set_tid_size}i", raw_tids)
    return KernelCloneArgs(flags=flags, pidfd=pidfd, child_tid=child_tid, parent_tid=parent_tid,
                           exit_signal=exit_signal, stack=stack, stack_size=stack_size, tls=tls,
                           set_tid_size=set_tid_size, set_tid=tids)


def clone3_args_valid(args: KernelCloneArgs) -> None:
    allowed = _CLONE_LEGACY_FLAGS | CF.CLONE_CLEAR_SIGHAND | CF.CLONE_INTO_CGROUP
    if args.flags & ~int(allowed) or args.flags & (CF.CLONE_DETACHED | (CSIGNAL & ~CF.CLONE_NEWTIME)):
        raise KernelError(Errno.EINVAL)
    if (args.flags & (CF.CLONE_THREAD | CF.CLONE_PARENT)) and args.exit_signal:
        raise KernelError(Errno.EINVAL)
    if bool(args.stack) != bool(args.stack_size):
        raise KernelError(Errno.EINVAL)
    if args.flags & CF.CLONE_INTO_CGROUP:
        raise KernelError(Errno.EINVAL)          # no cgroups here (EBADF for the fd in Linux)


def sys_clone3(task, uargs, size) -> int:
    """clone3(2): struct clone_args; the stack is given as base + size."""
    args = copy_clone_args_from_user(task, uargs, size)
    clone3_args_valid(args)
    return kernel_clone(task, args)


# ----- unshare ------------------------------------------------------------------------------

_UNSHARE_FLAGS = (CF.CLONE_THREAD | CF.CLONE_FS | CF.CLONE_NEWNS | CF.CLONE_SIGHAND | CF.CLONE_VM
                  | CF.CLONE_FILES | CF.CLONE_SYSVSEM | CF.CLONE_NEWUTS | CF.CLONE_NEWIPC
                  | CF.CLONE_NEWNET | CF.CLONE_NEWUSER | CF.CLONE_NEWPID | CF.CLONE_NEWCGROUP
                  | CF.CLONE_NEWTIME)


def check_unshare_flags(current, flags: int) -> None:
    """Unknown flags are EINVAL; so is unsharing a thread group, handlers or an mm that
    others still share (unshare cannot split them)."""
    if flags & ~_UNSHARE_FLAGS:
        raise KernelError(Errno.EINVAL)
    if flags & (CF.CLONE_THREAD | CF.CLONE_SIGHAND | CF.CLONE_VM) and current.signal.nr_threads > 1:
        raise KernelError(Errno.EINVAL)
    if flags & (CF.CLONE_SIGHAND | CF.CLONE_VM) and current.sighand.users > 1:
        raise KernelError(Errno.EINVAL)
    if flags & CF.CLONE_VM:
        from glasskernel.kernel.time_namespace import current_is_single_threaded
        if not current_is_single_threaded(current):
            raise KernelError(Errno.EINVAL)


def unshare_fs(current, flags: int):
    """A private copy of the fs_struct for CLONE_FS when it is shared (or for a new mount
    namespace, which needs one of its own); None when nothing changes."""
    fs = current.fs
    if not flags & CF.CLONE_FS or fs is None:
        return None
    if not flags & CF.CLONE_NEWNS and fs.users == 1:
        return None
    return fs.copy()


def unshare_fd(current, flags: int):
    """A private copy of the descriptor table for CLONE_FILES when it is shared."""
    files = current.files
    if flags & CF.CLONE_FILES and files is not None and files.users > 1:
        return files.copy()
    return None


def ksys_unshare(current, flags: int) -> int:
    """unshare(2): the implied flags (a new user namespace needs an unshared fs and no
    other threads; a new mount namespace its own fs_struct), the checks, then every new
    piece is made before any is installed, so a failure changes nothing."""
    from glasskernel.kernel.cred import prepare_creds
    from glasskernel.kernel.nsproxy import unshare_nsproxy_namespaces
    if flags & CF.CLONE_NEWUSER:
        flags |= CF.CLONE_THREAD | CF.CLONE_FS
    if flags & CF.CLONE_VM:
        flags |= CF.CLONE_SIGHAND
    if flags & CF.CLONE_SIGHAND:
        flags |= CF.CLONE_THREAD
    if flags & CF.CLONE_NEWNS:
        flags |= CF.CLONE_FS
    check_unshare_flags(current, flags)
    new_fs = unshare_fs(current, flags)
    new_fd = unshare_fd(current, flags)
    new_cred = None
    try:
        if flags & CF.CLONE_NEWUSER:
            from glasskernel.kernel.user_namespace import create_user_ns
            new_cred = prepare_creds(current)
            create_user_ns(current, new_cred)
        new_nsproxy = unshare_nsproxy_namespaces(current, flags, new_cred, new_fs)
    except KernelError:
        if new_fd is not None:
            new_fd.close_all()
        raise
    _unshare_commit(current, flags, new_fs, new_fd, new_cred, new_nsproxy)
    return 0


def _unshare_commit(current, flags, new_fs, new_fd, new_cred, new_nsproxy) -> None:
    """Install what ksys_unshare made; SysV semaphore undo (and, for a new IPC
    namespace, the shm attachments' bookkeeping) is left behind."""
    from glasskernel.kernel.cred import commit_creds
    from glasskernel.kernel.nsproxy import switch_task_namespaces
    if flags & (CF.CLONE_NEWIPC | CF.CLONE_SYSVSEM):
        from glasskernel.ipc.sem import exit_sem
        exit_sem(current)
        if flags & CF.CLONE_NEWIPC and current.kernel.ipc_ns is not None:
            from glasskernel.ipc.shm import exit_shm
            exit_shm(current)
    if new_nsproxy is not None:
        switch_task_namespaces(current, new_nsproxy)
    if new_fs is not None:
        current.fs.users -= 1
        current.fs = new_fs
    if new_fd is not None:
        current.files.users -= 1
        current.files = new_fd
    if new_cred is not None:
        commit_creds(current, new_cred)


def sys_unshare(task, unshare_flags) -> int:
    """unshare(2)."""
    return ksys_unshare(task, unshare_flags & 0xFFFFFFFFFFFFFFFF)


def walk_process_tree(top, visitor) -> None:
    """Call visitor on every descendant of top's process, parents first: the children of
    each of a process's threads; a false return skips that child's own descendants."""
    threads = {}
    for t in top.kernel.tasks.values():
        threads.setdefault(id(t.signal), []).append(t)
    pending = [top]
    while pending:
        process = pending.pop()
        for thread in threads.get(id(process.signal), (process,)):
            for child in thread.children:
                if visitor(child):
                    pending.append(child)

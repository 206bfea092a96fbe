"""Program execution (fs/exec.c).

    execve / execveat / kernel_execve
      → do_execveat_common   open the file, build the linux_binprm, copy argv/envp
      → bprm_execve          → exec_binprm → search_binary_handler
      → <format>.load_binary (load_elf_binary, load_script)
           → begin_new_exec  point of no return: the new mm replaces the old one
           → setup_new_exec, setup_arg_pages, … → start_thread

The new address space is built while the old one still runs the caller: the argument and
environment strings are copied onto the new stack first, so any failure before
``begin_new_exec`` leaves the caller exactly as it was.
"""
import os
import struct
from itertools import accumulate
from dataclasses import dataclass, field

from glasskernel.mm.mm_types import STACK_TOP, MmStruct, VmArea
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.uaccess import copy_from_user, strncpy_from_user
from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.mm.vm_flags import VM_MAY_ALL, VmFlags
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW
from glasskernel.uapi.limits import PATH_MAX
from glasskernel.uapi.resource import _STK_LIM
from glasskernel.kernel.trace.events import trace_sched_process_exec
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.arch.x86.mm.tlb import exec_switch_mm
from glasskernel.kernel.sched.wait import fatal_signal_pending
from glasskernel.kernel.signal import (SIGCHLD, flush_signal_handlers, for_each_thread, force_fatal_sig,
                                       zap_other_threads)
from glasskernel.kernel.task import (EXIT_ZOMBIE, SIGNAL_GROUP_EXIT, TASK_KILLABLE, TASK_RUNNING,
                                     set_current_state)
from glasskernel.kernel.sys import task_rlimit
from glasskernel.uapi.resource import RLIMIT_STACK
from glasskernel.arch.x86.kernel.signal import sas_exec_reset

BINPRM_BUF_SIZE = 256
MAX_ARG_STRLEN = PAGE_SIZE * 32
MAX_ARG_STRINGS = 0x7FFFFFFF
ARG_MAX = 32 * PAGE_SIZE
_POINTERS = struct.Struct("<Q")            # argv/envp entries
_COMPAT_POINTERS = struct.Struct("<I")     # ... of a 32-bit caller (compat_uptr_t)
STACK_EXPAND = 131072            # setup_arg_pages grows the fresh stack by 128 KiB
BINPRM_MAX_RECURSION = 4


@dataclass(eq=False)
class LinuxBinprm:
    """struct linux_binprm: everything known about the program being started."""

    task: object
    file: object
    filename: str                 # the name the caller used (AT_EXECFN, comm)
    mm: MmStruct = None
    p: int = 0                    # current top of the argument area on the new stack
    buf: bytes = b""              # the first bytes of the file, for format detection
    argc: int = 0
    envc: int = 0
    argv_addrs: list = field(default_factory=list)
    envp_addrs: list = field(default_factory=list)
    execfn_addr: int = 0
    interp: str = ""              # the file actually executed (differs for #! scripts)
    interp_name: bytes = b""      # bprm->interp: the name it was asked for by
    recursion_depth: int = 0
    executable_stack: bool = False
    entry: int = 0
    point_of_no_return: bool = False
    secureexec: bool = False      # AT_SECURE: the exec changed ids or raised capabilities


def bprm_mm_init(bprm) -> None:
    """A fresh mm with one stack page's VMA at the top of user space."""
    kernel = bprm.task.kernel
    bprm.mm = MmStruct(kernel.phys, kernel.kernel_pgd_entry, kernel.cpu)
    if bprm.task.mm is not None:        # mm_init: the dump filter outlives the exec
        bprm.mm.coredump_filter = bprm.task.mm.coredump_filter
    limits = bprm.task.rlimits
    if limits:
        bprm.mm.rlimit_as = limits.get(9, (bprm.mm.rlimit_as,))[0]     # RLIMIT_AS
    vma = VmArea(STACK_TOP - PAGE_SIZE, STACK_TOP,
                 VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_GROWSDOWN | VM_MAY_ALL,
                 name="[stack]")
    bprm.mm.insert_vma(vma)
    bprm.p = STACK_TOP - 8


def bprm_stack_limits(bprm, strings_size: int, count: int) -> None:
    """E2BIG when argv+envp would not fit in a quarter of the stack limit."""
    stack_cur = task_rlimit(bprm.task, RLIMIT_STACK)
    limit = min(_STK_LIM // 4 * 3, stack_cur // 4)
    limit = max(limit, ARG_MAX)
    ptr_size = (max(bprm.argc, 1) + bprm.envc) * 8
    if limit <= ptr_size or strings_size > limit - ptr_size or count > MAX_ARG_STRINGS:
        raise KernelError(Errno.E2BIG)


def check_arg_strlen(data: bytes) -> None:
    """E2BIG for a string that would not fit in one MAX_ARG_STRLEN (with its NUL)."""
    if len(data) + 1 > MAX_ARG_STRLEN:
        raise KernelError(Errno.E2BIG)


def copy_string_kernel(bprm, data: bytes) -> int:
    """Push one NUL-terminated string below bprm.p; return its user address."""
    check_arg_strlen(data)
    bprm.p -= len(data) + 1
    bprm.mm.write(bprm.p, data + b"\0")
    return bprm.p


def copy_strings(bprm, strings: list) -> list:
    """Copy a list of strings below bprm.p, last one first as Linux does (so the first
    ends up lowest); return their addresses. The block is written in one copy."""
    if not strings:
        return []
    check_arg_strlen(max(strings, key=len))
    lengths = [n + 1 for n in map(len, strings)]        # with their NULs
    block = b"\0".join(strings) + b"\0"
    start = bprm.p - len(block)
    addrs = list(accumulate(lengths[:-1], initial=start))
    bprm.mm.write(start, block)
    bprm.p = start
    return addrs


def setup_arg_pages(bprm, executable_stack: bool) -> None:
    """Give the stack its final permissions and its initial 128 KiB (fs/exec.c). An i386
    program's stack top is below 4 GiB: the strings move down there first."""
    mm = bprm.mm
    if mm.task_size != STACK_TOP:
        shift_arg_pages(bprm, STACK_TOP - mm.task_size)
    vma = mm.vma_containing(mm.task_size - 1)
    mm.remove_vma(vma)
    vma.start = min(vma.start, (bprm.p - STACK_EXPAND) & ~(PAGE_SIZE - 1))
    if executable_stack:
        vma.flags |= VmFlags.VM_EXEC
    mm.insert_vma(vma)
    mm.start_stack = bprm.p


def shift_arg_pages(bprm, shift: int) -> None:
    """Move the stack, with the strings copied onto it so far, shift bytes down, and the
    addresses bprm keeps of them with it."""
    from glasskernel.mm.memory import zap_page_range
    mm = bprm.mm
    vma = mm.vma_containing(STACK_TOP - 1)
    data = mm.read(bprm.p, STACK_TOP - bprm.p)
    zap_page_range(mm, vma.start, vma.end)
    mm.remove_vma(vma)
    vma.start, vma.end = vma.start - shift, vma.end - shift
    mm.insert_vma(vma)
    bprm.p -= shift
    mm.write(bprm.p, data)
    bprm.execfn_addr -= shift
    bprm.envp_addrs = [addr - shift for addr in bprm.envp_addrs]
    bprm.argv_addrs = [addr - shift for addr in bprm.argv_addrs]


def exec_mmap(bprm) -> None:
    """Install the new mm in the task and drop the old one (switch_mm to it)."""
    from glasskernel.kernel.exit import complete_vfork_done, exec_mm_release
    task = bprm.task
    old = task.mm
    if old is not None:
        from glasskernel.kernel.exit import setmax_mm_hiwater_rss
        setmax_mm_hiwater_rss(task.signal, old)
        exec_mm_release(task, old)
    else:
        complete_vfork_done(task)
    task.mm = bprm.mm
    exec_switch_mm(task, old, bprm.mm)
    if old is not None:
        from glasskernel.kernel.fork import mmput
        mmput(old)


def _other_threads_left(task) -> bool:
    """Is a thread of task's process besides task still there? (A leader that is already
    a zombie does not count when task is not the leader: it stays until the exec is done.)"""
    return any(t is not task and not (t.is_leader and t.exit_state == EXIT_ZOMBIE)
               for t in for_each_thread(task))


def de_thread(task) -> None:
    """Kill every other thread of the process and wait, killably, until they are gone.
    EAGAIN when the group is already exiting or a fatal signal comes meanwhile."""
    signal = task.signal
    if signal.flags & SIGNAL_GROUP_EXIT or signal.group_exec_task is not None:
        raise KernelError(Errno.EAGAIN)       # another thread got there first
    signal.group_exec_task = task
    try:
        zap_other_threads(task)
        while _other_threads_left(task):
            if fatal_signal_pending(task):
                raise KernelError(Errno.EAGAIN)
            set_current_state(task, TASK_KILLABLE)
            task.kernel.sched.schedule()
        set_current_state(task, TASK_RUNNING)
        if not task.is_leader:
            take_over_leader(task, task.kernel.tasks[task.tgid])
    finally:
        signal.group_exec_task = None


def take_over_leader(task, leader) -> None:
    """A non-leader exec'ed: it becomes the leader, with the leader's pid, start time and
    parent links (exchange_tids, transfer_pid), and the old (zombie) leader is released
    under the exec'er's old thread id. The process keeps its pid."""
    from glasskernel.kernel.exit import release_task
    kernel = task.kernel
    task.pid, leader.pid = leader.pid, task.pid
    task.pid_links, leader.pid_links = leader.pid_links, task.pid_links
    kernel.tasks[task.pid], kernel.tasks[leader.pid] = task, leader
    task.start_time_ns = leader.start_time_ns
    parent = leader.real_parent
    if task.real_parent is not None and task in task.real_parent.children:
        task.real_parent.children.remove(task)
    if parent is not None and leader in parent.children:
        parent.children[parent.children.index(leader)] = task    # the leader's place
    task.real_parent, task.parent = leader.real_parent, leader.parent
    task.exit_signal, leader.exit_signal = SIGCHLD, -1
    for ns, _nr in task.pid_links:
        if ns.child_reaper is leader:
            ns.child_reaper = task         # a namespace's init exec'ed from a thread
    if kernel.user_task is leader:
        kernel.user_task = task            # the run's exit status is the process's
    release_task(leader)


@traced(ret=lambda _r: {})
def begin_new_exec(bprm) -> None:
    """The point of no return: from here on, failure kills the task instead of returning."""
    bprm.point_of_no_return = True
    task = bprm.task
    de_thread(task)                       # the process keeps only this thread
    exec_mmap(bprm)
    bprm.mm.exe_path = bprm.interp
    bprm.mm.exe_file = bprm.file.get()
    if task.files is not None:
        task.files.close_on_exec()
    from glasskernel.kernel.posix_timers import exit_itimers, flush_itimer_signals
    exit_itimers(task)                    # POSIX timers do not survive exec (itimers do)
    flush_itimer_signals(task)
    flush_signal_handlers(task)           # caught signals back to SIG_DFL ...
    sas_exec_reset(task)                  # ... and no alternate signal stack
    from glasskernel.kernel.cred import bprm_creds_from_file
    bprm_creds_from_file(bprm)          # the capability sets execve gives, then commit_creds


@traced(ret=lambda _r: {})
def setup_new_exec(bprm) -> None:
    """After the point of no return: name the task after the file (__set_task_comm).

    The mmap layout needs no choosing here: without randomisation mmap_base is fixed.
    """
    bprm.task.comm = os.path.basename(bprm.filename)[:15]


@traced(ret=lambda _r: {})
def search_binary_handler(bprm) -> None:
    """Try each registered format until one accepts the file (ENOEXEC means 'not mine')."""
    from glasskernel.fs.binfmt_elf import NotSupported, load_elf_binary
    from glasskernel.fs.binfmt_script import load_script

    bprm.buf = bprm.file.pread(BINPRM_BUF_SIZE, 0)
    for load_binary in (load_elf_binary, load_script):
        try:
            load_binary(bprm)
            return
        except NotSupported:
            raise
        except KernelError as err:
            if err.errno != Errno.ENOEXEC or bprm.point_of_no_return:
                raise
    raise KernelError(Errno.ENOEXEC)


def exec_binprm(bprm) -> None:
    if bprm.recursion_depth > BINPRM_MAX_RECURSION:
        raise KernelError(Errno.ELOOP)
    search_binary_handler(bprm)


@traced(ret=lambda _r: {})
def bprm_execve(bprm) -> None:
    """Run the format handlers; a failure past the point of no return kills the task."""
    try:
        exec_binprm(bprm)
    except KernelError:
        if bprm.point_of_no_return and not fatal_signal_pending(bprm.task):
            force_fatal_sig(bprm.task, 11)
        raise


def do_open_execat(task, dfd: int, filename: bytes, flags: int):
    from glasskernel.fs.namei import open_exec
    return open_exec(task, dfd, filename, flags)


def prepare_bprm(task, dfd: int, filename: bytes, argv: list, envp: list, flags: int = 0):
    """Open the file and build the new stack's strings (everything before loading)."""
    file = do_open_execat(task, dfd, filename, flags)
    name = filename.decode("utf-8", "surrogateescape")
    bprm = LinuxBinprm(task=task, file=file, filename=name, interp=file.path, interp_name=filename)
    bprm_mm_init(bprm)
    bprm.argc, bprm.envc = len(argv), len(envp)
    count = len(argv) + len(envp)
    bprm_stack_limits(bprm, sum(map(len, argv)) + sum(map(len, envp)) + count, count)
    bprm.execfn_addr = copy_string_kernel(bprm, filename)
    bprm.envp_addrs = copy_strings(bprm, envp)
    bprm.argv_addrs = copy_strings(bprm, argv)
    return bprm


@traced(args=lambda task, dfd, filename, argv, envp, flags=0: {
    "filename": filename.decode("utf-8", "replace"), "argc": len(argv)},
    ret=lambda bprm: {"entry": f"{bprm.entry:#x}",
                      "sp": f"{bprm.task.thread.regs.get('rsp', 0):#x}"})
def do_execveat_common(task, dfd: int, filename: bytes, argv: list, envp: list, flags: int = 0):
    """Open, prepare and load; returns the bprm of the program now installed."""
    bprm = prepare_bprm(task, dfd, filename, argv, envp, flags)
    try:
        bprm_execve(bprm)
    except BaseException:
        if bprm.task.mm is not bprm.mm:         # not installed (de_thread may have failed)
            from glasskernel.kernel.fork import mmput
            mmput(bprm.mm)
        raise
    finally:
        bprm.file.close()
    return bprm


def kernel_execve(task, filename: bytes, argv: list, envp: list):
    """Start a program from inside the kernel (init/main.c: run_init_process)."""
    return do_execveat_common(task, AT_FDCWD, filename, argv, envp)


def user_string_array(task, addr: int, limit: int = MAX_ARG_STRINGS, compat: bool = False) -> list:
    """Read a NULL-terminated array of string pointers from user memory (get_user_arg_ptr).

    The pointers are fetched a page at a time (never past the page that holds the next
    one, so no fault beyond the terminator can happen). Each page the strings lie in is
    copied once: a string that ends in its first page is cut from that copy, one that
    runs on past it is read on its own (strncpy_from_user)."""
    strings = []
    pages = {}
    pointers = _COMPAT_POINTERS if compat else _POINTERS
    size = pointers.size
    while addr:
        room = PAGE_SIZE - (addr & (PAGE_SIZE - 1))
        raw = copy_from_user(task, addr, max(size, room - room % size))
        for (ptr,) in pointers.iter_unpack(raw):
            if not ptr:
                return strings
            if len(strings) >= limit:
                raise KernelError(Errno.E2BIG)
            base = ptr & ~(PAGE_SIZE - 1)
            page = pages.get(base)
            try:
                if page is None:
                    page = pages[base] = copy_from_user(task, base, PAGE_SIZE)
                end = page.find(b"\0", ptr - base)
                strings.append(page[ptr - base:end] if end >= 0
                               else strncpy_from_user(task, ptr, MAX_ARG_STRLEN))
            except KernelError as err:
                raise KernelError(Errno.E2BIG if err.errno == Errno.ENAMETOOLONG
                                  else err.errno) from None
        addr += len(raw)
    return strings


def _execve_from_user(task, dfd: int, filename_ptr: int, argv_ptr: int, envp_ptr: int, flags: int,
                      compat: bool = False) -> int:
    """Copy the syscall's arguments in, then exec; on success the task runs the new image."""
    filename = strncpy_from_user(task, filename_ptr, PATH_MAX)
    argv = user_string_array(task, argv_ptr, compat=compat)
    envp = user_string_array(task, envp_ptr, compat=compat)
    if not argv:
        argv = [b""]            # Linux 5.18+: never start a program with argc == 0
    do_execveat_common(task, dfd, filename, argv, envp, flags)
    task.did_exec = True
    trace_sched_process_exec(task, filename, argv, len(envp), envp_ptr)
    return 0


def sys_execve(task, filename, argv, envp) -> int:
    return _execve_from_user(task, AT_FDCWD, filename, argv, envp, 0)


def sys_execveat(task, fd, filename, argv, envp, flags) -> int:
    return do_sys_execveat(task, fd, filename, argv, envp, flags, False)


def do_sys_execveat(task, fd, filename, argv, envp, flags, compat: bool) -> int:
    flags = uint_arg(flags)
    if flags & ~int(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
        raise KernelError(Errno.EINVAL)
    return _execve_from_user(task, fd_arg(fd), filename, argv, envp, flags, compat)


def compat_sys_execve(task, filename, argv, envp) -> int:
    """execve from a 32-bit caller: argv and envp are arrays of 32-bit pointers."""
    return _execve_from_user(task, AT_FDCWD, filename, argv, envp, 0, compat=True)


def compat_sys_execveat(task, fd, filename, argv, envp, flags) -> int:
    return do_sys_execveat(task, fd, filename, argv, envp, flags, True)

"""The ELF core file (the core-dump half of fs/binfmt_elf.c: elf_core_dump).

Layout, as Linux writes it and gdb reads it: the ELF header (ET_CORE), one PT_NOTE program
header and one PT_LOAD per mapping, the notes, then each mapping's bytes at a page-aligned
offset. The notes are the dumping thread's NT_PRSTATUS (registers, signal, ids, times), the
process's NT_PRPSINFO, NT_SIGINFO, NT_AUXV and NT_FILE (which file backs which mapping),
the dumping thread's NT_FPREGSET, then NT_PRSTATUS and NT_FPREGSET of every other thread. Pages never
touched are left as holes (the file stays sparse), as dump_skip leaves them.
"""
import os
import struct

from glasskernel.arch.x86.mm.pgtable import PTE_PFN_MASK
from glasskernel.fs.coredump import vma_dump_size
from glasskernel.mm.memory import VmFault, user_read
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import KernelError
from glasskernel.arch.x86.kernel.process_64 import read_fpstate, user_regs

PAGE = 4096
ET_CORE, EM_X86_64, EV_CURRENT = 4, 62, 1
PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
NT_PRSTATUS, NT_FPREGSET, NT_PRPSINFO, NT_AUXV = 1, 2, 3, 6
NT_SIGINFO, NT_FILE = 0x53494749, 0x46494C45
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")          # Elf64_Ehdr, 64 bytes
_PHDR = struct.Struct("<IIQQQQQQ")                  # Elf64_Phdr, 56 bytes
# user_regs_struct (asm/user_64.h): elf_gregset_t's order
_GREGS = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
          "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "rflags", "rsp", "ss", "fs_base",
          "gs_base", "ds", "es", "fs", "gs")
_USER_CS, _USER_DS = 0x33, 0x2B
# elf_prstatus: elf_siginfo, cursig, sigpend, sighold, 4 ids, 4 timevals, gregs, fpvalid
_PRSTATUS = struct.Struct("<iiih2xQQiiii8q27Qi4x")   # 336 bytes
# elf_prpsinfo: state, sname, zomb, nice, flag, uid, gid, 4 ids, fname[16], psargs[80]
_PRPSINFO = struct.Struct("<bcbb4xQIIiiii16s80s")    # 136 bytes


def _note(name: bytes, ntype: int, desc: bytes) -> bytes:
    """One ELF note: namesz, descsz, type, the NUL-ended name and desc, each 4-aligned."""
    name += b"\0"
    pad = lambda b: b + bytes(-len(b) % 4)              # noqa: E731
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def _timeval(ns: int) -> tuple:
    return ns // 10**9, ns % 10**9 // 1000


def _prstatus(t, signo: int) -> bytes:
    """NT_PRSTATUS of one thread: the signal, its pending/blocked sets, ids, CPU times,
    and its user registers as pt_regs holds them (orig_ax included)."""
    from glasskernel.kernel.sched.cputime import task_cputime
    from glasskernel.kernel.pid import task_pid_vnr
    regs = dict(user_regs(t))
    regs.update(orig_rax=t.thread.orig_rax & (2**64 - 1), cs=_USER_CS, ss=_USER_DS,
                ds=0, es=0, fs=0, gs=0)
    utime, stime = task_cputime(t)
    sig = t.signal
    parent = t.real_parent.tgid if t.real_parent else 0
    return _PRSTATUS.pack(signo, 0, 0, signo, t.pending & (2**64 - 1), t.blocked & (2**64 - 1),
                          task_pid_vnr(t, t), parent, sig.pgrp, sig.session,
                          *_timeval(utime), *_timeval(stime), *_timeval(sig.cutime_ns),
                          *_timeval(sig.cstime_ns),
                          *[regs.get(name, 0) & (2**64 - 1) for name in _GREGS], 1)


PF_DUMPCORE, PF_SIGNALED = 0x200, 0x400


def pr_flag(task) -> int:
    """fill_psinfo's pr_flag: task->flags while it dumps: killed by a signal (PF_SIGNALED),
    dumping (PF_DUMPCORE), not yet exiting (the dump comes before do_exit)."""
    from glasskernel.fs.proc.array import PF_EXITING, task_flags
    return (task_flags(task) & ~PF_EXITING) | PF_SIGNALED | PF_DUMPCORE


def pr_psargs(task) -> bytes:
    """fill_psinfo's pr_psargs: the argument area's first 79 bytes, every NUL in them
    (the last argument's too) turned into a space."""
    mm = task.mm
    length = min(mm.arg_end - mm.arg_start, 79)
    try:
        args = user_read(mm, mm.arg_start, length) if length > 0 else b""
    except (KernelError, VmFault):      # an unmapped argument area: no arguments
        args = b""
    return args.replace(b"\0", b" ")


def _prpsinfo(task) -> bytes:
    """NT_PRPSINFO: state, nice, flags, ids, the command name and its arguments."""
    from glasskernel.kernel.pid import task_tgid_vnr
    parent = task.real_parent.tgid if task.real_parent else 0
    return _PRPSINFO.pack(0, b"R", 0, 0, pr_flag(task), task.cred.uid, task.cred.gid,
                          task_tgid_vnr(task, task), parent, task.signal.pgrp,
                          task.signal.session, task.comm.encode()[:15], pr_psargs(task))


def _nt_file(vmas) -> bytes:
    """NT_FILE: count, page size, then (start, end, offset in pages) of every file
    mapping and their paths, NUL-ended."""
    files = [v for v in vmas if getattr(v.file, "path", "")]   # special mappings have none
    head = struct.pack("<QQ", len(files), PAGE)
    ranges = b"".join(struct.pack("<QQQ", v.start, v.end, v.pgoff // PAGE) for v in files)
    names = b"".join(os.fsencode(getattr(v.file, "path", "")) + b"\0" for v in files)
    return head + ranges + names


def _notes(task, signo: int, info: bytes, vmas) -> bytes:
    """All notes, in Linux's order (write_note_info)."""
    kernel = task.kernel
    threads = [task] + [t for t in kernel.tasks.values()
                        if t is not task and t.signal is task.signal and t.mm is task.mm]
    out = [_note(b"CORE", NT_PRSTATUS, _prstatus(task, signo)),
           _note(b"CORE", NT_PRPSINFO, _prpsinfo(task)),
           _note(b"CORE", NT_SIGINFO, bytes(info[:128]).ljust(128, b"\0")),
           _note(b"CORE", NT_AUXV, task.mm.auxv),
           _note(b"CORE", NT_FILE, _nt_file(vmas)),
           _note(b"CORE", NT_FPREGSET, read_fpstate(task))]
    for t in threads[1:]:
        out += [_note(b"CORE", NT_PRSTATUS, _prstatus(t, signo)),
                _note(b"CORE", NT_FPREGSET, read_fpstate(t))]
    return b"".join(out)


def _first_page(vma) -> bytes:
    try:
        return vma.file.pread(4, vma.pgoff)
    except Exception:                   # noqa: BLE001 - an unreadable file has no header
        return b""


def _flags(vma) -> int:
    f = vma.flags
    return ((PF_R if f & VmFlags.VM_READ else 0) | (PF_W if f & VmFlags.VM_WRITE else 0)
            | (PF_X if f & VmFlags.VM_EXEC else 0))


class CoreFormat:
    """What differs between the 64-bit core and an i386 task's (compat_binfmt_elf.c):
    the ELF class and machine, the header layouts and the notes."""

    __slots__ = ("elfclass", "machine", "ehdr", "phdr", "notes")

    def __init__(self, elfclass: int, machine: int, ehdr: struct.Struct, phdr, notes):
        self.elfclass, self.machine, self.ehdr = elfclass, machine, ehdr
        self.phdr, self.notes = phdr, notes   # phdr(type, flags, offset, vaddr, filesz, memsz)


def _phdr64(ptype: int, flags: int, offset: int, vaddr: int, filesz: int, memsz: int) -> bytes:
    return _PHDR.pack(ptype, flags, offset, vaddr, 0, filesz, memsz, PAGE if ptype == PT_LOAD else 0)


ELF64_CORE = CoreFormat(2, EM_X86_64, _EHDR, _phdr64, _notes)


def _core_format(task) -> CoreFormat:
    from glasskernel.arch.x86.kernel.ptrace import user_mode_is_compat
    if user_mode_is_compat(task):
        from glasskernel.fs.compat_binfmt_elf_core import ELF32_CORE
        return ELF32_CORE
    return ELF64_CORE


def elf_core_dump(task, signo: int, info: bytes, file, limit: int) -> bool:
    """Write the core into file, at most ``limit`` bytes of it; True: it was dumped."""
    fmt = _core_format(task)
    mm = task.mm
    vmas = list(mm.vmas)
    filt = mm.coredump_filter
    sizes = [vma_dump_size(v, filt, _first_page) for v in vmas]
    notes = fmt.notes(task, signo, info, vmas)
    phnum = len(vmas) + 1
    phsize = len(fmt.phdr(PT_NOTE, 0, 0, 0, 0, 0))
    notes_at = fmt.ehdr.size + phsize * phnum
    offset = (notes_at + len(notes) + PAGE - 1) & ~(PAGE - 1)
    phdrs = [fmt.phdr(PT_NOTE, 0, notes_at, 0, len(notes), 0)]
    for vma, size in zip(vmas, sizes):
        phdrs.append(fmt.phdr(PT_LOAD, _flags(vma), offset, vma.start, size, vma.end - vma.start))
        offset += size
    ident = b"\x7fELF" + bytes((fmt.elfclass, 1, 1)) + bytes(9)   # little-endian, SYSV
    head = fmt.ehdr.pack(ident, ET_CORE, fmt.machine, EV_CURRENT, 0, fmt.ehdr.size, 0, 0,
                         fmt.ehdr.size, phsize, phnum, 64 if fmt.elfclass == 2 else 40, 0, 0)
    # From here the core counts as dumped (has_dumped), even if RLIMIT_CORE cuts it short.
    writer = _CoreWriter(file, limit)
    if not writer.emit(head + b"".join(phdrs) + notes, 0):
        return True
    offset = (notes_at + len(notes) + PAGE - 1) & ~(PAGE - 1)
    for vma, size in zip(vmas, sizes):
        if size and not _dump_vma(writer, mm, vma, size, offset):
            return True
        offset += size
    writer.finish(offset)
    return True


def _dump_vma(writer, mm, vma, size: int, offset: int) -> bool:
    """get_dump_page's choice: anonymous pages never touched stay holes; the pages of a
    file or of the vDSO are read (faulted in) whether this process touched them or not."""
    if vma.file is None and vma.name != "[vdso]":
        return _dump_pages(writer, mm, vma.start, vma.start + size, offset)
    for va in range(vma.start, vma.start + size, PAGE):
        try:
            data = user_read(mm, va, PAGE)
        except (KernelError, VmFault):          # past the end of the file: a hole
            continue
        if not writer.emit(data, offset + va - vma.start):
            return False
    return True


def _dump_pages(writer, mm, start: int, end: int, offset: int) -> bool:
    """The present pages of [start, end) at their place in the file; holes elsewhere."""
    view = mm.view
    run_va = run_data = None
    for va, pte in mm.pgtable.present_ptes(start, end):
        pa = pte & PTE_PFN_MASK
        if run_va is not None and va == run_va + len(run_data):
            run_data += view[pa:pa + PAGE]
            continue
        if run_va is not None and not writer.emit(bytes(run_data), offset + run_va - start):
            return False
        run_va, run_data = va, bytearray(view[pa:pa + PAGE])
    if run_va is not None:
        return writer.emit(bytes(run_data), offset + run_va - start)
    return True


class _CoreWriter:
    """The core file's writes (dump_emit): the bytes written, holes aside, stay within
    RLIMIT_CORE; past it the dump stops where it is."""

    __slots__ = ("file", "limit", "written")

    def __init__(self, file, limit: int):
        self.file = file
        self.limit = limit
        self.written = 0

    def emit(self, data: bytes, offset: int) -> bool:
        if self.written + len(data) > self.limit:
            return False
        done = 0
        while done < len(data):
            count = self.file.pwrite(data[done:], offset + done)
            if count <= 0:
                return False
            done += count
        self.written += done
        return True

    def finish(self, size: int) -> None:
        """The file is as long as its last segment, holes included (gdb checks)."""
        if self.file.size() < size:
            self.file.truncate(size)

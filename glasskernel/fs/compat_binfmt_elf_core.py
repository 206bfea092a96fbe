"""The core file of an i386 process (fs/compat_binfmt_elf.c: binfmt_elf.c's elf_core_dump
built with 32-bit types).

An ELFCLASS32/EM_386 ET_CORE file with Elf32 program headers; the notes are Linux's for the
ia32 regset view (user_x86_32_view): per thread NT_PRSTATUS (compat_elf_prstatus with the
i386 user_regs_struct), and after the first thread's, the process's NT_PRPSINFO
(compat_elf_prpsinfo), NT_SIGINFO (compat_siginfo), NT_AUXV (the mm's 4-byte auxv) and
NT_FILE (32-bit entries); then the thread's other regsets: NT_PRFPREG (the fsave layout,
user_i387_ia32_struct), NT_PRXFPREG (fxsave) and NT_386_TLS (its three user_desc, when one
is in use). Layouts as `gcc -m32` measures them: elf_prstatus 144 bytes (pr_reg at 72),
elf_prpsinfo 124 (16-bit uid/gid), user_regs_struct 68, user_fpregs_struct 108.
"""
import os
import struct

from glasskernel.arch.x86 import fpu
from glasskernel.arch.x86.kernel.ptrace import getreg32_values
from glasskernel.arch.x86.kernel.tls import fill_user_desc
from glasskernel.arch.x86.segment import GDT_ENTRY_TLS_ENTRIES, GDT_ENTRY_TLS_MIN
from glasskernel.fs.binfmt_elf_core import (NT_AUXV, NT_FILE, NT_PRPSINFO, NT_PRSTATUS,
                                            NT_SIGINFO, PAGE, PT_LOAD, CoreFormat, _note,
                                            _timeval, pr_flag, pr_psargs)
from glasskernel.kernel.signal_compat import copy_siginfo_to_external32
from glasskernel.arch.x86.kernel.process_64 import read_fpstate

EM_386 = 3
NT_PRFPREG, NT_PRXFPREG, NT_386_TLS = 2, 0x46E62B7F, 0x200
_EHDR32 = struct.Struct("<16sHHIIIIIHHHHHH")        # Elf32_Ehdr, 52 bytes
_PHDR32 = struct.Struct("<IIIIIIII")                # Elf32_Phdr, 32 bytes
# user_regs_struct (i386): compat_elf_gregset_t's order
_GREGS32 = ("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs",
            "orig_eax", "eip", "cs", "eflags", "esp", "ss")
# compat_elf_prstatus: siginfo, cursig, sigpend, sighold, 4 ids, 4 timevals, gregs, fpvalid
_PRSTATUS32 = struct.Struct("<iiih2xIIiiii8i17Ii")   # 144 bytes
# compat_elf_prpsinfo: state, sname, zomb, nice, flag, uid16, gid16, 4 ids, fname, psargs
_PRPSINFO32 = struct.Struct("<bcbbIHHiiii16s80s")    # 124 bytes
_M32 = 0xFFFFFFFF


def _phdr32(ptype: int, flags: int, offset: int, vaddr: int, filesz: int, memsz: int) -> bytes:
    return _PHDR32.pack(ptype, offset, vaddr, 0, filesz, memsz, flags,
                        PAGE if ptype == PT_LOAD else 0)


def _compat_prstatus(t, signo: int) -> bytes:
    """NT_PRSTATUS of one i386 thread: the signal, the first words of its pending and
    blocked sets, ids, CPU times (32-bit timevals) and its registers as ptrace's
    genregs32_get shows them."""
    from glasskernel.kernel.pid import task_pid_vnr
    from glasskernel.kernel.sched.cputime import task_cputime
    regs = getreg32_values(t.kernel, t)
    utime, stime = task_cputime(t)
    sig = t.signal
    parent = t.real_parent.tgid if t.real_parent else 0
    return _PRSTATUS32.pack(signo, 0, 0, signo, t.pending & _M32, t.blocked & _M32,
                            task_pid_vnr(t, t), parent, sig.pgrp, sig.session,
                            *_timeval(utime), *_timeval(stime), *_timeval(sig.cutime_ns),
                            *_timeval(sig.cstime_ns),
                            *[regs.get(name, 0) & _M32 for name in _GREGS32], 1)


def _compat_prpsinfo(task) -> bytes:
    """NT_PRPSINFO with compat_elf_prpsinfo's 32-bit flag word and 16-bit ids."""
    from glasskernel.kernel.pid import task_tgid_vnr
    parent = task.real_parent.tgid if task.real_parent else 0
    return _PRPSINFO32.pack(0, b"R", 0, 0, pr_flag(task) & _M32, task.cred.uid & 0xFFFF,
                            task.cred.gid & 0xFFFF, task_tgid_vnr(task, task), parent,
                            task.signal.pgrp, task.signal.session,
                            task.comm.encode()[:15], pr_psargs(task))


def _compat_nt_file(vmas) -> bytes:
    """NT_FILE with 4-byte words: count, page size, (start, end, page offset) of every
    file mapping, then their paths."""
    files = [v for v in vmas if getattr(v.file, "path", "")]
    head = struct.pack("<II", len(files), PAGE)
    ranges = b"".join(struct.pack("<III", v.start & _M32, v.end & _M32, (v.pgoff // PAGE) & _M32)
                      for v in files)
    names = b"".join(os.fsencode(v.file.path) + b"\0" for v in files)
    return head + ranges + names


def _fp_notes(t) -> list:
    """The regset notes after NT_PRSTATUS, in user_x86_32_view's order: the fsave image,
    the fxsave area, and the TLS slots when one is in use (regset_tls_active)."""
    kernel = t.kernel
    area = read_fpstate(t)
    segs = getreg32_values(kernel, t)
    out = [_note(b"CORE", NT_PRFPREG, fpu.convert_from_fxsr(area, segs["cs"], segs["ds"])),
           _note(b"LINUX", NT_PRXFPREG, bytes(area[:512]))]
    tls = t.thread.tls_array
    if any(tls):
        descs = b"".join(fill_user_desc(GDT_ENTRY_TLS_MIN + i, tls[8 * i:8 * i + 8])
                         for i in range(GDT_ENTRY_TLS_ENTRIES))
        out.append(_note(b"LINUX", NT_386_TLS, descs))
    return out


def _compat_notes(task, signo: int, info: bytes, vmas) -> bytes:
    """All notes, in write_note_info's order."""
    threads = [task] + [t for t in task.kernel.tasks.values()
                        if t is not task and t.signal is task.signal and t.mm is task.mm]
    out = [_note(b"CORE", NT_PRSTATUS, _compat_prstatus(task, signo)),
           _note(b"CORE", NT_PRPSINFO, _compat_prpsinfo(task)),
           _note(b"CORE", NT_SIGINFO, copy_siginfo_to_external32(bytes(info).ljust(128, b"\0"))),
           _note(b"CORE", NT_AUXV, task.mm.auxv),
           _note(b"CORE", NT_FILE, _compat_nt_file(vmas))] + _fp_notes(task)
    for t in threads[1:]:
        out += [_note(b"CORE", NT_PRSTATUS, _compat_prstatus(t, signo))] + _fp_notes(t)
    return b"".join(out)


ELF32_CORE = CoreFormat(1, EM_386, _EHDR32, _phdr32, _compat_notes)

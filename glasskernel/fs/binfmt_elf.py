"""The ELF binary format handler (fs/binfmt_elf.c).

``load_elf_binary`` checks the header, reads the program headers, crosses the point of no
return (``begin_new_exec``), maps each PT_LOAD segment with its protections, zeroes the .bss,
places the program break after the highest segment, builds the initial stack
(``create_elf_tables``) and finally points the saved user registers at the entry
(``start_thread``). Static executables (ET_EXEC) and static PIE (ET_DYN) are loaded; a
program that asks for an interpreter (PT_INTERP) is refused for now.
"""
import struct
from dataclasses import dataclass

from glasskernel.arch.x86.entry.vdso.vma import arch_setup_additional_pages
from glasskernel.arch.x86.kernel.process_64 import start_thread
from glasskernel.mm.mm_types import ELF_ET_DYN_BASE, TASK_SIZE, page_align
from glasskernel.mm.mmap import MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE, do_mmap
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.kernel.trace.tracepoint import trace_event, traced

ELFMAG = b"\x7fELF"
ELFCLASS64, ELFDATA2LSB, EV_CURRENT = 2, 1, 1
ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62
PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK = 1, 3, 6, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
ELF_MIN_ALIGN = PAGE_SIZE
# A program header table larger than this is refused (ELF_MIN_ALIGN*16 … Linux uses 64 KiB).
_MAX_PHDRS_SIZE = 65536

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")

# auxv entry types (include/uapi/linux/auxvec.h)
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN = 23, 25, 26, 31
AT_SYSINFO_EHDR = 33
ELF_PLATFORM = b"x86_64"
USER_HZ = 100


class NotSupported(KernelError):
    """A well-formed program this kernel cannot run yet (reported as ENOEXEC)."""

    def __init__(self, message: str):
        super().__init__(Errno.ENOEXEC, message)


@dataclass
class ElfHeader:
    e_type: int
    e_machine: int
    e_entry: int
    e_phoff: int
    e_phentsize: int
    e_phnum: int


@dataclass
class ElfPhdr:
    p_type: int
    p_flags: int
    p_offset: int
    p_vaddr: int
    p_paddr: int
    p_filesz: int
    p_memsz: int
    p_align: int


def elf_check_header(buf: bytes) -> ElfHeader:
    """Is this an x86-64 ELF executable we can load? ENOEXEC otherwise."""
    if len(buf) < _EHDR.size or buf[:4] != ELFMAG:
        raise KernelError(Errno.ENOEXEC)
    ident, e_type, e_machine, e_version, e_entry, e_phoff, _shoff, _flags, _ehsize, \
        e_phentsize, e_phnum, _shentsize, _shnum, _shstrndx = _EHDR.unpack_from(buf)
    if ident[4] != ELFCLASS64 or ident[5] != ELFDATA2LSB or ident[6] != EV_CURRENT:
        raise KernelError(Errno.ENOEXEC)
    if e_type not in (ET_EXEC, ET_DYN) or e_machine != EM_X86_64:
        raise KernelError(Errno.ENOEXEC)
    return ElfHeader(e_type, e_machine, e_entry, e_phoff, e_phentsize, e_phnum)


def load_elf_phdrs(ehdr: ElfHeader, file) -> list:
    """Read and sanity-check the program header table (binfmt_elf.c: load_elf_phdrs)."""
    if ehdr.e_phentsize != _PHDR.size or ehdr.e_phnum < 1:
        raise KernelError(Errno.ENOEXEC)
    size = ehdr.e_phnum * _PHDR.size
    if size > _MAX_PHDRS_SIZE:
        raise KernelError(Errno.ENOEXEC)
    if ehdr.e_phoff + size > file.size():
        raise KernelError(Errno.ENOEXEC)
    raw = file.pread(size, ehdr.e_phoff)
    if len(raw) != size:
        # elf_read fails with EIO, but load_elf_binary only sees "no headers": ENOEXEC.
        raise KernelError(Errno.ENOEXEC)
    return [ElfPhdr(*_PHDR.unpack_from(raw, i * _PHDR.size)) for i in range(ehdr.e_phnum)]


def check_load_segments(phdrs: list, file_size: int) -> list:
    """The PT_LOAD headers, checked before the point of no return.

    Linux discovers some of these problems only while mapping, after the old program is
    gone, and then kills the task with SIGSEGV (or lets it die of SIGBUS later, for file
    bytes that are not there). We refuse them up front with ENOEXEC so the caller gets a
    clear "Exec format error" instead; well-formed files behave exactly as on Linux.
    """
    loads = [ph for ph in phdrs if ph.p_type == PT_LOAD]
    if not loads:
        raise KernelError(Errno.ENOEXEC)
    for ph in loads:
        if ph.p_filesz > ph.p_memsz or ph.p_offset + ph.p_filesz > file_size:
            raise KernelError(Errno.ENOEXEC)
        if (ph.p_vaddr - ph.p_offset) % PAGE_SIZE:
            raise KernelError(Errno.ENOEXEC)
        if ph.p_vaddr + ph.p_memsz > TASK_SIZE:
            raise KernelError(Errno.ENOEXEC)
    return loads


def make_prot(p_flags: int) -> int:
    prot = 0
    if p_flags & PF_R:
        prot |= PROT_READ
    if p_flags & PF_W:
        prot |= PROT_WRITE
    if p_flags & PF_X:
        prot |= PROT_EXEC
    return prot


def elf_map(mm, file, bias: int, ph: ElfPhdr) -> None:
    """Map one segment's file bytes, then zero its .bss part (elf_map + padzero + set_brk)."""
    prot = make_prot(ph.p_flags)
    vaddr = bias + ph.p_vaddr
    page_off = vaddr & (PAGE_SIZE - 1)
    start = vaddr - page_off
    if ph.p_filesz:
        do_mmap(mm, start, ph.p_filesz + page_off, prot, MAP_FIXED | MAP_PRIVATE,
                file, ph.p_offset - page_off)
    file_end = vaddr + ph.p_filesz
    mem_end = vaddr + ph.p_memsz
    if ph.p_memsz > ph.p_filesz:
        # The tail of the last file page holds unrelated file bytes: clear it (padzero).
        tail = min(page_align(file_end), mem_end) - file_end
        if ph.p_filesz and tail and prot & PROT_WRITE:
            mm.write(file_end, bytes(tail))
        anon_start = page_align(file_end) if ph.p_filesz else start
        if page_align(mem_end) > anon_start:
            do_mmap(mm, anon_start, page_align(mem_end) - anon_start, prot,
                    MAP_FIXED | MAP_PRIVATE | 0x20)


def load_bias(ehdr: ElfHeader, loads: list) -> int:
    """Where an ET_DYN image goes (ELF_ET_DYN_BASE, no randomisation); 0 for ET_EXEC."""
    if ehdr.e_type != ET_DYN:
        return 0
    first = min(ph.p_vaddr for ph in loads) & ~(PAGE_SIZE - 1)
    return ELF_ET_DYN_BASE - first


def find_phdr_addr(ehdr: ElfHeader, phdrs: list, loads: list, bias: int) -> int:
    """User address of the program headers, for AT_PHDR."""
    for ph in phdrs:
        if ph.p_type == PT_PHDR:
            return ph.p_vaddr + bias
    for ph in loads:
        if ph.p_offset <= ehdr.e_phoff < ph.p_offset + ph.p_filesz:
            return ph.p_vaddr + (ehdr.e_phoff - ph.p_offset) + bias
    return 0


def executable_stack(phdrs: list) -> bool:
    """PT_GNU_STACK decides; without it x86-64 defaults to a non-executable stack."""
    for ph in phdrs:
        if ph.p_type == PT_GNU_STACK:
            return bool(ph.p_flags & PF_X)
    return False


@traced(ret=lambda _r: {})
def load_elf_binary(bprm) -> None:
    """Replace the current program with this ELF image (binfmt_elf.c: load_elf_binary)."""
    from glasskernel.fs import exec as fs_exec

    ehdr = elf_check_header(bprm.buf)
    phdrs = load_elf_phdrs(ehdr, bprm.file)
    if any(ph.p_type == PT_INTERP for ph in phdrs):
        raise NotSupported("dynamically linked programs (PT_INTERP) are not supported yet")
    loads = check_load_segments(phdrs, bprm.file.size())
    bias = load_bias(ehdr, loads)
    bprm.executable_stack = executable_stack(phdrs)

    fs_exec.begin_new_exec(bprm)                  # point of no return
    fs_exec.setup_new_exec(bprm)
    mm = bprm.mm
    fs_exec.setup_arg_pages(bprm, bprm.executable_stack)
    for ph in loads:
        elf_map(mm, bprm.file, bias, ph)
    set_layout(mm, loads, bias)
    arch_setup_additional_pages(bprm)             # [vvar] and [vdso]
    entry = ehdr.e_entry + bias
    phdr_addr = find_phdr_addr(ehdr, phdrs, loads, bias)
    sp = create_elf_tables(bprm, ehdr, phdr_addr, entry)
    bprm.entry = entry
    trace_event("load_elf_binary_entry", entry=f"{entry:#x}", e_entry=f"{ehdr.e_entry:#x}",
                bias=f"{bias:#x}", sp=f"{sp:#x}")
    start_thread(bprm.task, entry, sp)


def set_layout(mm, loads: list, bias: int) -> None:
    """start_code/end_code/start_data/end_data and the initial program break."""
    code = [ph for ph in loads if ph.p_flags & PF_X] or loads
    mm.start_code = min(ph.p_vaddr for ph in code) + bias
    mm.end_code = max(ph.p_vaddr + ph.p_filesz for ph in code) + bias
    mm.start_data = min(ph.p_vaddr for ph in loads if ph not in code) + bias if len(code) < len(loads) else mm.end_code
    mm.end_data = max(ph.p_vaddr + ph.p_filesz for ph in loads) + bias
    mm.start_brk = mm.brk = page_align(max(ph.p_vaddr + ph.p_memsz for ph in loads) + bias)


def _auxv(bprm, ehdr, phdr_addr, entry, random_addr, platform_addr, execfn_addr) -> list:
    """The auxiliary vector in the order Linux 6.1 writes it on x86-64."""
    cred = bprm.task.cred
    return [
        (AT_SYSINFO_EHDR, bprm.mm.vdso),        # ARCH_DLINFO
        (AT_HWCAP, bprm.task.kernel.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, USER_HZ),
        (AT_PHDR, phdr_addr),
        (AT_PHENT, _PHDR.size),
        (AT_PHNUM, ehdr.e_phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, entry),
        (AT_UID, cred.uid),
        (AT_EUID, cred.euid),
        (AT_GID, cred.gid),
        (AT_EGID, cred.egid),
        (AT_SECURE, 0),
        (AT_RANDOM, random_addr),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn_addr),
        (AT_PLATFORM, platform_addr),
        (AT_NULL, 0),
    ]


def create_elf_tables(bprm, ehdr, phdr_addr: int, entry: int) -> int:
    """Write platform string, AT_RANDOM bytes, argc, argv, envp and auxv; return the sp.

    Above this, at the very top of the stack, ``copy_strings`` already placed the file name,
    the environment strings and the argument strings.
    """
    mm = bprm.mm
    p = bprm.p & ~0xF
    p -= len(ELF_PLATFORM) + 1
    platform_addr = p
    mm.write(p, ELF_PLATFORM + b"\0")
    p -= 16
    random_addr = p
    mm.write(p, bprm.task.kernel.random_bytes(16))
    auxv = _auxv(bprm, ehdr, phdr_addr, entry, random_addr, platform_addr, bprm.execfn_addr)
    words = [bprm.argc] + bprm.argv_addrs + [0] + bprm.envp_addrs + [0]
    for key, value in auxv:
        words += [key, value]
    sp = (p - 8 * len(words)) & ~0xF            # STACK_ROUND: sp 16-byte aligned at argc
    mm.write(sp, struct.pack(f"<{len(words)}Q", *words))
    mm.arg_start = bprm.argv_addrs[0] if bprm.argv_addrs else bprm.p
    mm.arg_end = mm.env_start = bprm.envp_addrs[0] if bprm.envp_addrs else bprm.execfn_addr
    mm.env_end = bprm.execfn_addr
    mm.auxv = struct.pack(f"<{2 * len(auxv)}Q", *[v for pair in auxv for v in pair])
    mm.start_stack = sp
    return sp


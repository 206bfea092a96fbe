"""The ELF binary format handler (fs/binfmt_elf.c).

``load_elf_binary`` checks the header, reads the program headers and, when the program
names an interpreter (PT_INTERP: the dynamic linker, /lib64/ld-linux-x86-64.so.2), opens
and checks that file too. Then it crosses the point of no return (``begin_new_exec``),
maps each PT_LOAD segment with its protections (a PIE at ELF_ET_DYN_BASE), zeroes the
.bss, maps the interpreter at a base of its own (``load_elf_interp``), places the program
break after the program's highest segment, builds the initial stack (``create_elf_tables``:
AT_BASE tells the linker where it was put, AT_ENTRY where the program starts) and finally
points the saved user registers at the entry: the interpreter's when there is one, the
program's otherwise (``start_thread``). Without ASLR, as under ``setarch -R``.
"""
import struct
from dataclasses import dataclass

from glasskernel.arch.x86.entry.vdso.vma import arch_setup_additional_pages, vdso_entry_32
from glasskernel.arch.x86.kernel.process_64 import compat_start_thread, set_personality_ia32, start_thread
from glasskernel.arch.x86.kernel.signal import get_sigframe_size
from glasskernel.mm.mm_types import ELF_ET_DYN_BASE, IA32_PAGE_OFFSET, TASK_SIZE, page_align
from glasskernel.mm.mmap import (MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE,
                                 PROT_EXEC, PROT_READ, PROT_WRITE, do_mmap, do_munmap)
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.uapi.errno import Errno, KernelError, strerror
from glasskernel.uapi.limits import PATH_MAX
from glasskernel.kernel.trace.tracepoint import trace_event, traced
from glasskernel.drivers.char.random import get_random_bytes

ELFMAG = b"\x7fELF"
ELFCLASS32, ELFCLASS64, ELFDATA2LSB, EV_CURRENT = 1, 2, 1, 1
ET_EXEC, ET_DYN = 2, 3
EM_386, EM_X86_64 = 3, 62
PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK = 1, 3, 6, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
ELF_MIN_ALIGN = PAGE_SIZE
# A program header table larger than this is refused (ELF_MIN_ALIGN*16 … Linux uses 64 KiB).
_MAX_PHDRS_SIZE = 65536

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_EHDR32 = struct.Struct("<16sHHIIIIIHHHHHH")
_PHDR32 = struct.Struct("<IIIIIIII")       # type, offset, vaddr, paddr, filesz, memsz, flags, align

# auxv entry types (include/uapi/linux/auxvec.h)
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_MINSIGSTKSZ = 23, 25, 26, 31, 51
AT_SYSINFO, AT_SYSINFO_EHDR = 32, 33
USER_HZ = 100


@dataclass(frozen=True)
class ElfClass:
    """What differs between binfmt_elf and compat_binfmt_elf (Linux builds the second from
    the first with these macros redefined): the machine, the header layouts, the size of
    a stack word, ELF_PLATFORM and where a PIE with an interpreter goes."""
    ei_class: int
    machine: int
    ehdr: struct.Struct
    phdr: struct.Struct
    word: str
    platform: bytes
    et_dyn_base: int

    @property
    def compat(self) -> bool:
        return self.ei_class == ELFCLASS32


ELF64 = ElfClass(ELFCLASS64, EM_X86_64, _EHDR, _PHDR, "Q", b"x86_64", ELF_ET_DYN_BASE)
# COMPAT_ELF_ET_DYN_BASE: TASK_UNMAPPED_BASE of a 4 GiB task (a third of it) + 16 MiB.
ELF32 = ElfClass(ELFCLASS32, EM_386, _EHDR32, _PHDR32, "I", b"i686",
                 page_align(IA32_PAGE_OFFSET // 3) + 0x100_0000)


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
    elf: ElfClass = ELF64


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


def parse_elf_header(buf: bytes) -> ElfHeader:
    """The fields of a little-endian ELF header of either class; ENOEXEC if it is not one."""
    if len(buf) < 16 or buf[:4] != ELFMAG:
        raise KernelError(Errno.ENOEXEC)
    elf = {ELFCLASS64: ELF64, ELFCLASS32: ELF32}.get(buf[4])
    if elf is None or len(buf) < elf.ehdr.size or buf[5] != ELFDATA2LSB or buf[6] != EV_CURRENT:
        raise KernelError(Errno.ENOEXEC)
    _ident, e_type, e_machine, _version, e_entry, e_phoff, _shoff, _flags, _ehsize, \
        e_phentsize, e_phnum, _shentsize, _shnum, _shstrndx = elf.ehdr.unpack_from(buf)
    return ElfHeader(e_type, e_machine, e_entry, e_phoff, e_phentsize, e_phnum, elf)


def elf_check_header(buf: bytes, interp: str = "") -> ElfHeader:
    """Is this an ELF executable we can load: x86-64, or i386 (compat_binfmt_elf, run in
    compatibility mode)? ENOEXEC otherwise."""
    ehdr = parse_elf_header(buf)
    if ehdr.e_type not in (ET_EXEC, ET_DYN) or ehdr.e_machine != ehdr.elf.machine:
        raise KernelError(Errno.ENOEXEC)
    return ehdr


def load_elf_phdrs(ehdr: ElfHeader, file) -> list:
    """Read and sanity-check the program header table (binfmt_elf.c: load_elf_phdrs)."""
    phdr = ehdr.elf.phdr
    if ehdr.e_phentsize != phdr.size or ehdr.e_phnum < 1:
        raise KernelError(Errno.ENOEXEC)
    size = ehdr.e_phnum * phdr.size
    if size > _MAX_PHDRS_SIZE:
        raise KernelError(Errno.ENOEXEC)
    if ehdr.e_phoff + size > file.size():
        raise KernelError(Errno.ENOEXEC)
    raw = file.pread(size, ehdr.e_phoff)
    if len(raw) != size:
        # elf_read fails with EIO, but load_elf_binary only sees "no headers": ENOEXEC.
        raise KernelError(Errno.ENOEXEC)
    if ehdr.elf.compat:
        return [ElfPhdr(t, flags, off, va, pa, fsz, msz, align) for t, off, va, pa, fsz, msz, flags, align
                in phdr.iter_unpack(raw)]
    return [ElfPhdr(*fields) for fields in phdr.iter_unpack(raw)]


def check_load_segments(phdrs: list, file_size: int, errno: Errno = Errno.ENOEXEC) -> list:
    """The PT_LOAD headers, checked before the point of no return.

    Linux discovers some of these problems only while mapping, after the old program is
    gone, and then kills the task with SIGSEGV (or lets it die of SIGBUS later, for file
    bytes that are not there). We refuse them up front (ENOEXEC, ELIBBAD for an
    interpreter) so the caller gets a clear error; well-formed files behave as on Linux.
    """
    loads = [ph for ph in phdrs if ph.p_type == PT_LOAD]
    if not loads:
        raise KernelError(errno)
    for ph in loads:
        if ph.p_filesz > ph.p_memsz or ph.p_offset + ph.p_filesz > file_size:
            raise KernelError(errno)
        if (ph.p_vaddr - ph.p_offset) % PAGE_SIZE:
            raise KernelError(errno)
        if ph.p_vaddr + ph.p_memsz > TASK_SIZE:
            raise KernelError(errno)
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


def total_mapping_size(loads: list) -> int:
    """The span from the first PT_LOAD's page to the end of the last one's memory."""
    first = min(ph.p_vaddr for ph in loads) & ~(PAGE_SIZE - 1)
    return max(ph.p_vaddr + ph.p_memsz for ph in loads) - first


def maximum_alignment(loads: list) -> int:
    """The largest power-of-two p_align of the segments, at least a page."""
    aligns = [ph.p_align for ph in loads if ph.p_align and not ph.p_align & (ph.p_align - 1)]
    return page_align(max(aligns, default=0)) or PAGE_SIZE


def elf_map(mm, file, addr: int, ph: ElfPhdr, prot: int, flags: int, total_size: int) -> int:
    """Map one segment's file pages at addr (its page); the first of an image reserves the
    whole image's span (total_size) and gives back what lies past the segment."""
    page_off = ph.p_vaddr & (PAGE_SIZE - 1)
    size = page_align(ph.p_filesz + page_off)
    addr &= ~(PAGE_SIZE - 1)
    if not size:
        return addr
    if total_size:
        total_size = page_align(total_size)
        addr = do_mmap(mm, addr, total_size, prot, flags, file, ph.p_offset - page_off)
        if total_size > size:
            do_munmap(mm, addr + size, total_size - size)
        return addr
    return do_mmap(mm, addr, size, prot, flags, file, ph.p_offset - page_off)


def elf_load(mm, file, addr: int, ph: ElfPhdr, prot: int, flags: int, total_size: int = 0) -> int:
    """elf_map, then the .bss: zero the rest of the last file page (padzero) and map
    anonymous pages up to p_memsz (vm_brk_flags: read-write, executable if the segment is)."""
    page_off = ph.p_vaddr & (PAGE_SIZE - 1)
    if ph.p_filesz:
        map_addr = elf_map(mm, file, addr, ph, prot, flags, total_size)
        zero_start = map_addr + page_off + ph.p_filesz
        tail = page_align(zero_start) - zero_start
        if ph.p_memsz > ph.p_filesz and tail and prot & PROT_WRITE:
            # The whole rest of the page, not just to p_memsz: ld.so's first allocator
            # hands out the memory past its _end as already zero.
            mm.write(zero_start, bytes(tail))
    else:
        map_addr = zero_start = addr & ~(PAGE_SIZE - 1)
    zero_end = map_addr + page_off + ph.p_memsz
    if ph.p_memsz > ph.p_filesz and page_align(zero_end) > page_align(zero_start):
        start = page_align(zero_start)
        do_mmap(mm, start, page_align(zero_end) - start,
                PROT_READ | PROT_WRITE | (prot & PROT_EXEC), MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS)
    return map_addr


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


@dataclass
class ElfInterp:
    """The dynamic linker a program asked for, opened and checked before the point of no
    return (interpreter, interp_elf_ex and interp_elf_phdata in load_elf_binary)."""
    name: str
    file: object
    ehdr: ElfHeader
    phdrs: list
    loads: list


def read_interp_name(bprm, ph: ElfPhdr) -> bytes:
    """The PT_INTERP path: 2..PATH_MAX bytes ending in its NUL, else ENOEXEC."""
    if ph.p_filesz > PATH_MAX or ph.p_filesz < 2:
        raise KernelError(Errno.ENOEXEC)
    raw = bprm.file.pread(ph.p_filesz, ph.p_offset)
    if len(raw) != ph.p_filesz:
        raise KernelError(Errno.EIO)              # elf_read of a short file
    if raw[-1] != 0:
        raise KernelError(Errno.ENOEXEC)
    return raw[:-1].split(b"\0", 1)[0]


def open_elf_interp(bprm, phdrs: list, elf: ElfClass):
    """Open and check the interpreter of the first PT_INTERP (None without one): errors
    from opening it as open_exec gives them, ELIBBAD when it is not an x86-64 ELF."""
    from glasskernel.fs.namei import open_exec
    from glasskernel.uapi.fcntl import AT_FDCWD
    ph = next((ph for ph in phdrs if ph.p_type == PT_INTERP), None)
    if ph is None:
        return None
    name = read_interp_name(bprm, ph)
    text = name.decode("utf-8", "surrogateescape")
    try:
        file = open_exec(bprm.task, AT_FDCWD, name, 0)
    except KernelError as err:
        raise KernelError(err.errno, f"cannot execute: interpreter {text} "
                          f"({strerror(err.errno)})") from None
    try:
        return ElfInterp(text, file, *check_elf_interp(file, elf))
    except BaseException:
        file.close()
        raise


def check_elf_interp(file, elf: ElfClass) -> tuple:
    """(ehdr, phdrs, loads) of an interpreter: EIO if shorter than a header, ELIBBAD if
    it is not an ELF image of the program's class and machine or its headers are broken."""
    buf = file.pread(elf.ehdr.size, 0)
    if len(buf) != elf.ehdr.size:
        raise KernelError(Errno.EIO)
    try:
        ehdr = parse_elf_header(buf)
        if ehdr.elf is not elf or ehdr.e_machine != elf.machine or ehdr.e_type not in (ET_EXEC, ET_DYN):
            raise KernelError(Errno.ELIBBAD)
        phdrs = load_elf_phdrs(ehdr, file)
        return ehdr, phdrs, check_load_segments(phdrs, file.size(), Errno.ELIBBAD)
    except KernelError as err:
        raise KernelError(Errno.ELIBBAD) if err.errno == Errno.ENOEXEC else err


@traced(args=lambda mm, interp: {"interpreter": interp.name},
        ret=lambda base: {"base": f"{base:#x}"})
def load_elf_interp(mm, interp: ElfInterp) -> int:
    """Map the dynamic linker: an ET_DYN one wherever the top-down search puts its whole
    span, an ET_EXEC one at its own addresses. Returns its load address (AT_BASE)."""
    load_addr = 0
    placed = interp.ehdr.e_type == ET_EXEC
    total_size = total_mapping_size(interp.loads)
    for ph in interp.loads:
        flags = MAP_PRIVATE | (MAP_FIXED if placed else 0)
        map_addr = elf_load(mm, interp.file, load_addr + ph.p_vaddr, ph, make_prot(ph.p_flags),
                            flags, total_size)
        total_size = 0
        if not placed:
            load_addr = map_addr - (ph.p_vaddr & ~(PAGE_SIZE - 1))
            placed = True
    return load_addr


def load_elf_segments(bprm, ehdr: ElfHeader, loads: list, has_interp: bool) -> int:
    """Map the program's PT_LOADs; returns the load bias. A PIE with an interpreter goes
    at ELF_ET_DYN_BASE; one without (a static PIE, or ld.so run as a program) goes where
    the top-down mmap search puts it; ET_EXEC at its own addresses, never over a mapping."""
    mm, bias = bprm.mm, 0
    for index, ph in enumerate(loads):
        flags, total_size = MAP_PRIVATE, 0
        if index:
            flags |= MAP_FIXED
        elif ehdr.e_type == ET_EXEC:
            flags |= MAP_FIXED_NOREPLACE
        else:
            total_size = total_mapping_size(loads)
            if has_interp:
                bias = ehdr.elf.et_dyn_base & ~(maximum_alignment(loads) - 1)
                flags |= MAP_FIXED_NOREPLACE
            bias = (bias - ph.p_vaddr) & ~(PAGE_SIZE - 1)
        map_addr = elf_load(mm, bprm.file, bias + ph.p_vaddr, ph, make_prot(ph.p_flags),
                            flags, total_size)
        if not index and ehdr.e_type == ET_DYN:
            bias += map_addr - ((bias + ph.p_vaddr) & ~(PAGE_SIZE - 1))
    return bias


@traced(ret=lambda _r: {})
def load_elf_binary(bprm) -> None:
    """Replace the current program with this ELF image (binfmt_elf.c: load_elf_binary)."""
    from glasskernel.fs import exec as fs_exec

    ehdr = elf_check_header(bprm.buf, bprm.interp_name.decode("utf-8", "surrogateescape")
                            if bprm.recursion_depth else "")
    phdrs = load_elf_phdrs(ehdr, bprm.file)
    loads = check_load_segments(phdrs, bprm.file.size())
    interp = open_elf_interp(bprm, phdrs, ehdr.elf)
    try:
        bprm.executable_stack = executable_stack(phdrs)
        fs_exec.begin_new_exec(bprm)                  # point of no return
        set_personality(bprm, ehdr.elf)
        fs_exec.setup_new_exec(bprm)
        mm = bprm.mm
        fs_exec.setup_arg_pages(bprm, bprm.executable_stack)
        bias = load_elf_segments(bprm, ehdr, loads, interp is not None)
        entry = ehdr.e_entry + bias
        set_layout(mm, loads, bias, ehdr.elf.et_dyn_base if ehdr.e_type == ET_DYN and interp is None else 0)
        start = entry
        interp_base = 0
        if interp is not None:
            interp_base = load_elf_interp(mm, interp)
            start = interp_base + interp.ehdr.e_entry
            trace_event("elf_interp_loaded", interpreter=interp.name, base=f"{interp_base:#x}",
                        entry=f"{start:#x}", at_entry=f"{entry:#x}")
    finally:
        if interp is not None:
            interp.file.close()
    arch_setup_additional_pages(bprm)                 # [vvar] and [vdso]
    phdr_addr = find_phdr_addr(ehdr, phdrs, loads, bias)
    sp = create_elf_tables(bprm, ehdr, phdr_addr, entry, interp_base)
    bprm.entry = start
    trace_event("load_elf_binary_entry", entry=f"{start:#x}", e_entry=f"{ehdr.e_entry:#x}",
                bias=f"{bias:#x}", sp=f"{sp:#x}")
    if ehdr.elf.compat:
        compat_start_thread(bprm.task, start, sp)
    else:
        start_thread(bprm.task, start, sp)


def set_personality(bprm, elf: ElfClass) -> None:
    """SET_PERSONALITY: an i386 program gets a 4 GiB address space (set_personality_ia32)."""
    if elf.compat:
        set_personality_ia32(bprm.task, bprm.mm)


def set_layout(mm, loads: list, bias: int, dyn_base: int = 0) -> None:
    """start_code/end_code/start_data/end_data and the initial program break: after the
    highest segment, or at ELF_ET_DYN_BASE (dyn_base) for an ET_DYN without interpreter (a
    static PIE or ld.so run directly: its own top-down place leaves no room for a heap above)."""
    code = [ph for ph in loads if ph.p_flags & PF_X] or loads
    mm.start_code = min(ph.p_vaddr for ph in code) + bias
    mm.end_code = max(ph.p_vaddr + ph.p_filesz for ph in code) + bias
    mm.start_data = min(ph.p_vaddr for ph in loads if ph not in code) + bias if len(code) < len(loads) else mm.end_code
    mm.end_data = max(ph.p_vaddr + ph.p_filesz for ph in loads) + bias
    elf_brk = max(ph.p_vaddr + ph.p_memsz for ph in loads) + bias
    mm.start_brk = mm.brk = page_align(dyn_base or elf_brk)


def arch_dlinfo(bprm, elf: ElfClass) -> list:
    """ARCH_DLINFO: the vDSO's address (and, for i386, AT_SYSINFO: __kernel_vsyscall, the
    syscall entry the C library calls), then the signal frame's size."""
    mm = bprm.mm
    if not elf.compat:
        return [(AT_SYSINFO_EHDR, mm.vdso), (AT_MINSIGSTKSZ, get_sigframe_size())]
    vdso = [(AT_SYSINFO, vdso_entry_32(mm)), (AT_SYSINFO_EHDR, mm.vdso)] if mm.vdso else []
    return vdso + [(AT_MINSIGSTKSZ, get_sigframe_size())]


def _auxv(bprm, ehdr, phdr_addr, entry, interp_base, random_addr, platform_addr,
          execfn_addr) -> list:
    """The auxiliary vector in the order Linux 6.1 writes it on x86-64."""
    cred = bprm.task.cred
    return arch_dlinfo(bprm, ehdr.elf) + [
        (AT_HWCAP, bprm.task.kernel.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, USER_HZ),
        (AT_PHDR, phdr_addr),
        (AT_PHENT, ehdr.elf.phdr.size),
        (AT_PHNUM, ehdr.e_phnum),
        (AT_BASE, interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, entry),
        (AT_UID, cred.uid),
        (AT_EUID, cred.euid),
        (AT_GID, cred.gid),
        (AT_EGID, cred.egid),
        (AT_SECURE, int(bprm.secureexec)),
        (AT_RANDOM, random_addr),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn_addr),
        (AT_PLATFORM, platform_addr),
        (AT_NULL, 0),
    ]


def create_elf_tables(bprm, ehdr, phdr_addr: int, entry: int, interp_base: int = 0) -> int:
    """Write platform string, AT_RANDOM bytes, argc, argv, envp and auxv; return the sp.

    Above this, at the very top of the stack, ``copy_strings`` already placed the file name,
    the environment strings and the argument strings.
    """
    mm = bprm.mm
    elf = ehdr.elf
    p = bprm.p & ~0xF
    p -= len(elf.platform) + 1
    platform_addr = p
    mm.write(p, elf.platform + b"\0")
    p -= 16
    random_addr = p
    mm.write(p, get_random_bytes(bprm.task.kernel, 16))
    auxv = _auxv(bprm, ehdr, phdr_addr, entry, interp_base, random_addr, platform_addr,
                 bprm.execfn_addr)
    words = [bprm.argc] + bprm.argv_addrs + [0] + bprm.envp_addrs + [0]
    for key, value in auxv:
        words += [key, value]
    word = struct.calcsize(elf.word)
    sp = (p - word * len(words)) & ~0xF         # STACK_ROUND: sp 16-byte aligned at argc
    mm.write(sp, struct.pack(f"<{len(words)}{elf.word}", *words))
    mm.arg_start = bprm.argv_addrs[0] if bprm.argv_addrs else bprm.p
    mm.arg_end = mm.env_start = bprm.envp_addrs[0] if bprm.envp_addrs else bprm.execfn_addr
    mm.env_end = bprm.execfn_addr
    mm.auxv = struct.pack(f"<{2 * len(auxv)}{elf.word}", *[v for pair in auxv for v in pair])
    mm.start_stack = sp
    return sp


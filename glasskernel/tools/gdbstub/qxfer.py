"""qXfer objects: the target description, auxv, the program's path, the thread list and
the shared-library list (libraries-svr4, read from ld.so's r_debug in guest memory)."""
import struct
from xml.sax.saxutils import quoteattr

from glasskernel.arch.x86.entry.vdso.vma import is_compat_mm
from glasskernel.tools.gdbstub import regs
from glasskernel.tools.gdbstub.memory import read_memory

AT_PHDR, AT_PHNUM = 3, 5
PT_DYNAMIC, PT_PHDR = 2, 6
DT_NULL, DT_DEBUG = 0, 21
MAX_LIBRARIES = 4096


def features(session, annex: str):
    """target.xml: the description of the selected thread's mode (gdb reads it again
    after an exec event, so a program that execs into the other mode gets its own)."""
    return regs.target_xml(regs.layout_of(session.selected())) if annex == "target.xml" else None


def _process_task(session, annex: str):
    """The task an annex names (a pid in hex), else the selected one."""
    if annex:
        return session.debugger.find(int(annex, 16), None)
    return session.selected()


def auxv(session, annex: str):
    """The process's auxiliary vector, as exec built it."""
    task = _process_task(session, annex)
    return bytes(task.mm.auxv) if task is not None and task.mm is not None else None


def exec_file(session, annex: str):
    """The path of the program the process runs."""
    task = _process_task(session, annex)
    if task is None or task.mm is None:
        return None
    pending = session.debugger.exec_pending.get(task.pid)
    path = task.mm.exe_path or pending or ""
    return path.encode("utf-8", "surrogateescape") if path else None


def threads(session, annex: str):
    """The traced threads as gdb's threads XML."""
    rows = "".join(f'<thread id="p{t.tgid:x}.{t.pid:x}" core="0" name={quoteattr(t.comm)}/>'
                   for t in session.debugger.threads())
    return f'<?xml version="1.0"?><threads>{rows}</threads>'.encode()


class ElfClass:
    """The layouts a process's words follow: auxv pairs, program headers, dynamic entries,
    and ld.so's r_debug and link_map (pointers of 8 bytes, or 4 for an i386 program)."""

    __slots__ = ("word", "auxv", "phdr", "phdr_vaddr_memsz", "dyn")

    def __init__(self, word: int, phdr: str, phdr_vaddr_memsz: tuple):
        self.word = word
        w = "Q" if word == 8 else "I"
        self.auxv = f"<{w}{w}"
        self.phdr = phdr                        # (p_type, ..., at the sizes of the class)
        self.phdr_vaddr_memsz = phdr_vaddr_memsz
        self.dyn = f"<{'q' if word == 8 else 'i'}{w}"

    def pointer(self, mm, addr: int) -> int:
        """A pointer-sized word of guest memory (ValueError if unreadable)."""
        data = read_memory(mm, addr, self.word)
        if len(data) != self.word:
            raise ValueError("unreadable")
        return int.from_bytes(data, "little")


# Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz, memsz, align.
# Elf32_Phdr: type, offset, vaddr, paddr, filesz, memsz, flags, align.
ELF64 = ElfClass(8, "<IIQQQQQQ", (3, 6))
ELF32 = ElfClass(4, "<IIIIIIII", (2, 5))


def elf_class(mm) -> ElfClass:
    """The word layout of the process's program (an i386 program has a compat mm)."""
    return ELF32 if is_compat_mm(mm) else ELF64


def _auxv_value(mm, key: int) -> int:
    """The value of one auxv entry (0 if absent)."""
    data, fmt = bytes(mm.auxv), elf_class(mm).auxv
    step = struct.calcsize(fmt)
    for i in range(0, len(data) - step + 1, step):
        tag, value = struct.unpack_from(fmt, data, i)
        if tag == key:
            return value
    return 0


def r_debug_address(mm) -> int:
    """DT_DEBUG of the program's dynamic section (0 before ld.so fills it, or static)."""
    elf = elf_class(mm)
    phdr, phnum = _auxv_value(mm, AT_PHDR), _auxv_value(mm, AT_PHNUM)
    size = struct.calcsize(elf.phdr)
    headers = read_memory(mm, phdr, phnum * size) if phdr else b""
    bias, dynamic = None, None
    for i in range(len(headers) // size):
        fields = struct.unpack_from(elf.phdr, headers, i * size)
        vaddr, memsz = (fields[n] for n in elf.phdr_vaddr_memsz)
        if fields[0] == PT_PHDR:
            bias = phdr - vaddr
        elif fields[0] == PT_DYNAMIC:
            dynamic = (vaddr, memsz)
    if bias is None or dynamic is None:
        return 0
    table = read_memory(mm, (bias + dynamic[0]) & (1 << 8 * elf.word) - 1, dynamic[1])
    step = struct.calcsize(elf.dyn)
    for i in range(0, len(table) - step + 1, step):
        tag, value = struct.unpack_from(elf.dyn, table, i)
        if tag == DT_NULL:
            break
        if tag == DT_DEBUG:
            return value
    return 0


def _cstring(mm, addr: int) -> str:
    """A NUL-terminated string of guest memory (4 KiB at most)."""
    data = read_memory(mm, addr, 4096) if addr else b""
    return data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def libraries_svr4(session, annex: str):
    """gdbserver's list: every link_map after the program's own, with its load bias,
    name and dynamic section, and the program's entry as main-lm (the link_map layout of
    the program's class: 32-bit pointers for an i386 program)."""
    task = session.selected()
    mm = task.mm
    entries, main_lm = [], 0
    try:
        elf = elf_class(mm) if mm is not None else ELF64
        word = elf.word
        r_debug = r_debug_address(mm) if mm is not None else 0
        lm = elf.pointer(mm, r_debug + word) if r_debug else 0     # r_map, after r_version
        main_lm = lm
        lm = elf.pointer(mm, lm + 3 * word) if lm else 0
        while lm and len(entries) < MAX_LIBRARIES:
            # link_map: l_addr, l_name, l_ld, l_next, each a pointer
            l_addr, l_name, l_ld, l_next = (elf.pointer(mm, lm + i * word) for i in range(4))
            entries.append(f'<library name={quoteattr(_cstring(mm, l_name))} lm="{lm:#x}" '
                           f'l_addr="{l_addr:#x}" l_ld="{l_ld:#x}" lmid="0x0"/>')
            lm = l_next
    except ValueError:
        pass
    head = f'<library-list-svr4 version="1.0"' + (f' main-lm="{main_lm:#x}"' if main_lm else "")
    return (head + ">" + "".join(entries) + "</library-list-svr4>").encode()


QXFER = {"features": features, "auxv": auxv, "exec-file": exec_file, "threads": threads,
         "libraries-svr4": libraries_svr4}

"""qXfer objects: the target description, auxv, the program's path, the thread list and
the shared-library list (libraries-svr4, read from ld.so's r_debug in guest memory)."""
import struct
from xml.sax.saxutils import quoteattr

from glasskernel.tools.gdbstub import regs
from glasskernel.tools.gdbstub.memory import read_memory

AT_PHDR, AT_PHNUM = 3, 5
PT_DYNAMIC, PT_PHDR = 2, 6
DT_NULL, DT_DEBUG = 0, 21
MAX_LIBRARIES = 4096


def features(session, annex: str):
    """target.xml: the target description."""
    return regs.target_xml() if annex == "target.xml" else None


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
    path = getattr(task.mm, "exe_path", "") or pending or ""
    return path.encode("utf-8", "surrogateescape") if path else None


def threads(session, annex: str):
    """The traced threads as gdb's threads XML."""
    rows = "".join(f'<thread id="p{t.tgid:x}.{t.pid:x}" core="0" name={quoteattr(t.comm)}/>'
                   for t in session.debugger.threads())
    return f'<?xml version="1.0"?><threads>{rows}</threads>'.encode()


def _u64(mm, addr: int) -> int:
    """A u64 of guest memory (ValueError if unreadable)."""
    data = read_memory(mm, addr, 8)
    if len(data) != 8:
        raise ValueError("unreadable")
    return struct.unpack("<Q", data)[0]


def _auxv_value(mm, key: int) -> int:
    """The value of one auxv entry (0 if absent)."""
    data = bytes(mm.auxv)
    for i in range(0, len(data) - 15, 16):
        tag, value = struct.unpack_from("<QQ", data, i)
        if tag == key:
            return value
    return 0


def r_debug_address(mm) -> int:
    """DT_DEBUG of the program's dynamic section (0 before ld.so fills it, or static)."""
    phdr, phnum = _auxv_value(mm, AT_PHDR), _auxv_value(mm, AT_PHNUM)
    headers = read_memory(mm, phdr, phnum * 56) if phdr else b""
    bias, dynamic = None, None
    for i in range(len(headers) // 56):
        p_type, _flags, _off, vaddr, _pa, _fs, memsz, _al = struct.unpack_from("<IIQQQQQQ", headers, i * 56)
        if p_type == PT_PHDR:
            bias = phdr - vaddr
        elif p_type == PT_DYNAMIC:
            dynamic = (vaddr, memsz)
    if bias is None or dynamic is None:
        return 0
    table = read_memory(mm, bias + dynamic[0], dynamic[1])
    for i in range(0, len(table) - 15, 16):
        tag, value = struct.unpack_from("<qQ", table, i)
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
    name and dynamic section, and the program's entry as main-lm."""
    task = session.selected()
    mm = task.mm
    entries, main_lm = [], 0
    try:
        r_debug = r_debug_address(mm) if mm is not None else 0
        lm = _u64(mm, r_debug + 8) if r_debug else 0
        main_lm = lm
        lm = _u64(mm, lm + 24) if lm else 0
        while lm and len(entries) < MAX_LIBRARIES:
            l_addr, l_name, l_ld, l_next = (_u64(mm, lm + off) for off in (0, 8, 16, 24))
            entries.append(f'<library name={quoteattr(_cstring(mm, l_name))} lm="{lm:#x}" '
                           f'l_addr="{l_addr:#x}" l_ld="{l_ld:#x}" lmid="0x0"/>')
            lm = l_next
    except ValueError:
        pass
    head = f'<library-list-svr4 version="1.0"' + (f' main-lm="{main_lm:#x}"' if main_lm else "")
    return (head + ">" + "".join(entries) + "</library-list-svr4>").encode()


QXFER = {"features": features, "auxv": auxv, "exec-file": exec_file, "threads": threads,
         "libraries-svr4": libraries_svr4}

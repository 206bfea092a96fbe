"""The gdb stub with i386 programs (compatibility mode), as gdbserver serves a 32-bit
inferior on x86-64 Linux: the i386 target description and register layout, 32-bit auxv
and link_map, catch syscall with i386 numbers, a 64-bit program exec'ing a 32-bit one.

Debian's gdb in batch mode drives `glasskernel run --gdb` (tests/test_gdbstub.py's
helpers); what gdb never shows directly (the `g` block's size, auxv words, P then p) is
checked with the small protocol client there.
"""
import re
import struct

import pytest

from tests.conftest import toolchain_problem
from tests.test_gdbstub import Guest, RspClient, _monitor, build_debug, gdb_session
from glasskernel.tools.gdbstub.transport import unescape

pytestmark = pytest.mark.skipif(toolchain_problem("m32") is not None, reason="no -m32 toolchain")

# The i386 `g` block: 8 general registers, eip, eflags, 6 selectors (4 bytes each), st0-7
# (10 each), 8 x87 control words, xmm0-7, mxcsr, orig_eax.
I386_G_SIZE = 16 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4 + 4
EIP, ORIG_EAX = 8, 41                       # register numbers in gdb's i386 Linux tdesc
AT_NULL, AT_PHDR, AT_ENTRY, AT_SYSINFO = 0, 3, 9, 32


def build32(name: str, static: bool = True, extra=()) -> str:
    """tests/programs/NAME.c for i386 with -g -O0 (static or dynamic)."""
    return build_debug(name, static=static, extra=("-m32", *extra))


def _needs_ia32_rows(*names: str) -> None:
    """Skip until the i386 table has these syscalls (the compat syscall work adds them):
    an i386 ld.so cannot load libc without them."""
    from glasskernel.arch.x86.entry.syscall_32 import ia32_sys_call_table
    from glasskernel.uapi.unistd_32 import NR
    missing = [n for n in names if int(getattr(NR, n)) not in ia32_sys_call_table()]
    if missing:
        pytest.skip(f"no i386 {', '.join(missing)} yet")


def test_static_break_main_registers_and_next_over_fork_into_the_child():
    prog = build32("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog], ["show architecture", "set follow-fork-mode child", "break main", "continue",
                 "info registers eip cs ss gs", "bt", "next", "next", "next", "next",
                 "info registers eip eax orig_eax", "print global", "next", "next",
                 "print global", "monitor pt_regs", "continue"], program=prog)
    assert '(currently "i386")' in out, out
    assert "Breakpoint 1, main (argc=1" in out, out
    assert re.search(r"^eip\s+0x[0-9a-f]{7,8}\s+0x[0-9a-f]+ <main\+\d+>", out, re.M), out
    assert re.search(r"^cs\s+0x23\s+35$", out, re.M), out
    assert re.search(r"^ss\s+0x2b\s+43$", out, re.M), out
    assert re.search(r"^gs\s+0x63\s+99$", out, re.M), out         # glibc's TLS slot (GDT 12)
    assert re.search(r"^#0\s+main \(argc=1, argv=0x[0-9a-f]+\) at \S+gdbstub_fork\.c:17", out, re.M), out
    assert re.search(r"^21\s+if \(pid == 0\)", out, re.M), out       # the line after fork()
    assert re.search(r"^eax\s+0x0\s+0$", out, re.M), out              # fork() returned 0
    assert re.search(r"^orig_eax\s+0xffffffff\s+-1$", out, re.M), out  # not in a syscall
    assert "$1 = 0" in out and "$2 = 42" in out, out                   # child_work ran
    assert re.search(r"^\s+eip 0x[0-9a-f]{8}\s+esp 0x[0-9a-f]{8}", out, re.M), out
    assert re.search(r"\bcs 0x00000023\b", out) and "orig_eax = -1" in out, out
    pt_regs = out[out.index("pt_regs:"):out.index("orig_eax = ")]
    assert "rip" not in pt_regs and "r8" not in pt_regs, pt_regs      # the i386 names only
    assert "[Inferior 2 (process 3) exited with code 03]" in out, out
    assert "child global 42" in stdout and status == 7


def test_catch_syscall_clone_uses_the_i386_numbers():
    prog = build32("gdbstub_fork")
    out, _stdout, _err, status = gdb_session(
        [prog], ["catch syscall clone", "continue", "info registers orig_eax", "bt 1",
                 "monitor pt_regs", "continue", "info registers eax", "delete", "continue"],
        program=prog)
    assert "Catchpoint 1 (syscall 'clone' [120])" in out, out
    assert "Catchpoint 1 (call to syscall clone)" in out, out
    assert "Catchpoint 1 (returned from syscall clone)" in out, out
    assert re.search(r"^orig_eax\s+0x78\s+120$", out, re.M), out
    assert "orig_eax = 120 (clone)" in out, out
    assert re.search(r"^eax\s+0x3\s+3$", out, re.M), out             # the child's pid
    assert status == 7


def test_exec_from_a_64_bit_program_into_an_i386_one():
    """gdb reads the description again after the exec event: i386 from there on."""
    prog64, prog32 = build_debug("gdbstub_exec"), build32("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog64, prog32], ["set follow-fork-mode child", "catch exec", "continue",
                           "show architecture", "info registers eip cs", "break child_work",
                           "continue", "bt", "monitor ubt", "continue"], program=prog64)
    assert f"is executing new program: {prog32}" in out, out
    after = out[out.index("is executing new program"):]
    assert '(currently "i386")' in after, out
    assert re.search(r"^eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_start>", after, re.M), out
    assert re.search(r"^cs\s+0x23\s+35$", after, re.M), out
    assert re.search(r"^#0\s+child_work \(\) at \S+gdbstub_fork\.c:12", after, re.M), out
    assert re.search(r"^#1\s+0x[0-9a-f]{8} in main \(argc=1", after, re.M), out
    # monitor ubt reads the i386 stack in 4-byte words: main's return address is there.
    assert re.search(r"^#1\s+0x[0-9a-f]{7,8} in main\+\S+.*\(return address\?\)", after, re.M), out
    assert "exec child status 7" in stdout and status == 7


def test_two_inferiors_of_two_modes_keep_their_own_descriptions():
    """detach-on-fork off: the 64-bit parent and its child, exec'd into i386, side by side."""
    prog64, prog32 = build_debug("gdbstub_exec"), build32("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog64, prog32], ["set detach-on-fork off", "set follow-fork-mode child", "catch exec",
                           "continue", "inferior 1", "info registers rip cs", "bt",
                           "inferior 2", "info registers eip cs", "inferior 1",
                           "info registers rip", "detach inferiors 2", "delete", "continue"],
        program=prog64)
    one, two, one_again = (out.split("[Switching to inferior ")[i] for i in (1, 2, 3))
    assert re.search(r"^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_Fork\+\d+>", one, re.M), out
    assert re.search(r"^cs\s+0x33\s+51$", one, re.M), out
    assert re.search(r"^#2\s+0x[0-9a-f]{16} in main \(argc=2", one, re.M), out
    assert re.search(r"^eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_start>", two, re.M), out
    assert re.search(r"^cs\s+0x23\s+35$", two, re.M), out
    assert re.search(r"^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_Fork\+\d+>", one_again, re.M), out
    assert "[Inferior 1 (process 2) exited with code 07]" in out, out
    assert "exec child status 7" in stdout and status == 7


def test_catch_syscall_execve_across_modes_reports_the_exec_first():
    """As ptrace's exec event precedes the syscall-exit stop: gdb learns of the new
    program (and its i386 registers) before the return from execve."""
    prog64, prog32 = build_debug("gdbstub_exec"), build32("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog64, prog32], ["set follow-fork-mode child", "catch syscall execve", "catch exec",
                           "continue", "continue", "info registers eip", "continue",
                           "info registers eip", "delete", "continue"], program=prog64)
    assert "Truncated register" not in out and "Invalid register" not in out, out
    call = out.index("(call to syscall execve)")
    exec_stop = out.index("(exec'd ")
    ret = out.index("(returned from syscall execve)")
    assert call < exec_stop < ret, out
    assert len(re.findall(r"^eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_start>", out, re.M)) == 2, out
    assert "exec child status 7" in stdout and status == 7


def test_exec_from_an_i386_program_into_a_64_bit_one():
    """And back: the 64-bit description after the exec event."""
    prog32, prog64 = build32("gdbstub_exec"), build_debug("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog32, prog64], ["show architecture", "set follow-fork-mode child", "catch exec",
                           "continue", "show architecture", "info registers rip cs",
                           "break child_work", "continue", "bt", "continue"], program=prog32)
    before, after = out.split("is executing new program", 1)
    assert '(currently "i386")' in before, out
    assert '(currently "i386:x86-64")' in after, out
    assert re.search(r"^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_start>", after, re.M), out
    assert re.search(r"^cs\s+0x33\s+51$", after, re.M), out
    assert re.search(r"^#1\s+0x[0-9a-f]{16} in main \(argc=1", after, re.M), out
    assert "exec child status 7" in stdout and status == 7


def test_protocol_layout_auxv_and_register_writes():
    prog = build32("gdbstub_fork")
    guest = Guest([prog])
    try:
        client = RspClient(guest.address)
        assert client.ask(b"?").startswith(b"T05thread:p2.2;")
        xml = _xfer(client, b"features", b"target.xml")
        assert b"<architecture>i386</architecture>" in xml, xml
        names = re.findall(rb'<reg name="(\w+)" bitsize="(\d+)"', xml)
        assert [n for n, _ in names[:10]] == [b"eax", b"ecx", b"edx", b"ebx", b"esp", b"ebp",
                                              b"esi", b"edi", b"eip", b"eflags"], names
        assert (b"orig_eax", b"32") in names and b"xmm7" in dict(names) and b"xmm8" not in dict(names)
        assert sum(int(bits) for _, bits in names) == 8 * I386_G_SIZE
        block = bytes.fromhex(client.ask(b"g").decode())
        assert len(block) == I386_G_SIZE
        eip = struct.unpack_from("<I", block, 4 * EIP)[0]
        entry = struct.unpack_from("<I", open(prog, "rb").read(), 24)[0]
        assert eip == entry                              # stopped at the first instruction
        assert client.ask(b"p%x" % EIP) == struct.pack("<I", eip).hex().encode()
        assert client.ask(b"p%x" % ORIG_EAX) == b"ffffffff"
        assert client.ask(b"p%x" % (ORIG_EAX + 1)) == b"E01"      # no fs_base/gs_base here
        assert client.ask(b"P0=78563412") == b"OK"                # eax
        assert client.ask(b"p0") == b"78563412"
        assert client.ask(b"P0=0000000000") == b"E01"             # a 64-bit value: wrong size
        assert client.ask(b"G" + block.hex().encode()) == b"OK"   # back as it was
        again = bytearray(bytes.fromhex(client.ask(b"g").decode()))
        again[36] &= ~2                                  # eflags' reserved bit 1 is always set
        assert bytes(again) == block
        auxv = _xfer(client, b"auxv", b"")
        pairs = list(struct.iter_unpack("<II", auxv))
        assert len(auxv) % 8 == 0 and pairs[-1] == (AT_NULL, 0), pairs
        values = dict(pairs)
        assert values[AT_ENTRY] == entry and values[AT_PHDR] < 1 << 32, pairs
        assert AT_SYSINFO in values or not values.get(33)        # AT_SYSINFO with a vDSO
        text = _monitor(client, "pt_regs").decode()
        assert f"eip 0x{eip:08x}" in text and "cs 0x00000023" in text and "orig_eax = -1" in text, text
        client.send(b"vCont;c")
        assert client.reply() == b"T05fork:p3.3;thread:p2.2;core:0;"
        assert client.ask(b"D;3") == b"OK"
        client.send(b"vCont;c")
        assert client.reply() == b"W07;process:2"
        client.close()
        assert guest.finish() == 7
    finally:
        if guest.proc.poll() is None:
            guest.proc.kill()
    assert "Traceback" not in guest.stderr


def _xfer(client: RspClient, obj: bytes, annex: bytes) -> bytes:
    """A whole qXfer object, read in pieces."""
    data = b""
    while True:
        reply = client.ask(b"qXfer:%s:read:%s:%x,200" % (obj, annex, len(data)))
        assert reply[:1] in (b"m", b"l"), reply
        data += unescape(reply[1:])
        if reply[:1] == b"l":
            return data


def test_dynamic_program_shared_libraries_and_fork():
    """ld.so's link_map with 32-bit pointers: gdb lists the i386 libc, from the guest's root."""
    _needs_ia32_rows("openat", "writev", "access")
    prog = build32("gdbstub_fork", static=False)
    out, stdout, _err, status = gdb_session(
        [prog], ["set follow-fork-mode child", "break main", "continue", "info sharedlibrary",
                 "bt", "next", "next", "next", "next", "info registers eip eax", "continue"])
    assert "Breakpoint 1, main (argc=1" in out, out
    assert re.search(r"^0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+Yes.*/lib/ld-linux\.so\.2$", out, re.M), out
    assert re.search(r"^0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+Yes.*/lib32/libc\.so\.6$", out, re.M), out
    assert re.search(r"^#0\s+main \(argc=1, argv=0x[0-9a-f]+\) at \S+gdbstub_fork\.c:17", out, re.M), out
    assert re.search(r"^eax\s+0x0\s+0$", out, re.M), out
    assert "[Inferior 2 (process 3) exited with code 03]" in out, out
    assert status == 7


def test_threads_listed_and_backtraced_through_the_vdso():
    """Threads of an i386 process: their own registers (gs on the TLS slot, off the CPU
    too) and a backtrace from __kernel_vsyscall (the 32-bit vDSO's unwind info)."""
    _needs_ia32_rows("futex", "gettid")
    prog = build32("gdbstub_threads", extra=("-pthread",))
    out, stdout, _err, status = gdb_session(
        [prog], ["break all_started", "continue", "info threads", "thread 3", "bt",
                 "info registers gs cs", "continue"], program=prog)
    threads = re.findall(r"^\*?\s+(\d)\s+Thread 2\.(\d)", out, re.M)
    assert [t[1] for t in threads] == ["2", "3", "4", "5"], out
    assert "Switching to thread 3 (Thread 2.4)" in out
    after = out[out.index("Switching to thread 3"):]
    assert re.search(r"in worker \(arg=0x1\)", after), out
    assert re.search(r"^gs\s+0x63\s+99$", after, re.M) and re.search(r"^cs\s+0x23\s+35$", after, re.M), out
    assert "joined 3 threads" in stdout and status == 0


def test_watchpoint_and_stepi_in_the_i386_child():
    prog = build32("gdbstub_fork")
    out, stdout, _err, status = gdb_session(
        [prog], ["set follow-fork-mode child", "break main", "continue", "watch global",
                 "continue", "stepi", "x/2i $pc", "continue"], program=prog)
    assert re.search(r"Old value = 0\s+New value = 42", out), out
    assert "Switching to Thread 3.3" in out
    # Disassembled as i386 code: 32-bit registers, no REX prefixes.
    assert re.search(r"^=> 0x[0-9a-f]{7,8} <main\+\d+>:\s+\w+", out, re.M), out
    assert "%r" not in out[out.index("=> 0x"):], out
    assert "[Inferior 2 (process 3) exited with code 03]" in out
    assert status == 7


def test_signal_stop_in_an_i386_program():
    prog = build32("segv", extra=("-w",))
    out, _stdout, _err, status = gdb_session([prog], ["continue", "bt", "info registers eip",
                                                      "continue"], program=prog)
    assert "Program received signal SIGSEGV, Segmentation fault." in out, out
    assert re.search(r"^#0\s+0x[0-9a-f]{8} in main \(argc=1, argv=0x[0-9a-f]+\) at \S+segv\.c:\d+", out, re.M), out
    assert re.search(r"^eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>", out, re.M), out
    assert "Program terminated with signal SIGSEGV" in out
    assert status == 128 + 11

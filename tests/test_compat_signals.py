"""Signals of i386 programs (issue 19): the compat signal syscalls and the i386 frames.

The differential tests run i386 programs built with ``gcc -m32 -static`` natively and under
glasskernel: compat_sig_frame (what rt_sigframe and sigframe hold: registers, segments,
flags, the FSAVE-header + fxsave FP state, the mask; what sigreturn takes back, changes
included; the vDSO trampolines of handlers installed without SA_RESTORER), compat_sig_calls
(the old one-word-mask calls, compat siginfo, sigtimedwait's two timespecs, sigaltstack's
compat stack_t, SIGSEGV, nested handlers, signalfd, SA_RESTART, restart_syscall after a
stop), compat_sig_badargs (bad pointers, numbers, sizes and times: only errors), and
the signal programs of tests/test_signals.py built for i386.

The unit tests check the layout conversions against values measured with gcc -m32
(offsetof/sizeof) and Linux 6.1's conversion rules.
"""
import re
import signal
import struct

import pytest

from harness import differential

from glasskernel.arch.x86 import fpu
from glasskernel.arch.x86.ia32 import ia32_signal
from glasskernel.kernel import signal_compat

COMPAT_PROGRAMS = ["compat_sig_frame", "compat_sig_calls", "compat_sig_badargs"]
# tests/test_signals.py's programs (sig_nested's x86-64 register check is left out of the
# i386 build, compat_sig_frame has its own), and the signalfd, poll, SIGPIPE and
# SIGEV_THREAD ones.
REUSED = ["sig_fault", "sig_altstack", "sig_nested", "sig_rt", "sig_chld", "sig_timer",
          "sig_restart", "sig_pipe", "sig_thread", "fdtypes_signalfd", "poll_signal", "sigpipe_paths",
          "fdtypes_sigev_thread"]


@pytest.mark.parametrize("name", COMPAT_PROGRAMS + REUSED)
def test_i386_signal_program(build, name):
    native, _ = differential([build(name, "m32")])
    assert native[2] == 0 and native[0], f"{name} did not run natively: {native[1]!r}"


def test_i386_inherits_ignored_and_blocked_signals(build):
    """exec keeps SIG_IGN and the blocked mask for an i386 program too (sig_inherit)."""
    import harness
    from test_semantics import _ignore_and_block, _run_started_with
    exe = build("sig_inherit", "m32")
    native = _run_started_with([exe], _ignore_and_block)
    guest = _run_started_with(harness.glasskernel_command([exe]), _ignore_and_block)
    harness.assert_no_traceback(guest[1])
    harness.compare(native, guest)
    assert native[0].startswith(b"ignored: 1 2 3 10 37\nblocked: 12 40\n")


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGABRT, signal.SIGTERM, signal.SIGKILL, 40])
def test_i386_signal_death_status(build, sig):
    """An i386 program killed by signal N: status 128+N and the shell's message."""
    import harness
    exe = build("signal_self", "m32")
    n_out, _, n_rc = harness.run_native([exe, str(int(sig))])
    g_out, g_err, g_rc = harness.run_glasskernel([exe, str(int(sig))])
    harness.assert_no_traceback(g_err)
    assert n_rc == g_rc == 128 + sig, g_err
    assert g_out == n_out
    assert harness.signal_message(sig).encode() in g_err, g_err


def test_i386_children_keep_their_tls_selector_through_a_handler(build):
    """Under a 64-bit `sh -c 'prog | cat'`, cat runs between each fork and the child's
    first instructions: the child still starts with its parent's %gs, and its sigreturn
    keeps it (it was the null selector, and reloading that wiped the TLS base)."""
    exe = build("compat_sig_fork", "m32")
    native, _ = differential(["/bin/sh", "-c", f"{exe} | cat"])
    assert b"child 2: gs 0x63, errno 0 after the handler" in native[0]


def test_i386_tls_selector_survives_a_decoded_context(build):
    """A 64-bit shell reads the sleeping i386 program's /proc/PID/syscall (decoding its
    saved registers off the CPU) and signals it: the handler has the program's %gs, and
    the frame's, which sigreturn reloads, is the same (a null one wiped the TLS base)."""
    native, _ = differential([build("compat_sig_unload", "m32")])
    assert native[0].startswith(b"handler's gs 0x63, errno 0 after it\n")


def test_int80_restarts_in_a_64bit_program(build):
    """A 64-bit program's int $0x80 poll, stopped and continued, resumes through the i386
    table's restart_syscall (0): with the 64-bit number (219) it was i386 madvise, ENOSYS
    at once instead of sleeping until the handled signal (-EINTR). An SA_RESTART read
    runs int $0x80 again with its own number."""
    native, _ = differential([build("compat_sig_int80", "glibc")])
    assert b"int $0x80 poll: -4, handler ran 1" in native[0]


def test_i386_handler_of_a_64bit_program_runs_in_compat_mode(build):
    """A handler installed by the i386 rt_sigaction (int $0x80) gets the i386 frame and runs
    in compatibility mode even in a 64-bit program (SA_IA32_ABI, invisible to both
    rt_sigactions); its i386 rt_sigreturn goes back to 64-bit mode from the frame's cs, the
    FP state with it (the switch of mode kept the state the CPU had)."""
    native, _ = differential([build("compat_sig_mixed", "glibc")])
    assert b"the handler ran in cs 0x23 with sig 10 (info 10)" in native[0]
    assert b"back in cs 0x33, xmm0 0x1122334455667788" in native[0]


def test_strace_decodes_i386_signal_calls(build, tmp_path):
    """strace of an i386 process: rt_sigaction's compat_sigaction and rt_sigprocmask's
    sigset decoded as real strace decodes them, and the signal lines."""
    import shutil
    from test_strace import normalise, real_strace, strace_works
    if shutil.which("strace") is None or not strace_works():
        pytest.skip("no usable strace")
    exe = build("compat_sig_frame", "m32")
    native_log, guest_log = tmp_path / "native.strace", tmp_path / "guest.strace"
    real_strace([exe, "noforks"], native_log)
    from harness import run_glasskernel
    run_glasskernel([exe, "noforks"], extra_opts=[f"--strace={guest_log}"])

    def lines(path):
        wanted = ("rt_sigaction(", "rt_sigprocmask(", "--- SIG")
        return [re.sub(r"si_pid=\d+", "si_pid=PID", line)
                for line in normalise(path.read_text(errors="replace")) if line.startswith(wanted)]
    native, guest = lines(native_log), lines(guest_log)
    assert any("sa_flags=SA_SIGINFO" in line for line in native)
    assert guest == native


def test_trace_names_the_i386_frames(build, tmp_path):
    """`glasskernel trace`: handle_signal builds ia32_setup_rt_frame / ia32_setup_frame, and
    the vDSO trampoline's sigreturn finds the frame where the handler's ret (and, for the
    old frame, the trampoline's popl) left esp: frame + 4, frame + 8."""
    import subprocess
    import sys
    out = tmp_path / "trace.txt"
    proc = subprocess.run([sys.executable, "-m", "glasskernel", "trace", "--filter", "ia32_setup*",
                           "--filter", "__ia32_sys_*sigreturn", "-o", str(out),
                           str(build("compat_sig_frame", "m32")), "noforks"],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    pairs = re.findall(r"(ia32_setup_(?:rt_)?frame)\(.*?/\* frame=(0x[0-9a-f]+) \*/\n.*?"
                       r"__ia32_sys_(rt_sigreturn|sigreturn)\(.*?esp=(0x[0-9a-f]+)\)", text, re.S)
    assert len(pairs) == 5, text
    for setup, frame, call, esp in pairs:
        rt = setup == "ia32_setup_rt_frame"
        assert call == ("rt_sigreturn" if rt else "sigreturn")
        assert int(esp, 16) == int(frame, 16) + (4 if rt else 8)


# ----- layouts, as measured with gcc -m32 ----------------------------------------------------

def test_frame_layouts_match_gcc_m32():
    """sizeof/offsetof of struct sigframe_ia32, rt_sigframe_ia32 and ucontext_ia32 as a
    gcc -m32 program prints them (sigcontext 88, _fpstate_32 624, siginfo 128)."""
    assert ia32_signal.SIGFRAME_SIZE == 732
    assert ia32_signal.SIGFRAME_EXTRAMASK == 720
    assert ia32_signal.RT_SIGFRAME_SIZE == 268
    assert (ia32_signal.RT_INFO, ia32_signal.RT_UC) == (16, 144)
    assert (ia32_signal.UC_STACK, ia32_signal.UC_MCONTEXT, ia32_signal.UC_SIGMASK) == (8, 20, 108)
    assert ia32_signal.SC32_FIELDS.index("flags") * 4 == 64
    assert ia32_signal.SC32_FIELDS.index("fpstate") * 4 == 76
    assert fpu.FREGS_STATE_SIZE + fpu.FXSAVE_SIZE == 624


def test_minsigstksz_counts_the_i386_frame():
    """AT_MINSIGSTKSZ as Linux 6.1 computes it with IA32 emulation on a CPU without XSAVE:
    sizeof(sigframe_ia32) 732 + 15 + fxsave 512 + FSAVE header 112 + 63, rounded up to 16
    (the 64-bit rt_sigframe, 440, is smaller)."""
    from glasskernel.arch.x86.kernel.signal import FRAME_SIZE, get_sigframe_size
    assert FRAME_SIZE == 440
    assert get_sigframe_size() == 1440


def test_retcode_bytes():
    """The legacy retcode: popl %eax; movl $119,%eax; int $0x80 — and movl $173 for rt."""
    assert ia32_signal.SIGFRAME_RETCODE == bytes.fromhex("58b877000000cd80")
    assert ia32_signal.RT_SIGFRAME_RETCODE == bytes.fromhex("b8ad000000cd8000")


# ----- compat siginfo -----------------------------------------------------------------------

def _siginfo64(signo, code, fields):
    raw = bytearray(128)
    struct.pack_into("<iii", raw, 0, signo, 0, code)
    for fmt, off, value in fields:
        struct.pack_into("<" + fmt, raw, off, value)
    return bytes(raw)


def test_siginfo_to_user32_by_layout():
    """The union moves from offset 16 to 12; pointers and longs shrink to 32 bits."""
    chld = _siginfo64(17, 1, [("i", 16, 42), ("I", 20, 1000), ("i", 24, 7), ("q", 32, 5), ("q", 40, -1)])
    out = signal_compat.copy_siginfo_to_external32(chld)
    assert struct.unpack_from("<iiiiIiii", out) == (17, 0, 1, 42, 1000, 7, 5, -1)
    assert not any(out[32:])
    fault = _siginfo64(11, 1, [("Q", 16, 0x1234)])
    assert struct.unpack_from("<iiiI", signal_compat.copy_siginfo_to_external32(fault)) == (11, 0, 1, 0x1234)
    poll = _siginfo64(29, 1, [("q", 16, -3), ("i", 24, 9)])
    assert struct.unpack_from("<iii", signal_compat.copy_siginfo_to_external32(poll), 8) == (1, -3, 9)
    rt = _siginfo64(35, -1, [("i", 16, 5), ("I", 20, 0), ("Q", 24, 0xDEAD_0000_0000_BEEF)])
    assert struct.unpack_from("<iIi", signal_compat.copy_siginfo_to_external32(rt), 12) == (5, 0, 0xBEEF)
    bnd = _siginfo64(11, 3, [("Q", 16, 0x10), ("Q", 32, 0x20), ("Q", 40, 0x30)])
    assert struct.unpack_from("<I4xII", signal_compat.copy_siginfo_to_external32(bnd), 12) == (0x10, 0x20, 0x30)


def test_siginfo_from_user32_keeps_only_the_layout():
    """rt_sigqueueinfo from a compat task: the fields of the layout, widened (band and the
    clock_t times sign-extended, pointers zero-extended); the rest is dropped."""
    raw = bytearray(b"\xee" * 128)
    struct.pack_into("<iiiiIi", raw, 0, 35, 5, -1, 77, 1000, -2)
    info = signal_compat.post_copy_siginfo_from_user32(bytes(raw))
    assert struct.unpack_from("<iii4xiIi", info) == (35, 5, -1, 77, 1000, -2)
    assert not any(info[28:])
    raw = bytearray(128)
    struct.pack_into("<iiiii", raw, 0, 29, 0, 1, -3, 4)
    assert struct.unpack_from("<qi", signal_compat.post_copy_siginfo_from_user32(bytes(raw)), 16) == (-3, 4)
    struct.pack_into("<iiiI", raw, 0, 11, 0, 1, 0xF000_0000)
    assert struct.unpack_from("<Q", signal_compat.post_copy_siginfo_from_user32(bytes(raw)), 16)[0] == 0xF000_0000


# ----- the FSAVE header -----------------------------------------------------------------------

def _fxsave_with_stack(values: dict, top: int) -> bytes:
    """An fxsave area whose ST(i) (relative to TOP) hold the given 80-bit values."""
    area = bytearray(fpu.default_fxsave())
    ftw = 0
    for st, reg in values.items():
        area[32 + 16 * st:32 + 16 * st + 10] = reg
        ftw |= 1 << ((st + top) & 7)
    struct.pack_into("<HB", area, 2, top << 11, ftw)
    return bytes(area)


ONE = bytes.fromhex("0000000000000080ff3f")
PI = bytes.fromhex("35c26821a2da0fc90040")
ZERO = bytes(10)


def test_fsave_header_tags_and_selectors():
    """fld1 over fldpi (TOP 6): ST0 and ST1 valid, the rest empty → tag 0x0fff, as the
    native frame shows; a zero is tagged zero; cs and ds land in fcs and fos."""
    env = fpu.convert_from_fxsr(_fxsave_with_stack({0: ONE, 1: PI}, 6), 0x23, 0x2B)
    cwd, swd, twd, _fip, fcs, _foo, fos = struct.unpack_from("<7I", env)
    assert (cwd, twd, fcs, fos) == (0xFFFF037F, 0xFFFF0FFF, 0x23, 0xFFFF002B)
    assert (swd >> 11) & 7 == 6 and env[28:38] == ONE and env[38:48] == PI
    env = fpu.convert_from_fxsr(_fxsave_with_stack({0: ZERO}, 7), 0x23, 0x2B)
    assert struct.unpack_from("<I", env, 8)[0] == 0xFFFF7FFF


def test_fsave_header_folds_back():
    """sigreturn takes the x87 part from the header and keeps MXCSR and XMM."""
    area = bytearray(_fxsave_with_stack({0: ONE, 1: PI}, 6))
    struct.pack_into("<I", area, 24, 0x3F80)
    area[160:164] = b"\x78\x56\x34\x12"
    env = bytearray(fpu.convert_from_fxsr(bytes(area), 0x23, 0x2B))
    assert fpu.convert_to_fxsr(bytes(area), bytes(env)) == bytes(area)
    two = bytes.fromhex("00000000000000800040")
    env[28:38] = two
    struct.pack_into("<I", env, 0, 0xFFFF027F)
    back = fpu.convert_to_fxsr(bytes(area), bytes(env))
    assert back[32:42] == two and struct.unpack_from("<H", back)[0] == 0x27F
    assert back[24:28] == area[24:28] and back[160:164] == area[160:164]

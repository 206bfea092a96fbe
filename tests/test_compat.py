"""i386 programs in compatibility mode (issue 19): the 32-bit entry paths and loader.

Programs are built with ``gcc -m32 -static`` (gcc-multilib) and run natively and under
glasskernel (harness.differential), as the 64-bit ones are. The host CPU decides one
thing natively: on AMD, ``sysenter`` from compatibility mode is #UD (Linux's vDSO uses
``syscall`` there), so the sysenter path is checked against int $0x80 inside one
glasskernel run, where the emulated CPU has it.
"""
import pytest

import harness
from harness import differential, run_glasskernel

pytestmark = pytest.mark.timeout(300)


def test_i386_program_runs_forks_and_waits(build):
    """A static i386 program: printf, malloc, fork, waitpid, exit status."""
    exe = build("lc_fork", "m32")
    differential([exe, "twice"])


def test_int80_results(build):
    """Syscalls through int $0x80 give what they give natively."""
    differential([build("compat_entry", "m32"), "int80"])


def test_sysenter_agrees_with_int80(build):
    """The same syscalls through sysenter (a copy of __kernel_vsyscall) and int $0x80:
    the same results, the sixth argument (mmap2's page offset) read from the stack."""
    out, err, rc = run_glasskernel([build("compat_entry", "m32"), "both"])
    assert rc == 0, err
    pairs = [line for line in out.decode().splitlines() if "sysenter" in line]
    assert len(pairs) == 9, out
    assert all(" == " in line for line in pairs), out


def test_int80_from_a_64_bit_program(build):
    """int $0x80 in a 64-bit program reaches the 32-bit table (write is 4, getpid 20)."""
    differential([build("compat_entry", "glibc")])


def test_exec_across_modes(build):
    """A 32-bit program execs a 64-bit one, which execs a 32-bit one...: the personality
    and the entry path change at each exec."""
    p32, p64 = build("compat_exec", "m32"), build("compat_exec", "glibc")
    differential([p32, p64, p32, p64])


def test_mixed_pipeline_in_a_64_bit_shell(build, tmp_path):
    """A 64-bit shell runs 32-bit and 64-bit programs in one pipeline and in sequence."""
    import shutil
    p32, p64 = tmp_path / "p32", tmp_path / "p64"
    shutil.copy(build("compat_exec", "m32"), p32)
    shutil.copy(build("compat_exec", "glibc"), p64)
    differential(["/bin/busybox", "sh", "-c", "./p32 | ./p64 ./p32 x | /bin/busybox wc -l; ./p64 ./p32"],
                 cwd=tmp_path)


def test_set_thread_area_and_bad_user_descs(build):
    """TLS descriptors: allocation, a segment loaded into %fs whose base follows a rewrite,
    get_thread_area's decoding, and EINVAL/EFAULT/ESRCH for bad or too many user_descs."""
    differential([build("compat_tls", "m32")])


def test_broken_i386_headers_are_enoexec(tmp_path, build):
    """An i386 ELF with a wrong program-header size, or ELFCLASS32 with EM_X86_64, is
    refused as Linux refuses it (ENOEXEC: the shell then tries it as a script)."""
    data = bytearray(build("compat_exec", "m32").read_bytes())
    phentsize = bytearray(data)
    phentsize[42:44] = (56).to_bytes(2, "little")          # e_phentsize of ELF64
    machine = bytearray(data)
    machine[18:20] = (62).to_bytes(2, "little")            # EM_X86_64 in a 32-bit file
    for name, blob in (("phentsize", phentsize), ("machine", machine)):
        exe = tmp_path / name
        exe.write_bytes(bytes(blob))
        exe.chmod(0o755)
        differential(["/bin/busybox", "sh", "-c", f"./{name}; echo status $?"], cwd=tmp_path)


def test_trace_names_each_entry_path(build, tmp_path):
    """`glasskernel trace` of the program shows the int $0x80 and the sysenter entries by
    their Linux names, each followed by its do_*_syscall_32 and the i386 table's row; the
    64-bit program's int $0x80 takes entry_INT80_compat too."""
    import subprocess
    import sys
    out_file = tmp_path / "trace.txt"
    for exe, args in ((build("compat_entry", "m32"), ["both"]), (build("compat_entry", "glibc"), [])):
        done = subprocess.run([sys.executable, "-m", "glasskernel", "trace", "-o", str(out_file),
                               str(exe), *args], capture_output=True, timeout=240)
        assert done.returncode == 0, done.stderr
        text = out_file.read_text()
        assert "entry_INT80_compat: nr=20 " in text
        assert "do_int80_syscall_32(nr=20, row=ia32_sys_call_table[20], handler=__ia32_sys_getpid)" in text
        assert "__ia32_sys_getpid(" in text
        if args:
            assert "entry_SYSENTER_compat: nr=192 " in text        # mmap2, six arguments
            assert "do_fast_syscall_32(nr=192, row=ia32_sys_call_table[192], handler=__ia32_sys_mmap2" in text

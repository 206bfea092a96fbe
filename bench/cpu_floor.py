"""The emulator's floor for the `compute` workload: the same xorshift64 loop as
bench/programs/compute.c, hand-assembled, run on one bare glasskernel CPU (Unicorn in long
mode with paging, the CPU backend's own set-up and hooks) with no kernel around it.

    python3 bench/cpu_floor.py PROGRAM N     # PROGRAM is ignored: the loop is built in

It prints the loop's result as compute.c does, so the runner can check it, and the
difference between this and `glasskernel run compute N` is what the kernel adds; the
difference between this and qemu-user is what Unicorn costs (bench/run.py, "cpu-floor").
"""
import struct
import sys

from glasskernel.arch.x86.cpu import Cpu
from glasskernel.arch.x86.mm.pgtable import PageTable, pte_flags
from glasskernel.mm.page_alloc import PhysicalMemory

CODE = 0x400000
SEED = 88172645463325252
# rsi = x, rcx = n:  loop: mov rax,rsi; shl rax,13; xor rsi,rax; mov rax,rsi; shr rax,7;
# xor rsi,rax; mov rax,rsi; shl rax,17; xor rsi,rax; dec rcx; jnz loop; syscall
_BODY = bytes.fromhex("4889f0 48c1e00d 4831c6 4889f0 48c1e807 4831c6 4889f0 48c1e011 4831c6"
                      " 48ffc9".replace(" ", ""))
LOOP = _BODY + b"\x75" + struct.pack("<b", -(len(_BODY) + 2)) + b"\x0f\x05"


def run(n: int) -> int:
    phys = PhysicalMemory(16 << 20)
    cpu = Cpu(phys, ticks=False)
    table = PageTable(phys, cpu.kernel_pgd_entry)
    frame = phys.alloc_page()
    phys.view[frame:frame + len(LOOP)] = LOOP
    table.set_pte(CODE, frame | pte_flags(False, True))
    cpu.load_cr3(table.pgd)
    cpu.on_syscall = lambda: False
    cpu.on_exception = lambda vector: False
    cpu.write_reg("rsi", SEED)
    if n <= 0:
        return SEED
    cpu.write_reg("rcx", n)
    if cpu.run(CODE) != "syscall":
        raise SystemExit("cpu_floor: the loop did not reach its syscall")
    return cpu.read_reg("rsi")


if __name__ == "__main__":
    print(run(int(sys.argv[2])))

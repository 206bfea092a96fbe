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
# The loop musl-gcc -O2 makes of compute.c (rsi = x, rdi = i, rax = n):
# mov rcx,rsi; add rdi,1; shl rcx,13; xor rcx,rsi; mov rdx,rcx; shr rdx,7; xor rdx,rcx;
# mov rsi,rdx; shl rsi,17; xor rsi,rdx; cmp rax,rdi; jne loop; then syscall.
_BODY = bytes.fromhex("4889f1 4883c701 48c1e10d 4831f1 4889ca 48c1ea07 4831ca 4889d6"
                      " 48c1e611 4831d6 4839f8".replace(" ", ""))
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
    cpu.write_reg("rdi", 0)
    cpu.write_reg("rax", n)
    if cpu.run(CODE) != "syscall":
        raise SystemExit("cpu_floor: the loop did not reach its syscall")
    return cpu.read_reg("rsi")


if __name__ == "__main__":
    print(run(int(sys.argv[2])))

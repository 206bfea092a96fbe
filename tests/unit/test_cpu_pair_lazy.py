"""The counting instance of a CpuPair is made when a run first has a budget (start-up:
a run with one task never has one, and each emulator instance costs its set-up)."""
from test_cpu_pair import (COUNT_LOOP, SYSCALL, Machine, entry_path,  # noqa: F401
                                      iterations, mov_eax)


def test_counting_instance_is_made_on_the_first_budgeted_run():
    machine = Machine()
    cpu = machine.cpu
    table = machine.address_space(mov_eax(7) + SYSCALL)
    cpu.load_cr3(table.pgd)
    assert machine.run(0, rax=0) == "syscall" and cpu.read_reg("rax") == 7
    machine.rewrite(table, 0x400000, mov_eax(9))
    cpu.invalidate_code(0x400000, 0x401000)
    assert cpu._counted is None
    assert machine.run(0, rax=0) == "syscall" and cpu.read_reg("rax") == 9
    # The first budgeted run makes it, with the live page tables and the kernel's hooks.
    assert machine.run(1000, rax=0) == "syscall" and cpu.read_reg("rax") == 9
    assert cpu._counted is not None and cpu.live is cpu.counted
    assert cpu.counted.kernel_table is cpu.free.kernel_table


def test_lazily_made_counting_instance_counts():
    machine = Machine()
    machine.cpu.load_cr3(machine.address_space(COUNT_LOOP).pgd)
    assert machine.run(0, rax=0, rcx=1000) == "syscall"
    assert machine.run(100, rax=0, rcx=1000) == "tick"
    assert machine.cpu.read_reg("rax") == iterations(machine.cpu.counted, 100)

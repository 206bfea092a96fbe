"""Compatibility mode: the CPU running 32-bit user code (CONFIG_IA32_EMULATION).

A mixin of ``Cpu`` (cpu.py). cpu.py alone imports the emulator; it hands this part the
library's C functions as ``_lib`` and its register ids as ``_reg_ids``, and runs the
mode switch's single step (``_run_trampoline``).
"""
from glasskernel.arch.x86.head_64 import COMPAT_STOP, GDT_ADDR, KERNEL_TEXT, SYSRETL
from glasskernel.arch.x86.segment import GDT_ENTRY_TLS_MIN, USER32_CS, USER_DS


class CompatMode:
    """The CPU's 32-bit side: mode switches, segment registers, the GDT's TLS slots and
    the `sysenter` hook."""

    __slots__ = ()

    def compat_syscall_args(self) -> list:
        """[eax, ebx, ecx, edx, esi, edi, ebp], each zero-extended: a 32-bit syscall's
        number and arguments (one C call)."""
        batch = self._compat
        self._lib.uc_reg_read_batch(self._uch, batch.ids, batch.ptrs, batch.count)
        return [v & 0xFFFF_FFFF for v in self._compat_values.unpack_from(batch.buf)]

    def user_cs(self) -> int:
        """The code segment user mode runs in: __USER_CS (64-bit) or __USER32_CS."""
        return self.read_segment("cs")

    def set_user_mode(self, cs: int, pgd: int, rip: int) -> None:
        """Return to user mode at rip in the mode of cs, as start_thread's iret does: from
        CPL 0 through sysretl (to __USER32_CS) or sysretq, which load the flat user code and
        stack segments of that mode. Unicorn's register writes cannot change the mode; an
        instruction that changes privilege can. Everything else the CPU held is the boot
        state after this: the caller loads the task's registers and FPU state.

        The sysret lands on an address user mode may never fetch from (the kernel text, or
        for a 32-bit task the page above its 4 GiB - 8 KiB), whose #PF ends the run
        (_exception_entry) before any user instruction: an `until` address would not do,
        as a block translated there before (another task running the same program) has
        no exit check."""
        self._uc.context_restore(self._kernel_ctx)
        self.load_cr3(pgd)
        self.write_reg("rcx", COMPAT_STOP if cs == USER32_CS else KERNEL_TEXT)
        self.write_reg("r11", 0x202)
        error = self._run_trampoline(SYSRETL if cs == USER32_CS else KERNEL_TEXT)
        self.write_reg("rip", rip)
        if self.pending_error is not None:
            exc, self.pending_error = self.pending_error, None
            raise exc
        if error or self.user_cs() != cs:
            self._fail(f"could not enter user mode with CS {cs:#x}: {error}")
        if cs == USER32_CS:                 # start_thread_ia32's data segments
            self.load_segment("ds", USER_DS)
            self.load_segment("es", USER_DS)

    def read_segment(self, name: str) -> int:
        """A segment register's selector ("gs", "fs", "ds", "es", "ss", "cs")."""
        self._lib.uc_reg_read(self._uch, self._reg_ids[name], self._one_ref)
        return self._one.value & 0xFFFF

    def load_segment(self, name: str, selector: int) -> bool:
        """loadsegment: a data segment register ("ds", "es", "fs", "gs") gets selector, its
        base and limit from the GDT. False if the selector does not name a usable segment
        (the register is then left as it was)."""
        self._one.value = selector & 0xFFFF
        return self._lib.uc_reg_write(self._uch, self._reg_ids[name], self._one_ref) == 0

    def load_tls(self, descs: bytes) -> None:
        """load_TLS: the task's three TLS descriptors into the GDT's slots 12-14."""
        gdt = self.kernel_table.get_pte(GDT_ADDR) & 0x000F_FFFF_FFFF_F000
        start = gdt + GDT_ENTRY_TLS_MIN * 8
        self.phys.view[start:start + len(descs)] = descs

    @property
    def on_sysenter(self):
        return self._on_sysenter

    @on_sysenter.setter
    def on_sysenter(self, fn) -> None:
        """The kernel's entry_SYSENTER_compat, called from the `sysenter` hook: True to
        keep running, False to stop there (the syscall waits for the slow path). Unicorn
        adds the instruction's length to eip after the hook: an eip the kernel writes
        there must be two bytes short."""
        self._on_sysenter = fn
        if fn is not None and self._sysenter_cb is None:
            self._sysenter_cb = self._hook_instruction("sysenter", self._hook_sysenter)

    def _hook_sysenter(self, _uch, _user) -> None:
        try:
            if self._on_sysenter():
                self._take_stop_at_event()
                return
        except BaseException as exc:          # noqa: BLE001 - carried out of the C callback
            self.keep_error(exc)
        self._entry.left_for_syscall = 1
        self._lib.uc_emu_stop(self._uch)

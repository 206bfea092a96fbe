"""Watchpoints: a debugger's Z2-Z4 on the emulated CPU (arch/x86/kernel/hw_breakpoint.c).

Linux programs the debug registers DR0-DR3; the emulator instead calls a hook on each user
access within a range. A mixin of cpu.py's ``Cpu``, which hands it the emulator's memory
hook kinds (``_mem_hook_kinds``, ``_mem_write_access``) and C functions (``_lib``).
"""


class Watchpoints:
    """add_watch / remove_watch on one emulator instance."""

    __slots__ = ()

    def add_watch(self, begin: int, end: int, kinds: str, on_access) -> list:
        """Call on_access(address, size, is_write) for user accesses within [begin, end)
        (kinds: "r", "w" or "rw"); when it returns True the run stops, at the start of the
        next translated block (the access and the rest of its block are done). Returns
        the handles for ``remove_watch``. Costs nothing once removed."""
        def hook(_uc, access, address, size, _value, _user):
            try:
                if on_access(address, size, access == self._mem_write_access):
                    self._lib.uc_emu_stop(self._uch)
            except BaseException as exc:      # noqa: BLE001 - carried out of the C callback
                self.keep_error(exc)
                self._lib.uc_emu_stop(self._uch)
        read, write = self._mem_hook_kinds
        types = {"r": [read], "w": [write], "rw": [read, write]}[kinds]
        handles = [self._uc.hook_add(kind, hook, None, begin, end - 1) for kind in types]
        self._uc.ctl_flush_tb()                 # blocks translated before know no hook,
        self.flush_tlb()                        # and cached pages are accessed inline
        return handles

    def remove_watch(self, handles: list) -> None:
        for handle in handles:
            self._uc.hook_del(handle)
        self._uc.ctl_flush_tb()
        self.flush_tlb()

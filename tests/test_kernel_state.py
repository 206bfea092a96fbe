"""Kernel is the machine's state (issue 18): declared slots, no forwarding methods, and
no caller reaching a subsystem's function through it."""
import inspect
import re
from pathlib import Path

import glasskernel
from glasskernel.init.main import Kernel

# What may stay a method: starting, running and stopping the machine.
MACHINE_METHODS = {"__init__", "run_init_process", "run", "discard_task", "idle_wait",
                   "deadlock", "shutdown"}
# Functions that were Kernel methods and now live where Linux has them.
MOVED = ("enter_user_mode", "account_user_time", "save_user_regs", "restore_user_regs",
         "switch_user_context", "unload_context", "switch_mm", "exec_switch_mm",
         "get_user_reg", "set_user_reg", "send_signal", "signal_wake_up", "wake_up_parent",
         "wait_chldexit", "futex_wake", "force_sig_fault", "force_fatal_sig",
         "flush_signal_handlers", "exit_to_user_mode", "signal_delivered", "user_regs",
         "sync_pt_regs", "read_fpstate", "write_fpstate", "sleep_ns", "core_limit",
         "stack_limit", "random_bytes", "syscall_name", "warn", "internal_error", "tty_for",
         "charge_vdso_reads", "trace_execve", "trace_syscall_enter", "trace_do_exit",
         "trace_release_task", "trace_clock_ns")


def test_kernel_has_slots_and_no_dict():
    assert Kernel.__dictoffset__ == 0, "a Kernel instance must not grow undeclared attributes"


def test_every_slot_has_a_comment():
    source = inspect.getsource(Kernel)
    block = source.split("__slots__ = (", 1)[1].split("\n    )", 1)[0]
    for line in block.splitlines():
        if line.strip().startswith('"'):
            assert "#" in line, f"slot without a comment: {line.strip()}"


def test_only_machine_level_methods_are_left():
    methods = {name for name, value in vars(Kernel).items() if inspect.isfunction(value)}
    assert methods <= MACHINE_METHODS, methods - MACHINE_METHODS


def test_no_caller_reaches_a_moved_function_through_kernel():
    call = re.compile(r"\bkernel\.(" + "|".join(MOVED) + r")\(")
    found = []
    for path in Path(glasskernel.__file__).parent.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if call.search(line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []

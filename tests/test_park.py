"""Parked tasks (kernel/sched/park.py): a pipe reader that blocks inside the syscall hook
sleeps without a kernel stack, and a writer's wake-up lets the next blocking task hand
the CPU to it without leaving the emulator.

pipe_ring.c takes turns through pipes in rings of 2, 3 and 5 processes, has two readers
on one pipe (the one that loses the byte blocks again), interrupts a blocked reader with
a signal (EINTR without SA_RESTART, a restarted read with it) and ends a blocked read with
end of file. Its output must match the native kernel's, and an in-process run must have
taken both ways: switches inside the hook, and parked tasks given a kernel stack.
"""
import pytest

import harness
from harness import differential
from glasskernel.init.main import Kernel
from glasskernel.kernel.sched import core as sched_core


def test_pipe_ring_matches_native(build, toolchain):
    native, _ = differential([build("pipe_ring", toolchain), "300"])
    assert b"in order yes, children failed 0" in native[0]


def test_pipe_ring_without_the_c_shim(build):
    """The switch's three emulator calls made one by one (no C shim) work the same."""
    env = dict(harness.TEST_ENV, GLASSKERNEL_NO_SHIM="1")
    differential([build("pipe_ring", "musl"), "100"], env=env)


@pytest.mark.parametrize("toolchain", ["musl"])
def test_pipe_ring_switches_inside_the_hook(build, toolchain, capfd):
    exe = str(build("pipe_ring", toolchain)).encode()
    kernel = Kernel()
    try:
        kernel.run_init_process(exe, [exe, b"300"], [b"PATH=/bin"])
        assert kernel.run() == 0
    finally:
        kernel.shutdown()
    out = capfd.readouterr().out
    assert out.count("in order yes, children failed 0") == 3, out
    sched = kernel.sched
    # A ring of n passes the token n times a round, and nearly every pass blocks a
    # reader; those that find the next task parked hand it the CPU inside the hook (a
    # wake-up that preempts the waker leaves a runnable task with a stack behind).
    assert sched.hook_switches > 300
    # The signal and two-reader cases need a parked task to get a kernel stack.
    assert sched.parked_stack_handoffs > 0
    assert not any(t.thread and t.thread.parked_wq for t in kernel.tasks.values())


def test_readv_parks_like_read(build, capfd, monkeypatch):
    """readv on an empty pipe in the hook returns ERESTART_PARK as read does: the
    ping-pong matches native, and its turns switch inside the hook (with wake-up
    preemption off, which would send some turns through the slow path: every one)."""
    exe = build("pipe_readv", "musl")
    differential([exe, "200"])
    monkeypatch.setattr(sched_core, "check_preempt_wakeup", lambda rq, p: False)
    kernel = Kernel()
    try:
        kernel.run_init_process(str(exe).encode(), [str(exe).encode(), b"200"], [b"PATH=/bin"])
        assert kernel.run() == 0
    finally:
        kernel.shutdown()
    assert "rounds 200 sum 139900 child exit 0" in capfd.readouterr().out
    assert kernel.sched.hook_switches >= 390           # ~2 per round


def test_switches_between_programs_at_the_same_addresses(build):
    """Programs whose code sits at the same virtual addresses take turns through pipes,
    each switch loading CR3. Two builds of pipe_echo.c differ only in one immediate at
    the same address (the byte they XOR with): a jump cache entry kept across a switch
    would run one's code in the other and change the checksum."""
    parent = build("pipe_exec_echo", "musl")
    echo1, echo2 = (str(build("pipe_echo", "musl", (f"ECHO_KEY={key}",))) for key in (1, 2))
    native, _ = differential([parent, "300", echo1, echo2, echo1])
    assert b"rounds 300" in native[0] and b"failed 0" in native[0]

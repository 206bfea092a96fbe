"""Parked tasks (kernel/sched/park.py): a pipe reader that blocks inside the syscall hook
sleeps without a kernel stack, and a writer's wake-up lets the next blocking task hand
the CPU to it without leaving the emulator.

pipe_ring.c takes turns through pipes in rings of 2, 3 and 5 processes, has two readers
on one pipe (the one that loses the byte blocks again), interrupts a blocked reader with
a signal (EINTR without SA_RESTART, a restarted read with it) and ends a blocked read with
end of file. Its output must match the native kernel's, and an in-process run must have
taken both ways: switches inside the hook, and parked tasks given a kernel stack.
"""
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


def _run_in_process(exe, arg: bytes) -> Kernel:
    """Run exe in this process on a deterministic kernel (virtual clock, preemption by
    instruction count): the scheduler's counters are the same on a busy host as on an
    idle one. The kernel is returned after the run for its counters."""
    exe = str(exe).encode()
    kernel = Kernel(deterministic=True)
    try:
        kernel.run_init_process(exe, [exe, arg], [b"PATH=/bin"])
        assert kernel.run() == 0
    finally:
        kernel.shutdown()
    return kernel


def test_pipe_ring_switches_inside_the_hook(build, capfd, monkeypatch):
    """With wake-up preemption off (a preempted waker leaves a runnable task with a
    stack behind, and the next switch cannot be made in the hook), a ring's turns are
    handed over inside the hook; the signal and two-reader cases still need a parked
    task to get a kernel stack. Counted in a deterministic run: a real-time run's
    counts depend on the host's speed (the vruntime a waker has run)."""
    monkeypatch.setattr(sched_core, "check_preempt_wakeup", lambda rq, p: False)
    kernel = _run_in_process(build("pipe_ring", "musl"), b"300")
    out = capfd.readouterr().out
    assert out.count("in order yes, children failed 0") == 3, out
    sched = kernel.sched
    # 300 rounds of rings of 2, 3 and 5 are 3000 passes, nearly all to a blocked reader.
    assert sched.hook_switches > 1500
    assert sched.parked_stack_handoffs > 0
    assert not any(t.thread and t.thread.parked_wq for t in kernel.tasks.values())


def test_readv_parks_like_read(build, capfd, monkeypatch):
    """readv on an empty pipe in the hook returns ERESTART_PARK as read does: the
    ping-pong matches native, and its turns switch inside the hook (with wake-up
    preemption off, which would send some turns through the slow path: every one)."""
    exe = build("pipe_readv", "musl")
    differential([exe, "200"])
    monkeypatch.setattr(sched_core, "check_preempt_wakeup", lambda rq, p: False)
    kernel = _run_in_process(exe, b"200")
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

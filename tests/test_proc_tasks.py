"""/proc/<pid> of zombies and of released tasks, and a fuzz of the whole /proc tree while
tasks come and go: Linux's answers, never an internal error."""
from harness import differential, run_glasskernel


def test_proc_of_a_zombie_and_of_a_released_task(build, toolchain):
    """Every entry of a zombie's directory (exe/cwd/root ENOENT, stat state Z, empty
    maps and fd), then of the same directory, held open, once the task is released."""
    exe = build("proc_zombie", toolchain)
    native, _ = differential([exe])
    assert b"state Z" in native[0]


def test_proc_fuzz_while_tasks_come_and_go(build):
    """proc_fuzz walks /proc (every file read, every link read and followed) several
    times while a child forks and reaps, a zombie waits and a thread sleeps. An internal
    error would kill it (status 137) and print a traceback line on our stderr."""
    exe = build("proc_fuzz", "glibc")
    out, err, status = run_glasskernel([exe, "6"])
    assert b"internal error" not in err and b"Traceback" not in err, err[-2000:]
    assert status == 0, (out, err[-2000:])
    assert b"walked 6 rounds, 0 unexpected" in out


def test_leader_exits_before_its_thread(build):
    """delay_group_leader: the leader stays a zombie with its /proc entries (state Z)
    that the parent cannot reap until the thread's exit_group, whose status it gets."""
    exe = build("proc_leader_exit", "glibc")
    native, _ = differential([exe])
    assert b"reaped 1, exit status 5" in native[0]

"""/proc/<pid> of zombies and of released tasks, and a fuzz of the whole /proc tree while
tasks come and go: Linux's answers, never an internal error."""
from harness import differential


def test_proc_of_a_zombie_and_of_a_released_task(build, toolchain):
    """Every entry of a zombie's directory (exe/cwd/root ENOENT, stat state Z, empty
    maps and fd), then of the same directory, held open, once the task is released."""
    exe = build("proc_zombie", toolchain)
    native, _ = differential([exe])
    assert b"state Z" in native[0]

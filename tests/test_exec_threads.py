"""execve in a multithreaded process (fs/exec.c de_thread), differential: the other threads
(one spinning in user mode, one asleep in read) are killed before the new image runs, so it
sees one thread; an exec from a non-leader thread keeps the process's pid, the new image's
thread id is that pid, and the parent's waitpid reaps that same pid."""

from harness import differential


def test_exec_threads(build, toolchain):
    exe = build("exec_threads", toolchain)
    native, _ = differential([exe])
    assert native[0].count(b"Threads=1 pid kept=1 tid==pid=1\n") == 3


def test_threads_are_not_children(build, toolchain):
    """A child process's threads are not its parent's children: no __WCLONE child to
    wait for, __WALL reaps the process once and then reports ECHILD."""
    exe = build("exec_threads_children", toolchain)
    native, _ = differential([exe])
    assert native[0].startswith(b"__WCLONE: -1 errno=No child")

"""wait from any thread of a process: Linux's do_wait looks at the children of every
thread in the caller's group (unless __WNOTHREAD), and a child's exit wakes sleepers on
the process's signal->wait_chldexit, whichever thread sleeps there."""
from harness import differential


def test_sibling_thread_waits_for_another_threads_child(build, toolchain):
    """waitpid(-1), waitpid(pid) and waitid(P_ALL) in a sibling reap the child; with
    __WNOTHREAD they give ECHILD (but find the caller's own child); a blocked sibling is
    woken by the child's exit (also after the thread that forked it exited); the child of
    a thread that exited (still running, or already a zombie) is the group's."""
    exe = build("wait_sibling", toolchain)
    native, _ = differential([exe])
    assert native[0].count(b"the child exited 1") == 8
    assert native[0].count(b"-1 No child process") == 5

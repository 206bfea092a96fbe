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


def test_process_sigkill_during_de_thread_goes_to_the_execing_thread():
    """While de_thread waits for the other threads to die, a process-directed SIGKILL is
    given to the exec'ing thread (which ends the exec and kills the process), not to a
    dying thread, whose de_thread-induced exit (status 0) would swallow it."""
    from factories import make_kernel, make_task, release_kernel
    from glasskernel.kernel.signal import SIGKILL, group_send_sig_info, sigmask
    kernel = make_kernel()
    try:
        leader = make_task(kernel)
        execer = make_task(kernel, thread_of=leader)
        leader.signal.group_exec_task = execer
        group_send_sig_info(leader, SIGKILL)
        assert execer.pending & sigmask(SIGKILL)
        assert not leader.pending & sigmask(SIGKILL)
    finally:
        release_kernel(kernel)

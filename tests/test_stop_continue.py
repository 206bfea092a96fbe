"""Job-control stops: SIGSTOP stops a child (WUNTRACED reports it), SIGCONT resumes it
(WCONTINUED), SIGTERM kills it — same output as the native kernel."""
from harness import differential


def test_stop_continue_kill(build, toolchain):
    exe = build("stop_continue", toolchain)
    native, _ = differential([exe])
    assert native[0].count(b": 1") == 3

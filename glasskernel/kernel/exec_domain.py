"""personality(2) (kernel/exec_domain.c): the task's execution domain and its flags.

Only the flags that change what this kernel does are acted on: UNAME26 (uname reports a
2.6 release, kernel/sys.c's override_release) and STICKY_TIMEOUTS (select leaves its
timeout alone, fs/select.py). ADDR_NO_RANDOMIZE is what every task gets anyway: layouts
are never randomised here.
"""

PER_QUERY = 0xFFFFFFFF


def sys_personality(task, persona) -> int:
    """Set the personality unless asked only to read it (0xffffffff); the old one."""
    old = task.personality
    persona &= 0xFFFFFFFF
    if persona != PER_QUERY:
        task.personality = persona
    return old

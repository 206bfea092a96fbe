"""personality(2) (kernel/exec_domain.c): the task's execution domain and its flags.

Only the flags that change what this kernel does are acted on: UNAME26 (uname reports a
2.6 release: override_release, which Linux keeps in kernel/sys.c) and STICKY_TIMEOUTS (select leaves its
timeout alone, fs/select.py). ADDR_NO_RANDOMIZE is what every task gets anyway: layouts
are never randomised here.
"""

PER_QUERY = 0xFFFFFFFF
UNAME26 = 0x0020000
PER_LINUX32 = 0x0008
PER_MASK = 0x00FF
COMPAT_UTS_MACHINE = "i686"           # what uname says under PER_LINUX32 (linux32, setarch i686)


def override_architecture(task, machine: str) -> str:
    """override_architecture: a PER_LINUX32 task sees an i686 machine."""
    return COMPAT_UTS_MACHINE if task.personality & PER_MASK == PER_LINUX32 else machine


def override_release(release: str) -> str:
    """UNAME26's release for programs that only know 2.6: 2.6.(60 + patchlevel), then
    whatever follows the version's digits."""
    dots, i = 0, 0
    while i < len(release) and (release[i].isdigit() or release[i] == "."):
        if release[i] == "." and dots + 1 >= 3:
            break
        dots += release[i] == "."
        i += 1
    parts = release.split(".")
    patchlevel = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return f"2.6.{60 + patchlevel}{release[i:]}"


def sys_personality(task, persona) -> int:
    """Set the personality unless asked only to read it (0xffffffff); the old one."""
    old = task.personality
    persona &= 0xFFFFFFFF
    if persona != PER_QUERY:
        task.personality = persona
    return old

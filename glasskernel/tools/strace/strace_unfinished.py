"""strace -f's ``<unfinished ...>`` / ``<... resumed>`` for calls that block across a switch.

When a traced process blocks in a syscall and another process prints something before it
returns, strace ends the first line at the arguments known on entry:

    [pid     3] read(0,  <unfinished ...>
    [pid     4] write(1, "x", 1)                = 1
    [pid     3] <... read resumed>"x", 4096)    = 1

How many leading arguments are "known on entry" is a property of each syscall: the ones
before the first output argument (all of them for write, only the fd for read).
"""

# Arguments strace prints on entry; the rest (outputs) appear after "resumed>".
ENTRY_ARGS = {
    "read": 1, "readv": 1, "pread64": 1, "preadv": 1, "recvfrom": 1, "recvmsg": 1,
    "wait4": 1, "waitid": 2, "epoll_wait": 1, "epoll_pwait": 1, "epoll_pwait2": 1,
    "rt_sigtimedwait": 1, "getdents64": 1,
}


def split_args(text: str) -> list:
    """Top-level comma-separated arguments of a decoded argument list (quotes and
    brackets respected)."""
    parts, depth, start, quoted, escaped = [], 0, 0, False, False
    for i, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


def entry_count(name: str, nargs: int) -> int:
    return min(ENTRY_ARGS.get(name, nargs), nargs)


def unfinished_text(name: str, args_text: str) -> str:
    """'read(0, ' + ' <unfinished ...>': strace's two spaces when it stops before an argument."""
    parts = split_args(args_text)
    shown = parts[:entry_count(name, len(parts))]
    if len(shown) < len(parts):
        lead = f"{', '.join(shown)}, " if shown else ""
        return f"{name}({lead} <unfinished ...>"
    return f"{name}({', '.join(shown)} <unfinished ...>"


def resumed_text(name: str, args_text: str) -> str:
    """'<... read resumed>"x", 4096)' — the arguments not printed on entry."""
    parts = split_args(args_text)
    rest = parts[entry_count(name, len(parts)):]
    return f"<... {name} resumed>{', '.join(rest)})"

"""Decoders for inotify's syscalls and fcntl's F_NOTIFY argument in the strace-format log
(strace's src/inotify.c and the dnotify part of src/fcntl.c)."""
from glasskernel.tools.strace.strace_util import Call, fmt_flags, fmt_path

INOTIFY_FLAGS = tuple((1 << bit, name) for bit, name in (
    (0, "IN_ACCESS"), (1, "IN_MODIFY"), (2, "IN_ATTRIB"), (3, "IN_CLOSE_WRITE"),
    (4, "IN_CLOSE_NOWRITE"), (5, "IN_OPEN"), (6, "IN_MOVED_FROM"), (7, "IN_MOVED_TO"),
    (8, "IN_CREATE"), (9, "IN_DELETE"), (10, "IN_DELETE_SELF"), (11, "IN_MOVE_SELF"),
    (13, "IN_UNMOUNT"), (14, "IN_Q_OVERFLOW"), (15, "IN_IGNORED"), (24, "IN_ONLYDIR"),
    (25, "IN_DONT_FOLLOW"), (26, "IN_EXCL_UNLINK"), (28, "IN_MASK_CREATE"),
    (29, "IN_MASK_ADD"), (30, "IN_ISDIR"), (31, "IN_ONESHOT")))
INOTIFY_INIT_FLAGS = ((0o4000, "IN_NONBLOCK"), (0o2000000, "IN_CLOEXEC"))
DNOTIFY_FLAGS = ((1, "DN_ACCESS"), (2, "DN_MODIFY"), (4, "DN_CREATE"), (8, "DN_DELETE"),
                 (0x10, "DN_RENAME"), (0x20, "DN_ATTRIB"), (0x80000000, "DN_MULTISHOT"))


def dec_inotify_init1(c: Call) -> str:
    return fmt_flags(c.uint_arg(0), INOTIFY_INIT_FLAGS, "IN_???")


def dec_inotify_add_watch(c: Call) -> str:
    return (f"{c.int_arg(0)}, {fmt_path(c.mem, c.arg(1))}, "
            f"{fmt_flags(c.uint_arg(2), INOTIFY_FLAGS, 'IN_???')}")


def dec_inotify_rm_watch(c: Call) -> str:
    return f"{c.int_arg(0)}, {c.int_arg(1)}"


def fmt_dnotify(arg: int) -> str:
    """F_NOTIFY's argument."""
    return fmt_flags(arg & 0xFFFFFFFF, DNOTIFY_FLAGS, "DN_???")

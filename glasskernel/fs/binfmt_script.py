"""The #! interpreter-script format (fs/binfmt_script.c).

A file starting with ``#!`` names its interpreter and at most one argument on the first line.
The kernel rewrites the new program's argument list to ``interp [arg] script args…`` (the
script's own argv[0] is replaced by its path) and starts over with the interpreter's file;
nested scripts are allowed a few levels deep, then ELOOP.
"""
from glasskernel.uapi.errno import Errno, KernelError, strerror
from glasskernel.uapi.fcntl import AT_FDCWD

_WHITESPACE = b" \t"


def _spacetab(c: int) -> bool:
    return c in (0x20, 0x09)


def parse_shebang(buf: bytes):
    """(interpreter, optional argument or None) from a #! line; ENOEXEC if there is none.

    As Linux: the line ends at the first newline (or the buffer's end, if the name is
    not cut off there); trailing spaces and tabs are trimmed, but nothing else (a DOS
    "\r" stays part of the argument); the name ends at a space, tab or NUL; the rest of
    the line, after blanks, is the one argument.
    """
    if not buf.startswith(b"#!"):
        raise KernelError(Errno.ENOEXEC)
    line = bytearray(buf[2:])
    end = line.find(b"\n")
    if end < 0:
        stripped = bytes(line).lstrip(_WHITESPACE)
        if not stripped or not any(_spacetab(c) or c == 0 for c in stripped):
            raise KernelError(Errno.ENOEXEC)     # the interpreter name may be truncated
        end = len(line)
    line = line[:end]
    while line and _spacetab(line[-1]):
        del line[-1]
    line = bytes(line).split(b"\0", 1)[0] if b"\0" in line else bytes(line)
    rest = line.lstrip(_WHITESPACE)
    if not rest:
        raise KernelError(Errno.ENOEXEC)
    cut = next((i for i, c in enumerate(rest) if _spacetab(c)), len(rest))
    interp, arg = rest[:cut], rest[cut:].lstrip(_WHITESPACE)
    return interp, arg or None


def remove_arg_zero(bprm) -> None:
    """Drop argv[0] from the new stack: it is the lowest string, so move p above it."""
    if bprm.argc == 0:
        return
    first = bprm.argv_addrs.pop(0)
    length = len(bprm.mm.read_cstring(first, 1 << 20)) + 1
    bprm.p = first + length
    bprm.argc -= 1


def load_script(bprm) -> None:
    """Rewrite the arguments for the interpreter and load it instead (load_script)."""
    from glasskernel.fs.exec import copy_string_kernel, do_open_execat, exec_binprm

    interp, arg = parse_shebang(bprm.buf)
    remove_arg_zero(bprm)
    # The name of the file being interpreted now: the user's name for it at the first
    # level, the previous #! line's interpreter name when scripts nest (bprm->interp).
    pushed = [copy_string_kernel(bprm, bprm.interp_name)]
    if arg is not None:
        pushed.insert(0, copy_string_kernel(bprm, arg))
    pushed.insert(0, copy_string_kernel(bprm, interp))
    bprm.argv_addrs = pushed + bprm.argv_addrs
    bprm.argc += len(pushed)
    old_file = bprm.file
    try:
        bprm.file = do_open_execat(bprm.task, AT_FDCWD, interp, 0)
    except KernelError as err:
        # The script is fine; its interpreter is at fault: say which (bash's words).
        name = interp.decode("utf-8", "surrogateescape")
        raise KernelError(err.errno, f"{name}: bad interpreter: {strerror(err.errno)}") from None
    old_file.close()
    bprm.interp = bprm.file.path
    bprm.interp_name = interp
    bprm.recursion_depth += 1
    exec_binprm(bprm)

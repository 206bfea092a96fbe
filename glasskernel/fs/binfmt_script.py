"""The #! interpreter-script format (fs/binfmt_script.c).

A file starting with ``#!`` names its interpreter and at most one argument on the first line.
The kernel rewrites the new program's argument list to ``interp [arg] script args…`` (the
script's own argv[0] is replaced by its path) and starts over with the interpreter's file;
nested scripts are allowed a few levels deep, then ELOOP.
"""
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_FDCWD

_WHITESPACE = b" \t"


def parse_shebang(buf: bytes):
    """(interpreter, optional argument or None) from a #! line; ENOEXEC if there is none."""
    if not buf.startswith(b"#!"):
        raise KernelError(Errno.ENOEXEC)
    line = buf[2:]
    end = line.find(b"\n")
    if end < 0:
        # The whole buffer is one line: Linux accepts it only if the interpreter name ends
        # inside it (it must not be truncated).
        stripped = line.lstrip(_WHITESPACE)
        if not any(c in _WHITESPACE for c in stripped.rstrip(b"\0")):
            raise KernelError(Errno.ENOEXEC)
    else:
        line = line[:end]
    line = line.split(b"\0", 1)[0].strip(_WHITESPACE + b"\r")
    if not line:
        raise KernelError(Errno.ENOEXEC)
    parts = line.split(None, 1)
    interp = parts[0]
    arg = parts[1].strip(_WHITESPACE) if len(parts) > 1 else None
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
    pushed = [copy_string_kernel(bprm, bprm.filename.encode("utf-8", "surrogateescape"))]
    if arg is not None:
        pushed.insert(0, copy_string_kernel(bprm, arg))
    pushed.insert(0, copy_string_kernel(bprm, interp))
    bprm.argv_addrs = pushed + bprm.argv_addrs
    bprm.argc += len(pushed)
    old_file = bprm.file
    bprm.file = do_open_execat(bprm.task, AT_FDCWD, interp, 0)
    old_file.close()
    bprm.interp = bprm.file.path
    bprm.recursion_depth += 1
    exec_binprm(bprm)

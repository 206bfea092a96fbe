"""Writing a job's files into the guest's private writable layer before it starts.

The files go through the kernel's own VFS, as a program running as init would write
them (mkdir of each missing directory, open with O_CREAT|O_TRUNC, write): the host is
never touched, and the guest finds them at their paths.
"""
import os

from glasskernel.fs.fs_struct import FsStruct
from glasskernel.fs.namei import Nameidata, walk
from glasskernel.fs.open import do_filp_open
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_FDCWD

O_WRONLY, O_CREAT, O_TRUNC = 0o1, 0o100, 0o1000


def write_guest_files(kernel, files: dict) -> None:
    """files: absolute guest path -> bytes. Executable bits follow the host file's."""
    task = kernel.init_task
    old_fs = task.fs
    task.fs = FsStruct.initial(kernel.vfs, "/")
    try:
        for path, data in sorted(files.items()):
            _make_dirs(task, os.path.dirname(path))
            mode = 0o755 if data[:4] == b"\x7fELF" or data[:2] == b"#!" else 0o644
            file = do_filp_open(task, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode)
            try:
                done = 0
                while done < len(data):
                    done += file.write(data[done:])
            finally:
                file.put()
    finally:
        task.fs = old_fs


def _make_dirs(task, directory: str) -> None:
    node = task.fs.root
    for name in [part for part in directory.split("/") if part]:
        try:
            node = walk(Nameidata(task), node, name, follow_last=True)
        except KernelError as err:
            if err.errno != Errno.ENOENT:
                raise
            node.mkdir(task, name, 0o755)
            node = walk(Nameidata(task), node, name, follow_last=True)

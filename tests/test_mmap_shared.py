"""MAP_SHARED file mappings (mm/filemap.py: AddressSpace, mm/msync.py): differential."""
import os

from glasskernel.api import Session
from harness import differential


def test_mmap_shared_file(build, toolchain):
    """One set of pages for every mapping and process, coherent with read/write and
    written back at munmap; msync's checks; EACCES for read-only descriptors; SIGBUS past
    EOF; MAP_SHARED_VALIDATE and MAP_SYNC (EOPNOTSUPP)."""
    exe = build("mmap_shared", toolchain)
    native, _ = differential([exe])
    assert b"results: passed=7 failed=3" in native[0]


def _host_copy(session, name: str) -> bytes:
    """The bytes of the guest file `name` in the writable layer on the host."""
    upper = session.kernel.vfs.overlay.upper
    for directory, _dirs, files in os.walk(upper):
        if name in files:
            with open(os.path.join(directory, name), "rb") as f:
                return f.read()
    return b""


def test_shared_stores_reach_the_file(build):
    """msync(MS_SYNC) writes the range to the layer's host file (through the kernel's
    descriptor), and the exit's munmap writes the rest."""
    exe = build("mmap_writeback", "musl")
    session = Session()
    seen = {}
    session.on("syscall", lambda ev: ev.args["call"] == "msync"
               and seen.setdefault("msync", _host_copy(session, "gk_wb")))
    session.on("exit_notify", lambda ev: seen.setdefault("exit", _host_copy(session, "gk_wb")))
    session.spawn([str(exe), "/tmp/gk_wb"])
    assert session.run() == 0
    assert seen["msync"][:6] == b"synced"
    assert seen["exit"][4096:4103] == b"at exit"
    assert len(seen["exit"]) == 8192


def test_memfd(build, toolchain):
    """memfd_create: read/write, ftruncate, a shared mapping shared with a child and with
    read(2), seals, its /proc/self/fd link and maps name."""
    exe = build("memfd", toolchain)
    native, _ = differential([exe])
    assert b"parent sees: \"child\"" in native[0]

"""MAP_SHARED file mappings (mm/filemap.py: AddressSpace, mm/msync.py): differential."""
import os

import pytest

from glasskernel.api import Session
from harness import differential, run_glasskernel


def test_mmap_shared_file(build, toolchain):
    """One set of pages for every mapping and process, coherent with read/write and
    written back at munmap; msync's checks; EACCES for read-only descriptors; SIGBUS past
    EOF; MAP_SHARED_VALIDATE and MAP_SYNC (EOPNOTSUPP)."""
    exe = build("mmap_shared", toolchain)
    native, _ = differential([exe])
    assert b"results: passed=7 failed=3" in native[0]


def _host_copy(session, name: str) -> bytes:
    """The bytes of the guest file `name` in the writable layer on the host."""
    upper = session.kernel.vfs.overlay.upper_root
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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mm_fuzz_no_internal_error(build, seed):
    """mm_fuzz.c: random mmap (files, memfd, /dev/zero, anonymous; good and bad flags),
    munmap, mprotect, msync, mremap, madvise, ftruncate under mappings and touches, inside
    an arena. Every call must get a result or an errno, every bad touch a signal."""
    exe = build("mm_fuzz", "glibc")
    out, err, status = run_glasskernel([exe, str(seed), "1500"])
    assert b"internal error" not in err and b"Traceback" not in err, err[-2000:]
    assert (status, out) == (0, b"done\n"), err[-2000:]


def test_mremap_edges(build, toolchain):
    """mremap: a failed growth leaves the mapping as it was, a shrink is only an unmap."""
    differential([build("mremap_edges", toolchain)])


def test_memfd_descriptor_operations(build, toolchain):
    """fchmod/fchown/futimens, fstatfs, fallocate, SEEK_DATA/SEEK_HOLE, FIONREAD and
    truncate through /proc/self/fd on a memfd, with the seals' EPERM."""
    differential([build("memfd_ops", toolchain)])


def _host_blocks(session, name: str) -> int:
    upper = session.kernel.vfs.overlay.upper_root
    for directory, _dirs, files in os.walk(upper):
        if name in files:
            return os.stat(os.path.join(directory, name)).st_blocks
    return -1


def test_reading_a_mapping_fills_no_holes(build):
    """Only pages written through a mapping are written back: reading all 16 MiB of a
    sparse file through a writable shared mapping leaves it sparse on the host."""
    exe = build("mmap_sparse", "musl")
    session = Session()
    seen = {}
    session.on("exit_notify", lambda ev: seen.setdefault("blocks", _host_blocks(session, "gk_sparse")))
    session.spawn([str(exe), "/tmp/gk_sparse"])
    assert session.run() == 0
    assert 0 < seen["blocks"] * 512 <= 64 * 1024, seen


def test_posix_shm(build, toolchain):
    """shm_open/shm_unlink on the tmpfs at /dev/shm: O_EXCL, a second open's mapping
    shared with the first, the directory listing, the fd link and its " (deleted)"."""
    native, _ = differential([build("shm_posix", toolchain)])
    assert b'parent sees: "from the child"' in native[0]

"""System V shared memory (ipc/shm.c): shmget, shmat, shmdt, shmctl.

A segment's pages live in a ShmemFile (mm/shmem.py), the object that backs MAP_SHARED
anonymous memory, so every attach in every process maps the same frames. An attach is a
MAP_SHARED VMA whose vm_file is a ShmAttach: its get/put (a VMA copied by fork or split,
unmapped by shmdt, munmap, exec or exit) are shm_open/shm_close, which keep shm_nattch,
the attach/detach times and the last pid. A segment marked for removal (IPC_RMID while
attached) loses its key and goes when its last attach does.
"""
import struct

from glasskernel.ipc.namespace import SHMMIN, ipc_ns_of
from glasskernel.ipc.util import (
    IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, KernIpcPerm, S_IRWXUGO,
    ipcctl_obtain_check, ipcget, ipcperms, ipc_update_perm, now_seconds, pid_vnr_of,
    NATIVE_IPC, read_ipc64_perm)
from glasskernel.kernel.capability import capable
from glasskernel.mm.memfd import SHMEM_DEV
from glasskernel.mm.mm_types import TASK_SIZE
from glasskernel.mm.page_alloc import PAGE_SHIFT, PAGE_SIZE
from glasskernel.mm.shmem import ShmemFile
from glasskernel.uapi.capability import CAP_IPC_LOCK
from glasskernel.uapi.errno import Errno, KernelError

SHM_HUGETLB, SHM_NORESERVE = 0o4000, 0o10000
SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
SHM_DEST, SHM_LOCKED = 0o1000, 0o2000          # mode bits
SHM_LOCK, SHM_UNLOCK, SHM_STAT, SHM_INFO, SHM_STAT_ANY = 11, 12, 13, 14, 15
SHMLBA = PAGE_SIZE
# struct shmid64_ds after its ipc64_perm: segsz, atime, dtime, ctime, cpid, lpid,
# nattch, two unused longs
_SHMID64_TAIL = struct.Struct("<QqqqiiQ16x")
_SHMINFO64 = struct.Struct("<9Q")              # shmmax shmmin shmmni shmseg shmall + 4 unused
_SHM_INFO = struct.Struct("<i4x5Q")            # used_ids, shm_tot, shm_rss, shm_swp, 2 swap counters


class ShmidKernel:
    """struct shmid_kernel: one segment."""

    __slots__ = ("perm", "ns", "segsz", "file", "atime", "dtime", "ctime", "cprid", "lprid",
                 "nattch")

    def __init__(self, ns, key: int, mode: int, size: int, task, file=None):
        self.perm = KernIpcPerm(key, mode, task.cred)
        self.ns = ns
        self.segsz = size
        self.file = ShmemFile(task.mm.phys) if file is None else file   # or a HugetlbFile
        self.atime = self.dtime = 0
        self.ctime = now_seconds()
        self.cprid, self.lprid = task, None      # (a thread of) the creator, the last user
        self.nattch = 0

    def pages(self) -> int:
        return (self.segsz + PAGE_SIZE - 1) >> PAGE_SHIFT

    def map_size(self) -> int:
        """What an attach maps: the file's size (a huge page multiple for SHM_HUGETLB)."""
        hstate = getattr(self.file, "hstate", None)
        if hstate is None:
            return (self.segsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        return self.file.size

    def rss_pages(self) -> int:
        """Base pages present (shm_get_stat: a huge page counts all of its own)."""
        hstate = getattr(self.file, "hstate", None)
        return len(self.file.pages) << (hstate.order if hstate is not None else 0)

    def may_destroy(self) -> bool:
        """shm_may_destroy: unattached, and marked for removal (or shm_rmid_forced)."""
        return self.nattch == 0 and (self.ns.shm_rmid_forced or self.perm.mode & SHM_DEST)

    def destroy(self) -> None:
        """shm_destroy: the id, the accounted pages and the memory go."""
        ns = self.ns
        ns.shm_tot -= self.pages()
        ns.shm_ids.rmid(self)
        self.file.put()


def _current_task(ns):
    """The task running: the one attaching, detaching, forking or exiting."""
    return ns.kernel.current


class ShmAttach:
    """vm_file of an attach (shm_file_data): the segment's pages, and nattch kept by the
    VMAs that map it. ``writable`` is false for SHM_RDONLY (no VM_MAYWRITE)."""

    __slots__ = ("shp", "readable", "writable", "flags")
    can_mmap = True
    get_is_attach = True            # get/put are shm_open/shm_close, not file references

    def __init__(self, shp: ShmidKernel, writable: bool):
        self.shp = shp
        self.readable, self.writable = True, writable
        self.flags = 2 if writable else 0

    @property
    def path(self) -> str:
        return f"/SYSV{self.shp.perm.key & 0xFFFFFFFF:08x} (deleted)"

    def stat(self):
        from glasskernel.fs.kstat import StatResult
        shp = self.shp
        when = (shp.ctime, 0)
        return StatResult(SHMEM_DEV, shp.perm.id, 0o100000 | shp.perm.mode & S_IRWXUGO, 1,
                          shp.perm.uid, shp.perm.gid, 0, shp.segsz, PAGE_SIZE,
                          shp.rss_pages() * (PAGE_SIZE // 512), when, when, when)

    @property
    def hstate(self):
        """The huge page size of a SHM_HUGETLB segment, None for others."""
        return getattr(self.shp.file, "hstate", None)

    def fault(self, mm, vma, page_va: int, write: bool) -> None:
        """A SHM_HUGETLB attach's fault: the segment's huge page (mm/hugetlb.py)."""
        self.shp.file.fault(mm, vma, page_va, write)

    def unmap_vma(self, mm, vma) -> None:
        """The segment keeps its pages until it is destroyed."""

    def get(self) -> "ShmAttach":
        """shm_open: one more VMA maps the segment; EINVAL once it is destroyed (a
        remap_file_pages after its last detach)."""
        shp = self.shp
        if shp.perm.deleted:
            raise KernelError(Errno.EINVAL)
        shp.atime = now_seconds()
        shp.lprid = _current_task(shp.ns) or shp.lprid
        shp.nattch += 1
        return self

    def put(self) -> None:
        """shm_close: one VMA less; the last one of a removed segment destroys it."""
        shp = self.shp
        shp.lprid = _current_task(shp.ns) or shp.lprid
        shp.dtime = now_seconds()
        shp.nattch -= 1
        if shp.may_destroy():
            shp.destroy()

    def find_or_create_page(self, offset: int) -> int:
        return self.shp.file.find_or_create_page(offset)

    def pread(self, count: int, offset: int) -> bytes:
        return bytes(count)


# --- shmget -----------------------------------------------------------------------------

def newseg(task, ns, key: int, shmflg: int, size: int) -> int:
    """newseg: EINVAL outside SHMMIN..shmmax, ENOSPC past shmall pages or shmmni
    segments, ENOMEM when the pages cannot be committed (unless SHM_NORESERVE)."""
    from glasskernel.mm.mmap import OVERCOMMIT_NEVER, vm_enough_memory, vm_sysctl
    if size < SHMMIN or size > ns.shm_ctlmax:
        raise KernelError(Errno.EINVAL)
    numpages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT
    if ns.shm_tot + numpages > ns.shm_ctlall:
        raise KernelError(Errno.ENOSPC)
    file = None
    if shmflg & SHM_HUGETLB:
        file = _hugetlb_segment_file(task, key, shmflg, size)
    else:
        noreserve = shmflg & SHM_NORESERVE and vm_sysctl.overcommit_memory != OVERCOMMIT_NEVER
        if not noreserve and not vm_enough_memory(task.mm, numpages):
            raise KernelError(Errno.ENOMEM)
    shp = ShmidKernel(ns, key, shmflg & S_IRWXUGO, size, task, file)
    try:
        shmid = ns.shm_ids.addid(shp, ns.shm_ctlmni)
    except KernelError:
        shp.file.put()
        raise
    ns.shm_tot += numpages
    return shmid


def _hugetlb_segment_file(task, key: int, shmflg: int, size: int):
    """SHM_HUGETLB: a hugetlbfs file of the size rounded up to the huge page size that
    SHM_HUGE_* names (EINVAL if there is no such pool), its pages reserved now unless
    SHM_NORESERVE: EPERM without CAP_IPC_LOCK or vm.hugetlb_shm_group, ENOMEM when the
    pool cannot promise them."""
    from glasskernel.fs.hugetlbfs.inode import hugetlb_file_setup
    from glasskernel.mm.hugetlb import MAP_HUGE_MASK, MAP_HUGE_SHIFT, hstate_sizelog
    hstate = hstate_sizelog(task.mm.phys, (shmflg >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK)
    if hstate is None:
        raise KernelError(Errno.EINVAL)
    hugesize = (size + hstate.size - 1) & ~(hstate.size - 1)
    return hugetlb_file_setup(task, hstate, hugesize, f"/SYSV{key & 0xFFFFFFFF:08x} (deleted)",
                              reserve=not shmflg & SHM_NORESERVE, shm=True)


def sys_shmget(task, key, size, shmflg) -> int:
    """shmget(2)."""
    ns = ipc_ns_of(task)
    key = struct.unpack("<i", struct.pack("<I", key & 0xFFFFFFFF))[0]
    shmflg &= 0xFFFFFFFF

    def more_checks(shp):
        if shp.segsz < size:
            raise KernelError(Errno.EINVAL)
    return ipcget(task, ns.shm_ids, key, shmflg, lambda: newseg(task, ns, key, shmflg, size),
                  more_checks)


# --- shmat / shmdt ----------------------------------------------------------------------

def _shmat_addr(addr: int, shmflg: int) -> tuple:
    """(address, fixed): a given address must be SHMLBA-aligned or is rounded down with
    SHM_RND; EINVAL otherwise, and for SHM_REMAP without an address (or one SHM_RND
    rounds to 0)."""
    if not addr:
        if shmflg & SHM_REMAP:
            raise KernelError(Errno.EINVAL)
        return 0, False
    if addr & (SHMLBA - 1):
        if not shmflg & SHM_RND:
            raise KernelError(Errno.EINVAL)
        addr &= ~(SHMLBA - 1)
        if not addr and shmflg & SHM_REMAP:
            raise KernelError(Errno.EINVAL)
    return addr, True


def do_shmat(task, shmid: int, addr: int, shmflg: int) -> int:
    """do_shmat: check the id and the access (EACCES), then map the whole segment shared,
    read-only with SHM_RDONLY; at ``addr`` it must not overlap a mapping unless
    SHM_REMAP (EINVAL)."""
    from glasskernel.mm.mmap import (MAP_FIXED, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE,
                                     do_mmap)
    if shmid < 0:
        raise KernelError(Errno.EINVAL)
    addr, fixed = _shmat_addr(addr, shmflg)
    flags = MAP_SHARED | (MAP_FIXED if fixed else 0)
    prot, acc = (PROT_READ, 0o444) if shmflg & SHM_RDONLY else (PROT_READ | PROT_WRITE, 0o666)
    if shmflg & SHM_EXEC:
        prot, acc = prot | PROT_EXEC, acc | 0o111
    ns = ipc_ns_of(task)
    shp = ns.shm_ids.obtain_object_check(shmid)
    if not ipcperms(task, shp.perm, acc):
        raise KernelError(Errno.EACCES)
    if shp.perm.deleted:
        raise KernelError(Errno.EIDRM)
    size = shp.map_size()
    shp.nattch += 1                 # held while mapping, so a failure cannot destroy it early
    try:
        if addr and not shmflg & SHM_REMAP:
            if task.mm.overlapping(addr, addr + size):
                raise KernelError(Errno.EINVAL)
        attach = ShmAttach(shp, not shmflg & SHM_RDONLY)
        return do_mmap(task.mm, addr, size, prot, flags, attach, 0, task=task)
    finally:
        shp.nattch -= 1
        if shp.may_destroy():
            shp.destroy()


def sys_shmat(task, shmid, shmaddr, shmflg) -> int:
    """shmat(2): the address the segment was attached at."""
    from glasskernel.arch.x86.entry.args import int_arg
    return do_shmat(task, int_arg(shmid), shmaddr, shmflg & 0xFFFFFFFF)


def sys_shmdt(task, shmaddr) -> int:
    """shmdt(2): unmap the attach that starts at shmaddr, with every fragment of it
    (mprotect or munmap may have split it) that lies within the segment's size after
    it. EINVAL if no attach starts there."""
    from glasskernel.mm.mmap import do_munmap
    if shmaddr & (PAGE_SIZE - 1):
        raise KernelError(Errno.EINVAL)
    mm = task.mm
    found = None
    for vma in list(mm.overlapping(shmaddr, TASK_SIZE)):
        if vma.end <= shmaddr:
            continue
        if found is None:
            if isinstance(vma.file, ShmAttach) and vma.start - shmaddr == vma.pgoff:
                found = vma.file.shp
                size = found.map_size()
                do_munmap(mm, vma.start, vma.end - vma.start)
            continue
        if vma.end - shmaddr > size:
            break
        if isinstance(vma.file, ShmAttach) and vma.file.shp is found and \
                vma.start - shmaddr == vma.pgoff:
            do_munmap(mm, vma.start, vma.end - vma.start)
    if found is None:
        raise KernelError(Errno.EINVAL)
    return 0


# --- shmctl -----------------------------------------------------------------------------

def _shmid64_ds(task, shp) -> bytes:
    return shp.perm.pack() + _SHMID64_TAIL.pack(
        shp.segsz, shp.atime, shp.dtime, shp.ctime, pid_vnr_of(task, shp.cprid),
        pid_vnr_of(task, shp.lprid), shp.nattch)


def shmctl_stat(task, ns, shmid: int, cmd: int, buf: int, layout=NATIVE_IPC) -> int:
    """IPC_STAT (0), SHM_STAT and SHM_STAT_ANY (the full id of slot ``shmid``)."""
    if cmd == IPC_STAT:
        shp = ns.shm_ids.obtain_object_check(shmid)
    else:
        shp = ns.shm_ids.obtain_object_idr(shmid)
    if cmd != SHM_STAT_ANY and not ipcperms(task, shp.perm, 0o444):
        raise KernelError(Errno.EACCES)
    layout.put(task, buf, _shmid64_ds(task, shp), "shmid64_ds")
    return 0 if cmd == IPC_STAT else shp.perm.id


def shmctl_down(task, ns, shmid: int, cmd: int, buf: int, layout=NATIVE_IPC) -> int:
    """IPC_SET (new owner and mode bits) and IPC_RMID (destroy now, or mark SHM_DEST and
    drop the key while attached): the owner, the creator or CAP_SYS_ADMIN."""
    new = read_ipc64_perm(task, buf, layout) if cmd == IPC_SET else None
    shp = ipcctl_obtain_check(task, ns.shm_ids, shmid)
    if cmd == IPC_RMID:
        if shp.nattch:
            shp.perm.mode |= SHM_DEST
            ns.shm_ids.set_key_private(shp)
        else:
            shp.destroy()
        return 0
    ipc_update_perm(shp.perm, *new)
    shp.ctime = now_seconds()
    return 0


def shmctl_do_lock(task, ns, shmid: int, cmd: int) -> int:
    """SHM_LOCK/SHM_UNLOCK: a flag here (nothing is ever swapped); without CAP_IPC_LOCK
    only the owner or creator, and SHM_LOCK only under a non-zero RLIMIT_MEMLOCK."""
    shp = ns.shm_ids.obtain_object_check(shmid)
    if not capable(task, CAP_IPC_LOCK):
        if task.cred.euid not in (shp.perm.uid, shp.perm.cuid):
            raise KernelError(Errno.EPERM)
        memlock = (task.rlimits.get(8) or (1,))[0] if task.rlimits else 1
        if cmd == SHM_LOCK and not memlock:
            raise KernelError(Errno.EPERM)
    if cmd == SHM_LOCK:
        shp.perm.mode |= SHM_LOCKED
    else:
        shp.perm.mode &= ~SHM_LOCKED
    return 0


def sys_shmctl(task, shmid, cmd, buf, *, layout=NATIVE_IPC) -> int:
    """shmctl(2): the IPC_64 layouts (the only ones on x86-64; layout: the i386 ones for
    compat_sys_shmctl)."""
    from glasskernel.arch.x86.entry.args import int_arg
    shmid, cmd = int_arg(shmid), int_arg(cmd)
    if cmd < 0 or shmid < 0:
        raise KernelError(Errno.EINVAL)
    ns = ipc_ns_of(task)
    ids = ns.shm_ids
    if cmd == IPC_INFO:
        layout.put(task, buf, _SHMINFO64.pack(ns.shm_ctlmax, SHMMIN, ns.shm_ctlmni,
                                              ns.shm_ctlmni, ns.shm_ctlall, 0, 0, 0, 0), "shminfo64")
        return max(ids.max_idx(), 0)
    if cmd == SHM_INFO:
        rss = sum(shp.rss_pages() for shp in ids.slots.values())
        layout.put(task, buf, _SHM_INFO.pack(ids.in_use, ns.shm_tot, rss, 0, 0, 0), "shm_info")
        return max(ids.max_idx(), 0)
    if cmd in (IPC_STAT, SHM_STAT, SHM_STAT_ANY):
        return shmctl_stat(task, ns, shmid, cmd, buf, layout)
    if cmd in (IPC_SET, IPC_RMID):
        return shmctl_down(task, ns, shmid, cmd, buf, layout)
    if cmd in (SHM_LOCK, SHM_UNLOCK):
        return shmctl_do_lock(task, ns, shmid, cmd)
    raise KernelError(Errno.EINVAL)


def exit_shm(task) -> None:
    """exit_shm: with kernel.shm_rmid_forced, the segments this task created are marked
    for removal, and those nobody has attached go now."""
    ns = ipc_ns_of(task)
    if not ns.shm_rmid_forced:
        return
    for shp in list(ns.shm_ids.slots.values()):
        if shp.cprid is task:
            shp.perm.mode |= SHM_DEST
            if shp.may_destroy():
                shp.destroy()

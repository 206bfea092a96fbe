"""tmpfs as a mountable file system: its superblock, mount options and inodes (mm/shmem.c).

Each ``mount -t tmpfs`` makes a ``ShmemSb``: an anonymous device number, the size and inode
limits of its options, the read-only flag, and the inode number counter. Its contents live
in the guest's memory only: regular files are the memfd's shmem inodes (their pages are
frames of the guest's physical memory), directories map names to inodes, symlinks keep
their body. Nothing of it is ever a host file, so no guest name reaches the host.
"""
import os
import time

from glasskernel.mm.memfd import F_SEAL_SEAL, ShmemInode
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.uapi.errno import Errno, KernelError

BOGO_DIRENT_SIZE = 20          # what each entry adds to a tmpfs directory's st_size
S_IFDIR, S_IFLNK = 0o040000, 0o120000


def now() -> tuple:
    return divmod(time.time_ns(), 10**9)


class TmpfsInode:
    """A tmpfs directory, symlink, FIFO or socket inode (regular files are ShmemInodes)."""

    def __init__(self, ino: int, mode: int, uid: int, gid: int):
        self.ino, self.mode, self.uid, self.gid = ino, mode, uid, gid
        self.nlink = 2 if mode & 0o170000 == S_IFDIR else 1
        self.atime = self.mtime = self.ctime = now()
        self.size = 0
        self.pages = {}                 # (no data pages: st_blocks 0)
        self.xattrs = {}
        self.children = {}              # a directory's entries: name -> inode
        self.parent = None              # a directory's parent directory inode
        self.name = ""                  # ... and its name there (d_path of directories)
        self.target = ""                # a symlink's body
        self.fsflags = 0                # FS_*_FL of chattr (FS_IOC_SETFLAGS)

    def get(self):
        return self

    def put(self) -> None:
        """Directories and symlinks hold no frames: nothing to free."""


class ShmemOptions:
    """struct shmem_options: what the mount data asked for, and which of it was given."""

    __slots__ = ("blocks", "inodes", "mode", "uid", "gid", "seen", "ro")

    def __init__(self):
        self.blocks = self.inodes = None    # None: not given
        self.mode = self.uid = self.gid = None
        self.seen = set()
        self.ro = None                      # "ro"/"rw" among the options (a superblock flag)


def memparse(text: str):
    """memparse: a number (C base rules: 0x hex, 0 octal) with an optional k/m/g/t/p/e
    suffix; returns (value, rest of the string)."""
    i, base = 0, 10
    if text[:2].lower() == "0x":
        i, base = 2, 16
    elif text[:1] == "0" and len(text) > 1:
        i, base = 1, 8
    start = i
    digits = "0123456789abcdef"[:base]
    while i < len(text) and text[i].lower() in digits:
        i += 1
    value = int(text[start:i], base) if i > start else 0
    if i == start and base != 8:
        return 0, text
    shift = {"k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}.get(text[i:i + 1].lower())
    if shift:
        value <<= shift
        i += 1
    return value, text[i:]


def _uint(text: str) -> int:
    """fsparam_u32: a decimal number that fits 32 bits (EINVAL otherwise)."""
    if not text.isdigit() or int(text) > 0xFFFFFFFF:
        raise KernelError(Errno.EINVAL)
    return int(text)


def total_ram_pages() -> int:
    return os.sysconf("SC_PHYS_PAGES")


def shmem_parse_options(data: str) -> ShmemOptions:
    """shmem_parse_one for each comma-separated option: unknown keys and bad values are
    EINVAL; the generic superblock flags (ro, rw, sync, ...) are taken as Linux's
    vfs_parse_sb_flag does."""
    ctx = ShmemOptions()
    for opt in filter(None, (data or "").split(",")):
        key, eq, value = opt.partition("=")
        if eq and not value:
            raise KernelError(Errno.EINVAL)     # fs_param_is_*: an empty value
        if key in ("ro", "rw") and not eq:
            ctx.ro = key == "ro"
        elif key in ("sync", "async", "dirsync", "lazytime", "nolazytime", "mand", "nomand",
                     "silent", "posixacl", "noposixacl", "inode32", "inode64") and not eq:
            pass
        elif key in ("size", "nr_blocks", "nr_inodes") and eq:
            _parse_limit(ctx, key, value)
        elif key in ("mode", "uid", "gid") and eq:
            if key == "mode":
                try:
                    ctx.mode = int(value, 8) & 0o7777
                except ValueError:
                    raise KernelError(Errno.EINVAL) from None
            else:
                setattr(ctx, key, _uint(value))
        elif key == "huge" and value in ("never", "always", "within_size", "advise", "deny",
                                         "force"):
            pass
        elif key == "mpol" and eq:
            pass
        else:
            raise KernelError(Errno.EINVAL)
    return ctx


def _parse_limit(ctx: ShmemOptions, key: str, value: str) -> None:
    number, rest = memparse(value)
    if key == "size":
        if rest == "%":
            number = (number * PAGE_SIZE * total_ram_pages()) // 100
            rest = ""
        if rest:
            raise KernelError(Errno.EINVAL)
        ctx.blocks = -(-number // PAGE_SIZE)
        ctx.seen.add("blocks")
    else:
        if rest:
            raise KernelError(Errno.EINVAL)
        if key == "nr_blocks":
            ctx.blocks = number
            ctx.seen.add("blocks")
        else:
            ctx.inodes = number
            ctx.seen.add("inodes")


class ShmemSb:
    """struct super_block + shmem_sb_info of one tmpfs instance."""

    name = "tmpfs"

    def __init__(self, vfs, ctx: ShmemOptions, cred, readonly: bool):
        self.vfs = vfs
        self.dev = vfs.get_anon_dev()
        pages = total_ram_pages()
        self.max_blocks = pages // 2 if ctx.blocks is None else ctx.blocks      # 0: no limit
        self.max_inodes = min(pages // 2, 1 << 31) if ctx.inodes is None else ctx.inodes
        self.readonly = readonly
        self.next_ino = 1
        self.inodes = {}                  # ino -> inode, for usage (linked or open)
        uid = ctx.uid if ctx.uid is not None else cred.fsuid if cred is not None else os.getuid()
        gid = ctx.gid if ctx.gid is not None else cred.fsgid if cred is not None else os.getgid()
        mode = 0o1777 if ctx.mode is None else ctx.mode
        self.opts = ctx
        self.root = self.new_inode(S_IFDIR | mode, uid, gid)
        self.root.parent = self.root

    # --- accounting (shmem_reserve_inode, shmem_inode_acct_block) --------------------
    def used_blocks(self) -> int:
        return sum(len(inode.pages) for inode in self.inodes.values())

    def free_inodes(self) -> int:
        return self.max_inodes - len(self.inodes) if self.max_inodes else 0

    def reserve_inode(self) -> int:
        """A new inode number, ENOSPC once nr_inodes are in use."""
        if self.max_inodes and len(self.inodes) >= self.max_inodes:
            raise KernelError(Errno.ENOSPC)
        ino = self.next_ino
        self.next_ino += 1
        return ino

    def new_inode(self, mode: int, uid: int, gid: int, phys=None):
        """shmem_get_inode: a regular file (pages in ``phys``) or another kind of inode."""
        ino = self.reserve_inode()
        if mode & 0o170000 == 0o100000:
            inode = ShmemInode(phys, "", F_SEAL_SEAL)
            inode.ino, inode.mode, inode.uid, inode.gid = ino, mode, uid, gid
            inode.nlink, inode.xattrs, inode.fsflags = 1, {}, 0
            inode.tmpfs_sb = self
        else:
            inode = TmpfsInode(ino, mode, uid, gid)
            if mode & 0o170000 == S_IFDIR:
                inode.size = 2 * BOGO_DIRENT_SIZE
        self.inodes[ino] = inode
        return inode

    def evict(self, inode) -> None:
        """The last link went: the inode stops counting against the limits once no open
        file holds it (we drop it from the count at once; its pages go with the last put)."""
        if inode.nlink <= 0:
            self.inodes.pop(inode.ino, None)

    def may_allocate(self, pages: int) -> bool:
        """shmem_inode_acct_block: room for ``pages`` more pages under size=?"""
        return not self.max_blocks or self.used_blocks() + pages <= self.max_blocks

    # --- remount (shmem_reconfigure) ---------------------------------------------------
    def reconfigure(self, ctx: ShmemOptions) -> None:
        """New limits: EINVAL to set a limit on an unlimited instance or below the use."""
        in_use = len(self.inodes)
        if "blocks" in ctx.seen and ctx.blocks:
            if not self.max_blocks or self.used_blocks() > ctx.blocks:
                raise KernelError(Errno.EINVAL)
        if "inodes" in ctx.seen and ctx.inodes:
            if not self.max_inodes or ctx.inodes < in_use:
                raise KernelError(Errno.EINVAL)
        if "blocks" in ctx.seen:
            self.max_blocks = ctx.blocks
        if "inodes" in ctx.seen:
            self.max_inodes = ctx.inodes

    def show_options(self) -> str:
        """shmem_show_options: the limits that differ from the defaults, mode, uid, gid."""
        parts = []
        pages = total_ram_pages()
        if self.max_blocks != pages // 2:
            parts.append(f"size={self.max_blocks * PAGE_SIZE // 1024}k")
        if self.max_inodes != min(pages // 2, 1 << 31):
            parts.append(f"nr_inodes={self.max_inodes}")
        root = self.root
        if root.mode & 0o7777 != 0o1777:
            parts.append(f"mode={root.mode & 0o7777:03o}")
        if self.opts.uid is not None and self.opts.uid != 0:
            parts.append(f"uid={self.opts.uid}")
        if self.opts.gid is not None and self.opts.gid != 0:
            parts.append(f"gid={self.opts.gid}")
        return "".join("," + p for p in parts)

    def statfs(self):
        """shmem_statfs: TMPFS_MAGIC, PAGE_SIZE blocks, the limits and what is free."""
        from glasskernel.fs.statfs import TMPFS_MAGIC, simple_statfs
        st = simple_statfs(TMPFS_MAGIC, 0, self.dev)
        if self.max_blocks:
            st.f_blocks = self.max_blocks
            st.f_bfree = st.f_bavail = max(0, self.max_blocks - self.used_blocks())
        if self.max_inodes:
            st.f_files = self.max_inodes
            st.f_ffree = self.free_inodes()
        return st

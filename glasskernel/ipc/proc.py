"""/proc/sysvipc/shm, sem and msg (ipc/util.c's sysvipc_proc_*, the show functions of
shm.c, sem.c and msg.c): a header line, then one line per object in slot order."""
from glasskernel.fs.libfs import SimpleDir, SimpleFile
from glasskernel.ipc.namespace import ipc_ns_of
from glasskernel.ipc.util import pid_vnr_of
from glasskernel.mm.page_alloc import PAGE_SIZE

SHM_HEADER = ("       key      shmid perms                  size  cpid  lpid nattch   uid   gid"
              "  cuid  cgid      atime      dtime      ctime                   rss                  swap\n")
SEM_HEADER = "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"
MSG_HEADER = ("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid"
              "      stime      rtime      ctime\n")


def _owners(perm) -> str:
    return f"{perm.uid:5d} {perm.gid:5d} {perm.cuid:5d} {perm.cgid:5d}"


def _objects(ids) -> list:
    return [ids.slots[idx] for idx in sorted(ids.slots)]


def sysvipc_shm(task) -> bytes:
    lines = [SHM_HEADER]
    for shp in _objects(ipc_ns_of(task).shm_ids):
        p = shp.perm
        lines.append(f"{p.key:10d} {p.id:10d}  {p.mode:4o} {shp.segsz:21d} "
                     f"{pid_vnr_of(task, shp.cprid):5d} {pid_vnr_of(task, shp.lprid):5d}  "
                     f"{shp.nattch:5d} {_owners(p)} {shp.atime:10d} {shp.dtime:10d} "
                     f"{shp.ctime:10d} {shp.rss_pages() * PAGE_SIZE:21d} {0:21d}\n")
    return "".join(lines).encode()


def sysvipc_sem(task) -> bytes:
    lines = [SEM_HEADER]
    for sma in _objects(ipc_ns_of(task).sem_ids):
        p = sma.perm
        lines.append(f"{p.key:10d} {p.id:10d}  {p.mode:4o} {len(sma.sems):10d} {_owners(p)} "
                     f"{sma.otime:10d} {sma.ctime:10d}\n")
    return "".join(lines).encode()


def sysvipc_msg(task) -> bytes:
    lines = [MSG_HEADER]
    for msq in _objects(ipc_ns_of(task).msg_ids):
        p = msq.perm
        lines.append(f"{p.key:10d} {p.id:10d}  {p.mode:4o}  {msq.cbytes:10d} {len(msq.messages):10d} "
                     f"{pid_vnr_of(task, msq.lspid):5d} {pid_vnr_of(task, msq.lrpid):5d} {_owners(p)} "
                     f"{msq.stime:10d} {msq.rtime:10d} {msq.ctime:10d}\n")
    return "".join(lines).encode()


_FILES = {"shm": sysvipc_shm, "sem": sysvipc_sem, "msg": sysvipc_msg}


class SysvipcDir(SimpleDir):
    """/proc/sysvipc."""

    def children(self, task) -> dict:
        return {name: (lambda parent, name=name, render=render:
                       SimpleFile(self.sb, name, parent, render))
                for name, render in _FILES.items()}


def proc_sysvipc_entry(sb):
    return lambda parent: SysvipcDir(sb, "sysvipc", parent)

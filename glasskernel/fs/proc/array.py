"""Text of /proc/<pid>/{stat,status,statm,cmdline,environ,comm} (fs/proc/array.c, base.c).

Values this kernel does not track yet are reported as 0, keeping every field in place so
that ps and libprocps can parse the lines.
"""
from glasskernel.fs.proc.internal import all_tasks

_STATE_NAMES = {"R": "R (running)", "S": "S (sleeping)", "D": "D (disk sleep)",
                "T": "T (stopped)", "Z": "Z (zombie)", "X": "X (dead)"}


def _state(task) -> str:
    return getattr(task.state, "value", str(task.state))


def _ppid(task) -> int:
    parent = task.real_parent or task.parent
    return parent.tgid if parent is not None else 0


def _threads(task) -> int:
    return sum(1 for t in all_tasks(task).values() if t.tgid == task.tgid) or 1


def _user_range(task, start_attr: str, end_attr: str) -> bytes:
    """Bytes of the task's memory between mm.<start_attr> and mm.<end_attr>, if known."""
    mm = task.mm
    start, end = getattr(mm, start_attr, 0), getattr(mm, end_attr, 0)
    if mm is None or not start or end <= start:
        return b""
    return mm.read(start, end - start)


def proc_pid_cmdline(task) -> bytes:
    """proc_pid_cmdline_read: the argv strings, each NUL-terminated."""
    return _user_range(task, "arg_start", "arg_end")


def proc_pid_environ(task) -> bytes:
    return _user_range(task, "env_start", "env_end")


def proc_pid_comm(task) -> bytes:
    return (task.comm[:15] + "\n").encode()


def proc_pid_status(task) -> bytes:
    """proc_pid_status: the human-readable summary."""
    cred = task.cred
    umask = task.fs.umask if task.fs is not None else 0o022
    fdsize = max(64, len(task.files.fds)) if task.files is not None else 64
    lines = [
        f"Name:\t{task.comm[:15]}",
        f"Umask:\t{umask:04o}",
        f"State:\t{_STATE_NAMES.get(_state(task), _state(task))}",
        f"Tgid:\t{task.tgid}",
        "Ngid:\t0",
        f"Pid:\t{task.pid}",
        f"PPid:\t{_ppid(task)}",
        "TracerPid:\t0",
        f"Uid:\t{cred.uid}\t{cred.euid}\t{cred.euid}\t{cred.euid}",
        f"Gid:\t{cred.gid}\t{cred.egid}\t{cred.egid}\t{cred.egid}",
        f"FDSize:\t{fdsize}",
        "Groups:\t" + " ".join(str(g) for g in cred.groups),
        f"Threads:\t{_threads(task)}",
        "SigQ:\t0/0",
        "SigPnd:\t0000000000000000",
        "ShdPnd:\t0000000000000000",
        "SigBlk:\t0000000000000000",
        "SigIgn:\t0000000000000000",
        "SigCgt:\t0000000000000000",
    ]
    return ("\n".join(lines) + "\n").encode()


def proc_pid_stat(task) -> bytes:
    """do_task_stat: the 52 space-separated fields of /proc/<pid>/stat."""
    fields = [task.pid, f"({task.comm[:15]})", _state(task), _ppid(task),
              task.tgid, task.tgid, 0, -1, 0x400000]          # pgrp, session, tty, tpgid, flags
    fields += [0] * 4                                          # minflt..cmajflt
    fields += [0, 0, 0, 0, 20, 0, _threads(task), 0, 0]        # utime..starttime
    fields += [0, 0, 2**64 - 1]                                # vsize, rss, rsslim
    fields += [0] * 12                                         # startcode..cnswap
    fields += [task.exit_signal, 0, 0, 0, 0, 0, 0]             # exit_signal..cguest_time
    fields += [0] * 8                                          # start_data..exit_code
    return (" ".join(str(f) for f in fields) + "\n").encode()


def proc_pid_statm(task) -> bytes:
    return b"0 0 0 0 0 0 0\n"

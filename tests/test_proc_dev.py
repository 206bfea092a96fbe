"""The guest's /proc and /dev as the host's everyday tools read them (issue 17).

Differential: the same command runs on the host kernel and under glasskernel, and what
must differ (pids, terminal numbers) is normalised away before comparing.

- /proc/self/mountinfo: findmnt, mountpoint, df, ``stat -c %m`` and python find the
  mounts; each line's major:minor is the device stat reports for the mount point;
- /proc/self/fd links: mode by access mode, size 64;
- /proc/self/maps: the [vsyscall] line last, and vma_merge of compatible neighbours
  (anonymous areas, VM_ACCOUNT, MAP_NORESERVE, files through one or two descriptors);
- terminals: on a pty, ``tty``, readlink of /proc/self/fd/0, ttyname, ps's TTY column
  name the terminal; /dev/ptmx makes pairs (posix_openpt, grantpt, unlockpt, ptsname,
  python's pty.fork);
- get_mempolicy/set_mempolicy: ps runs without a warning.
"""
from __future__ import annotations

import os
import re
import shutil

import pytest

import harness
from harness import compare, differential, run_glasskernel, run_native

DASH = "/usr/bin/dash"
pytestmark = pytest.mark.skipif(not os.path.exists(DASH) or not os.path.exists("/lib64/ld-linux-x86-64.so.2"),
                                reason="needs the host's dash and dynamic linker")


def dash_both(script: str, cwd=None, normalise=None):
    """Run `dash -c script` natively and in glasskernel; compare after normalise(bytes)."""
    native = run_native([DASH, "-c", script], cwd=cwd)
    guest = run_glasskernel([DASH, "-c", script], cwd=cwd)
    harness.assert_no_traceback(guest[1])
    if normalise is not None:
        native = (normalise(native[0]), normalise(native[1]), native[2])
        guest = (normalise(guest[0]), normalise(guest[1]), guest[2])
    compare(native, guest, label=script)
    return guest


# ----- mounts ---------------------------------------------------------------------------------

MOUNT_TOOLS = (
    "findmnt -n -o TARGET,FSTYPE --target /proc/self/status; "
    "findmnt -n -o TARGET --target /usr/bin; "
    "findmnt -n -o FSTYPE --target /dev/pts/ptmx | sort -u; "
    "mountpoint /proc; mountpoint /dev/pts; mountpoint /usr; "
    "stat -c %m /proc/self/status /dev/null /dev/pts/ptmx /usr/bin/env; "
    "df --output=target /proc /dev/pts; "
    "python3 -c 'import os; print(*(os.path.ismount(p) for p in (\"/proc\", \"/dev/pts\", \"/usr\")))'"
)


@pytest.mark.skipif(shutil.which("findmnt") is None or shutil.which("python3") is None,
                    reason="needs util-linux and python3")
def test_mount_tools_find_the_mounts():
    dash_both(MOUNT_TOOLS)


MOUNTINFO_LINE = re.compile(
    r"^(\d+) (\d+) (\d+):(\d+) (/\S*) (/\S*) ([a-z,=0-9]+)( [a-z]+:\S+)* - (\S+) (\S+) (\S+)$")


def test_mountinfo_format_and_devices():
    """show_mountinfo's grammar; parents are listed mounts (the root's excepted); the
    device of each mount is what stat says of its mount point; /proc/mounts agrees."""
    script = ('cat /proc/self/mountinfo; echo --; cat /proc/mounts; echo --; '
              'while read id parent dev root mp rest; do echo "$mp $(stat -c %Hd:%Ld "$mp")"; '
              'done < /proc/self/mountinfo')
    out, err, status = run_glasskernel([DASH, "-c", script])
    assert status == 0, err
    info, mounts, devices = out.decode().split("--\n")
    rows = [MOUNTINFO_LINE.match(line) for line in info.splitlines()]
    assert all(rows), info
    ids = {int(r.group(1)) for r in rows}
    assert sorted(r.group(6) for r in rows) == ["/", "/dev", "/dev/pts", "/proc"]
    assert sum(int(r.group(2)) not in ids for r in rows) == 1          # only the root's
    for row, line in zip(rows, devices.splitlines()):
        assert line == f"{row.group(6)} {row.group(3)}:{row.group(4)}"
    assert [line.split()[1] for line in mounts.splitlines()] == [r.group(6) for r in rows]
    assert [line.split()[2] for line in mounts.splitlines()] == [r.group(9) for r in rows]


# ----- /proc/self/fd --------------------------------------------------------------------------

def test_fd_links_show_access_mode_and_size():
    dash_both('cd /proc/$$/fd && exec 3</etc/hostname 4>>/dev/null 5<>/dev/null && '
              'stat -c "%A %s %N" 3 4 5')


# ----- /proc/self/maps ------------------------------------------------------------------------

def test_maps_ends_with_the_vsyscall_page():
    differential(["/usr/bin/tail", "-n", "1", "/proc/self/maps"])


@pytest.mark.parametrize("toolchain", ["musl", "glibc"])
def test_vma_merge_as_maps_shows_it(toolchain, tmp_path):
    if not harness.compiler_available(toolchain):
        pytest.skip(f"{toolchain} compiler not installed")
    prog = harness.build("procdev_vma_merge", toolchain)
    differential([prog], cwd=tmp_path)


# ----- terminals ------------------------------------------------------------------------------

TTY_SCRIPT = ("tty; readlink /proc/self/fd/0 /proc/self/fd/2; stat -c '%A %s' /proc/self/fd/0; "
              "python3 -c 'import os; print(os.ttyname(0), os.isatty(0))'; "
              "ps -o tty= -p $$; stat -c '%F %m' \"$(tty)\"; ls /dev/pts | grep -c ptmx; "
              "echo to-the-terminal > \"$(tty)\"")


def _on_pty(argv) -> tuple:
    """Run argv as the session leader on a new pty: (output with the pty's name made
    PTS, exit status)."""
    from pty_harness import PtySession
    session = PtySession(argv)
    try:
        name = os.ttyname(session.slave).encode()
        output = session.read_to_end(180)
        status = harness.exit_status(session.wait(60))
    finally:
        session.close()
    output = output.replace(name, b"/dev/PTS").replace(name[len(b"/dev/"):], b"PTS")
    return output, status


def test_tty_names_the_terminal():
    native = _on_pty([DASH, "-c", TTY_SCRIPT])
    guest = _on_pty(harness.glasskernel_command([DASH, "-c", TTY_SCRIPT]))
    assert b"/dev/PTS" in native[0]
    assert guest == native, (native[0].decode(errors="replace"), guest[0].decode(errors="replace"))


PTMX_SCRIPT = r"""
import ctypes, os, pty, re
libc = ctypes.CDLL(None, use_errno=True)
libc.ptsname.restype = ctypes.c_char_p
m = libc.posix_openpt(os.O_RDWR | os.O_NOCTTY)
name = libc.ptsname(m).decode()
try:
    os.open(name, os.O_RDWR | os.O_NOCTTY)
except OSError as e:
    print("locked:", e.strerror)
print(libc.grantpt(m), libc.unlockpt(m), os.path.basename(name) in os.listdir("/dev/pts"))
s = os.open(name, os.O_RDWR | os.O_NOCTTY)
print(os.ttyname(s) == name, os.isatty(s), os.isatty(m))
def read_until(fd, needle):
    got = b""
    while needle not in got:
        got += os.read(fd, 100)
    return got
os.write(m, b"typed\n")
print(os.read(s, 100), read_until(m, b"typed\r\n"))     # the line, and its echo
os.write(s, b"printed\n")
print(read_until(m, b"printed\r\n"))
os.close(s)
os.close(m)
print(os.path.basename(name) in os.listdir("/dev/pts"))
pid, fd = pty.fork()
if pid == 0:
    os.execv("/usr/bin/dash", ["dash", "-c", "tty; readlink /proc/self/fd/1; ps -o tty= -p $$"])
out = b""
while True:
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    out += data
print(re.sub(rb"pts/\d+", b"pts/N", out), os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


@pytest.mark.skipif(shutil.which("python3") is None, reason="needs python3")
def test_ptmx_pairs_and_pty_fork():
    differential(["/usr/bin/python3", "-c", PTMX_SCRIPT])


# ----- everyday tools -------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("ps") is None, reason="needs procps")
def test_ps_runs_quietly():
    """procps sets and reads the memory policy first: no ENOSYS warning on stderr."""
    dash_both("ps -p $$ -o comm=,tty=; echo $?")


# ----- the smaller /proc files ----------------------------------------------------------------

def test_limits_personality_and_kernel_sysctls():
    """/proc/self/limits row by row, personality, the kernel's names under /proc/sys, the
    file systems procps and python look for, the auxv's AT_NULL end."""
    dash_both('cat /proc/self/limits /proc/self/personality; '
              'test "$(cat /proc/sys/kernel/osrelease)" = "$(uname -r)" && echo osrelease; '
              'test "$(cat /proc/sys/kernel/ostype)" = "$(uname -s)" && echo ostype; '
              'test "$(cat /proc/sys/kernel/hostname)" = "$(uname -n)" && echo hostname; '
              'grep -w -e proc -e devpts -e tmpfs /proc/filesystems; '
              'grep -c "^Character devices:" /proc/devices; head -c 9 /proc/swaps; echo; '
              'od -An -tx8 /proc/self/auxv | tail -n 1 | tr -s " "')


def test_cgroup_loginuid_sessionid_wchan_formats():
    out, err, status = run_glasskernel(
        [DASH, "-c", "cat /proc/self/cgroup; for f in loginuid sessionid wchan; do "
                     "cat /proc/self/$f; echo; done; cat /proc/self/timerslack_ns"])
    assert (out, status) == (b"0::/\n4294967295\n4294967295\n0\n50000\n", 0), err


def test_fdinfo_position_and_flags():
    """seq_show's pos and flags (O_CLOEXEC from the descriptor table); lsof reads them."""
    dash_both('exec 3</etc/hostname 4>>/dev/null; read x <&3; '
              '(cd /proc/$$/fdinfo && grep -e pos -e flags 3 4); '
              'python3 -c \'import os; fd = os.open("/etc/hostname", os.O_RDONLY | os.O_CLOEXEC); '
              'os.read(fd, 2); print(open(f"/proc/self/fdinfo/{fd}").read().split("mnt_id")[0])\'')


@pytest.mark.skipif(shutil.which("vmstat") is None, reason="needs procps")
def test_vmstat_finds_its_counters():
    dash_both("vmstat > /dev/null; echo $?; grep -c -e '^pgpgin ' -e '^pswpout ' -e '^nr_free_pages ' /proc/vmstat")


PTY_INTR_SCRIPT = r"""
import os, pty
pid, fd = pty.fork()
if pid == 0:
    os.execv("/usr/bin/dash", ["dash", "-c",
             'trap "echo got INT; exit 3" INT; echo ready; while :; do sleep 0.05; done'])
out = b""
while b"ready" not in out:
    out += os.read(fd, 100)
os.write(fd, b"\x03")                  # Ctrl-C typed on the terminal
while True:
    try:
        data = os.read(fd, 100)
    except OSError:
        break
    if not data:
        break
    out += data
print(out, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


@pytest.mark.skipif(shutil.which("python3") is None, reason="needs python3")
def test_ctrl_c_on_a_guest_pty_reaches_its_foreground_group():
    differential(["/usr/bin/python3", "-c", PTY_INTR_SCRIPT])


COMM_TASK_SCRIPT = r"""
import os, stat, threading
ev = threading.Event()
t = threading.Thread(target=ev.wait)
t.start()
task = os.stat(f"/proc/{os.getpid()}/task")
print("task links", task.st_nlink)                 # two and one per thread
ev.set()
t.join()
info = os.stat("/proc/self/fdinfo")
print("fdinfo", stat.filemode(info.st_mode), "comm", stat.filemode(os.stat("/proc/self/comm").st_mode))
with open("/proc/self/comm", "w") as f:
    f.write("renamed")
print(repr(open("/proc/self/comm").read()))
os.system("echo x > /proc/self/comm; cat /proc/$$/comm; grep Name /proc/$$/status")
"""


@pytest.mark.skipif(shutil.which("python3") is None, reason="needs python3")
def test_comm_is_writable_and_task_dir_counts_threads():
    differential(["/usr/bin/python3", "-c", COMM_TASK_SCRIPT])


WCHAN_SCRIPT = """
settle() {  # wait until task $1 runs program $2 and sleeps (S)
    until [ "$(cat /proc/$1/comm 2>/dev/null)" = "$2" ] && grep -q '^State:.S' /proc/$1/status; do :; done
}
sleep 30 & s=$!
sleep 30 & t=$!
sh -c 'sleep 30; :' 2>/dev/null & w=$!
settle $s sleep; settle $t sleep; kill -STOP $t
until grep -q '^State:.T' /proc/$t/status; do :; done
until [ -n "$(pgrep -P $w)" ]; do :; done; settle $w sh
for p in $s $t $w; do printf '%s ' "$(cat /proc/$p/wchan)"; done; echo
ps -o stat=,wchan:20=,comm= -p $s,$t,$w
exec 2>/dev/null  # what the kills race to print is not compared
pkill -P $w; kill $s $t $w; kill -CONT $t; wait
"""


@pytest.mark.skipif(shutil.which("pgrep") is None, reason="needs procps")
def test_wchan_names_where_a_task_sleeps():
    """get_wchan for a sleeper, a stopped task and a waiting shell (ps -l's WCHAN)."""
    dash_both(WCHAN_SCRIPT)


def test_wchan_of_a_pipe_reader():
    """Linux 6.1 names it pipe_read (later kernels anon_pipe_read: not differential)."""
    script = ("sleep 30 | cat > /dev/null & c=$!; "
              "until grep -q '^State:.S' /proc/$c/status 2>/dev/null && "
              "[ \"$(cat /proc/$c/comm)\" = cat ]; do :; done; cat /proc/$c/wchan; echo; "
              "kill $c; pkill -x sleep")
    out, err, status = run_glasskernel([DASH, "-c", script])
    assert out == b"pipe_read\n", (out, err)

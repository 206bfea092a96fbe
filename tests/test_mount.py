"""mount(2), umount2(2), tmpfs and the loop device (fs/namespace_mount.py, mm/shmem_*.py,
drivers/block/loop.py).

The differential tests run natively as root inside ``unshare -m`` (a private mount
namespace, so nothing the program mounts reaches the host's mount table, and the
programs unmount and detach all they attach) in a scratch directory. The sandbox tests
check that a guest's mounts never touch the host: the host tree is unchanged and a
tmpfs over a guest directory hides its files without deleting them.
"""
import os
import shutil
import subprocess

import pytest

from harness import compare, run_glasskernel, run_native
from test_sandbox import assert_unchanged, snapshot

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                reason="native mounts need root and unshare(1)")


def _native_in_private_ns(exe, cwd):
    return run_native(["unshare", "-m", "--propagation", "private", str(exe)], cwd=cwd)


@pytest.mark.parametrize("program", ["mount_tmpfs", "mount_loop", "mount_utimes_perm", "mount_noatime",
                                     "mount_fileattr", "mount_devnodes",
                                     "mount_mountinfo", "mount_errors", "mount_poll"])
def test_mount_differential(build, program, tmp_path):
    exe = build(program, "glibc")
    native_dir, guest_dir = tmp_path / "native", tmp_path / "guest"
    native_dir.mkdir()
    guest_dir.mkdir()
    native = _native_in_private_ns(exe, native_dir)
    guest = run_glasskernel([str(exe)], cwd=guest_dir)
    compare(native, guest)
    assert sorted(os.listdir(native_dir)) == sorted(os.listdir(guest_dir)) == []


GUEST_SCRIPT = r"""
mkdir -p /tmp/gkmnt && cd {data}
mount -t tmpfs -o size=1m,mode=700 gk-tmpfs {data}/dir && echo mounted
ls -A {data}/dir | wc -l
echo inside > {data}/dir/new.txt
grep -c " {data}/dir tmpfs rw,relatime,size=1024k,mode=700" /proc/mounts
grep -c " {data}/dir " /proc/self/mountinfo
grep -c "nodev	tmpfs" /proc/filesystems
stat -c %d {data} > /tmp/a; stat -c %d {data}/dir > /tmp/b; cmp -s /tmp/a /tmp/b || echo own st_dev
umount {data}/dir && echo unmounted
cat {data}/dir/kept.txt
ls {data}/dir
"""


def test_guest_mount_never_touches_host(tmp_path):
    """A tmpfs mounted over a guest directory hides what is beneath without deleting
    it; after umount it is back; the host's files and mount table are as before."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox not installed")
    data = tmp_path / "data"
    (data / "dir").mkdir(parents=True)
    (data / "dir" / "kept.txt").write_text("beneath\n")
    before = snapshot(tmp_path)
    with open("/proc/self/mountinfo") as f:
        host_mounts = f.read()
    script = GUEST_SCRIPT.format(data=data)
    out, err, rc = run_glasskernel([busybox, "sh", "-c", script], cwd=tmp_path)
    assert rc == 0, err
    assert out.decode().split("\n") == [
        "mounted", "0", "1", "1", "1", "own st_dev", "unmounted", "beneath", "kept.txt", ""]
    assert_unchanged(before, snapshot(tmp_path))
    with open("/proc/self/mountinfo") as f:
        assert f.read() == host_mounts


def test_loop_device_is_not_mountable(build, tmp_path):
    """A loop device holds data, but no disk file system is built in: mounting it is
    ENODEV, the truthful answer (LTP then runs its all_filesystems tests on tmpfs)."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox not installed")
    script = ("dd if=/dev/zero of=img bs=1k count=64 2>/dev/null; mkdir m; "
              "losetup /dev/loop3 img && losetup /dev/loop3 | grep -c img; "
              "mount -t ext2 /dev/loop3 m 2>&1 | grep -c 'No such device'; "
              "losetup -d /dev/loop3 && echo detached; ls /dev/loop-control")
    out, err, rc = run_glasskernel([busybox, "sh", "-c", script], cwd=tmp_path)
    assert out.decode() == "1\n1\ndetached\n/dev/loop-control\n", err
    assert sorted(os.listdir(tmp_path)) == []
    assert subprocess.run(["losetup", "-j", str(tmp_path / "img")], capture_output=True,
                          text=True).stdout == ""


def test_sys_block_shows_the_runs_loop_devices(tmp_path):
    """/sys/block lists the guest's loop devices (not the host's disks) with the sysfs
    attributes LTP's ioctl_loop tests read."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox not installed")
    script = ("ls /sys/block | tr '\\n' ' '; echo; "
              "dd if=/dev/zero of=img bs=1k count=64 2>/dev/null; losetup /dev/loop2 img; "
              "cat /sys/block/loop2/size /sys/block/loop2/ro /sys/block/loop2/dev "
              "/sys/block/loop2/loop/offset /sys/block/loop2/loop/autoclear; "
              "cat /sys/block/loop2/loop/backing_file; "
              "losetup -d /dev/loop2; ls /sys/block/loop2; rm img")
    out, err, rc = run_glasskernel([busybox, "sh", "-c", script], cwd=tmp_path)
    assert out.decode().split("\n") == [
        "loop0 loop1 loop2 loop3 loop4 loop5 loop6 loop7 ", "128", "0", "7:2", "0", "0",
        f"{tmp_path}/img", "dev", "removable", "ro", "size", ""], err

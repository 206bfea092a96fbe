"""/proc/<pid>/mounts and /proc/mounts (fs/proc_namespace.c): the mount table as text.

One line per mount, as show_vfsmnt prints it: device, mount point, type, options, and the
two zeros of fstab's dump and pass fields. The sandbox has one mount namespace: the overlay
root, procfs on /proc and devtmpfs on /dev.
"""

# (device, mount point, type, options) of every mount, in mount order.
_MOUNTS = (
    ("overlay", "/", "overlay", "rw,relatime"),
    ("proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"),
    ("devtmpfs", "/dev", "devtmpfs", "rw,nosuid,relatime,mode=755"),
)


def proc_mounts(task) -> bytes:
    """show_vfsmnt for each mount the task's namespace holds."""
    return "".join(f"{dev} {where} {kind} {opts} 0 0\n"
                   for dev, where, kind, opts in _MOUNTS).encode()

"""Capability numbers, capget/capset header versions and secure bits
(include/uapi/linux/capability.h, include/uapi/linux/securebits.h, include/linux/capability.h).

A capability set is a plain int, bit N for capability N (the kernel's kernel_cap_t holds
the same bits in two 32-bit words).
"""

(CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_KILL,
 CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_LINUX_IMMUTABLE, CAP_NET_BIND_SERVICE,
 CAP_NET_BROADCAST, CAP_NET_ADMIN, CAP_NET_RAW, CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_MODULE,
 CAP_SYS_RAWIO, CAP_SYS_CHROOT, CAP_SYS_PTRACE, CAP_SYS_PACCT, CAP_SYS_ADMIN, CAP_SYS_BOOT,
 CAP_SYS_NICE, CAP_SYS_RESOURCE, CAP_SYS_TIME, CAP_SYS_TTY_CONFIG, CAP_MKNOD, CAP_LEASE,
 CAP_AUDIT_WRITE, CAP_AUDIT_CONTROL, CAP_SETFCAP, CAP_MAC_OVERRIDE, CAP_MAC_ADMIN, CAP_SYSLOG,
 CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND, CAP_AUDIT_READ, CAP_PERFMON, CAP_BPF,
 CAP_CHECKPOINT_RESTORE) = range(41)
CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE

CAP_EMPTY_SET = 0
CAP_FULL_SET = (1 << (CAP_LAST_CAP + 1)) - 1
# What fsuid 0 historically meant: the DAC overrides, dropped and raised with the fsuid.
CAP_FS_SET = sum(1 << c for c in (CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                  CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE))

_LINUX_CAPABILITY_VERSION_1, _LINUX_CAPABILITY_U32S_1 = 0x19980330, 1
_LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_U32S_2 = 0x20071026, 2
_LINUX_CAPABILITY_VERSION_3, _LINUX_CAPABILITY_U32S_3 = 0x20080522, 2
_KERNEL_CAPABILITY_VERSION = _LINUX_CAPABILITY_VERSION_3
_KERNEL_CAPABILITY_U32S = 2

# securebits: each bit has a "locked" bit right above it
SECURE_NOROOT, SECURE_NOROOT_LOCKED = 0, 1
SECURE_NO_SETUID_FIXUP, SECURE_NO_SETUID_FIXUP_LOCKED = 2, 3
SECURE_KEEP_CAPS, SECURE_KEEP_CAPS_LOCKED = 4, 5
SECURE_NO_CAP_AMBIENT_RAISE, SECURE_NO_CAP_AMBIENT_RAISE_LOCKED = 6, 7
SECURE_ALL_BITS = (1 << SECURE_NOROOT) | (1 << SECURE_NO_SETUID_FIXUP) | \
    (1 << SECURE_KEEP_CAPS) | (1 << SECURE_NO_CAP_AMBIENT_RAISE)
SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1


def issecure_mask(bit: int) -> int:
    return 1 << bit


def cap_valid(cap: int) -> bool:
    return 0 <= cap <= CAP_LAST_CAP


def cap_raised(caps: int, cap: int) -> bool:
    return bool(caps >> cap & 1)


def cap_issubset(a: int, b: int) -> bool:
    return not a & ~b

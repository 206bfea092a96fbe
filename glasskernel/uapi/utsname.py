"""struct new_utsname (include/uapi/linux/utsname.h): six 65-byte NUL-padded fields."""
from dataclasses import dataclass

NEW_UTS_LEN = 64                   # each field holds 64 characters plus the NUL


@dataclass(frozen=True)
class NewUtsname:
    sysname: str
    nodename: str
    release: str
    version: str
    machine: str
    domainname: str

    def pack(self) -> bytes:
        """The 390-byte struct uname(2) copies to user space."""
        fields = (self.sysname, self.nodename, self.release, self.version, self.machine,
                  self.domainname)
        return b"".join(f.encode("utf-8", "surrogateescape")[:NEW_UTS_LEN].ljust(NEW_UTS_LEN + 1, b"\0") for f in fields)

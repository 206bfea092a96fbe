"""The errno table holds every name and value Linux defines, and every errno the kernel
raises is in it (a missing one turned a guest's call into an internal error)."""
import errno as host_errno
import re
from pathlib import Path

import pytest

from glasskernel.uapi.errno import Errno, errno_name

PACKAGE = Path(__file__).resolve().parents[2] / "glasskernel"
HEADERS = [Path("/usr/include/asm-generic/errno-base.h"), Path("/usr/include/asm-generic/errno.h")]


def _header_errnos() -> dict:
    """name -> value from the kernel's uapi headers, aliases resolved."""
    names = {}
    for header in HEADERS:
        for name, value in re.findall(r"#define\s+(E[A-Z0-9]+)\s+(\w+)", header.read_text()):
            names[name] = int(value) if value.isdigit() else names[value]
    return names


@pytest.mark.skipif(not all(h.exists() for h in HEADERS), reason="kernel uapi headers missing")
def test_every_linux_errno_is_in_the_table():
    linux = _header_errnos()
    assert len(linux) >= 130
    missing = {name: value for name, value in linux.items()
               if name not in Errno.__members__ or Errno[name] != value}
    assert not missing


def test_host_errno_names_agree():
    """Python's errno module on this Linux host: every E-name it knows is ours, same value."""
    for name in dir(host_errno):
        if name.startswith("E") and name.isupper() and isinstance(getattr(host_errno, name), int):
            assert Errno[name] == getattr(host_errno, name), name


def test_names_are_the_kernels_first_names():
    assert errno_name(95) == "EOPNOTSUPP"
    assert errno_name(11) == "EAGAIN"
    assert errno_name(35) == "EDEADLK"
    assert errno_name(133) == "EHWPOISON"
    assert errno_name(600) == "600"


def test_every_errno_the_code_raises_exists():
    used = set()
    for source in PACKAGE.rglob("*.py"):
        used.update(re.findall(r"\bErrno\.(E[A-Z0-9]+)\b", source.read_text()))
    assert used
    assert not sorted(name for name in used if name not in Errno.__members__)


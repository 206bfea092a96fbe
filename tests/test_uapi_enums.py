"""The large uapi enums are built with enum._simple_enum (start-up: uapi.int_enum); they
must be the same classes the functional API builds."""
import enum
from enum import IntEnum

import pytest

from glasskernel.uapi import errno as uapi_errno
from glasskernel.uapi import int_enum
from glasskernel.uapi.errno import Errno
from glasskernel.uapi.unistd_64 import NR, SYSCALL_NAMES

needs_helper = pytest.mark.skipif(not hasattr(enum, "_simple_enum"),
                                  reason="this Python builds them with the functional API")


@needs_helper
def test_nr_is_the_functional_apis_class():
    expected = IntEnum("NR", [(name, nr) for nr, name in SYSCALL_NAMES.items()],
                       module=NR.__module__)
    enum._test_simple_enum(NR, expected)          # raises TypeError on any difference


@needs_helper
def test_errno_with_its_aliases_is_the_functional_apis_class():
    members = list(uapi_errno._LINUX_ERRNOS.items()) + list(uapi_errno._ALIASES.items())
    enum._test_simple_enum(Errno, IntEnum("Errno", members, module=Errno.__module__))


def test_first_name_of_a_value_wins_and_aliases_resolve():
    assert Errno(11).name == "EAGAIN" and Errno.EWOULDBLOCK is Errno.EAGAIN
    assert Errno.ENOTSUP is Errno.EOPNOTSUPP and repr(Errno(95)) == "<Errno.EOPNOTSUPP: 95>"
    assert NR(257) is NR.openat and NR.openat == 257 and NR["openat"].name == "openat"
    assert isinstance(NR.read, int) and len(NR) == len(SYSCALL_NAMES)
    with pytest.raises(ValueError):
        NR(400)                                   # unassigned on x86-64


def test_int_enum_falls_back_to_the_functional_api(monkeypatch):
    monkeypatch.delattr(enum, "_simple_enum")
    built = int_enum("Demo", [("A", 1), ("B", 2), ("C", 1)], __name__)
    assert built.C is built.A and built(2).name == "B" and issubclass(built, IntEnum)

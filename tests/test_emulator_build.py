"""Which Unicorn library runs (arch/x86/emulator_build.py): the patched build when it has
been built (`glasskernel build-emulator`, which .ci/run does), the stock one on request,
and both give the same results."""
import os
import subprocess
import sys

import pytest

from glasskernel.arch.x86 import emulator_build

PROBE = """
import sys
from glasskernel.arch.x86 import cpu, emulator_build
maps = open('/proc/self/maps').read()
paths = {line.split()[-1] for line in maps.splitlines() if 'libunicorn' in line}
print(emulator_build.selected, *sorted(paths))
"""

built = pytest.mark.skipif(not (emulator_build.build_dir() / emulator_build.LIBRARY).is_file(),
                           reason="the patched Unicorn is not built (glasskernel build-emulator)")


def probe(**env) -> list:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("LIBUNICORN_PATH", "GLASSKERNEL_STOCK_UNICORN")}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True,
                         text=True, check=True).stdout.split()
    return out


@built
def test_the_patched_build_is_what_loads():
    selected, *paths = probe()
    assert selected == "patched"
    assert paths == [str(emulator_build.build_dir() / emulator_build.LIBRARY)]


def test_the_stock_library_on_request():
    selected, *paths = probe(GLASSKERNEL_STOCK_UNICORN="1")
    assert selected == "stock"
    assert paths and not any(p.startswith(str(emulator_build.build_dir())) for p in paths)


def test_a_users_library_path_is_left_alone(tmp_path):
    stock = probe(GLASSKERNEL_STOCK_UNICORN="1")[1]
    os.symlink(stock, tmp_path / emulator_build.LIBRARY)
    selected, *paths = probe(LIBUNICORN_PATH=str(tmp_path))
    assert selected == "custom"
    assert paths == [stock]          # the link's target, as the loader maps it


def test_build_emulator_takes_no_arguments():
    done = subprocess.run([sys.executable, "-m", "glasskernel", "build-emulator", "now"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == ("glasskernel: build-emulator takes no arguments "
                           "(see glasskernel build-emulator --help)\n")


@built
@pytest.mark.parametrize("program", ["sig_fault", "pipe_atomic", "pipe_readv"])
def test_both_libraries_run_programs_alike(build, program):
    """Faults, signals, pipes and preemption (the tick stops runs through the inline
    check) give the same output on the patched and the stock library, and so do task
    switches inside the hook (uc_context_switch there, a full save and restore here)."""
    binary = build(program, "musl")
    results = []
    for env in ({}, {"GLASSKERNEL_STOCK_UNICORN": "1"}):
        environ = {**os.environ, **env}
        done = subprocess.run([sys.executable, "-m", "glasskernel", "run", str(binary)],
                              env=environ, capture_output=True, timeout=120)
        results.append((done.returncode, done.stdout, done.stderr))
    assert results[0] == results[1]
    assert results[0][0] == 0

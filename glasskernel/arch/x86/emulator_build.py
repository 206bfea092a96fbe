"""Which Unicorn library the CPU backend loads, and how to build the faster one.

``unicorn-2.1.4.patch``, next to this module, changes five things in Unicorn 2.1.4:

- *The exit check at the start of every translated block.* Unicorn calls a helper there
  that checks whether the run was asked to stop; it returns at once unless a stop is
  pending, but the call itself was about a third of the time of a tight loop (perf: 31%
  of the compute benchmark). The patch tests the request inline, with one load and one
  branch as QEMU does, and calls the helper only when a stop is pending, so a stop works
  exactly as before.
- *The exit check after every guest load and store.* Unicorn also called that helper
  after each memory access, so that a memory hook could stop the run at once. glasskernel
  has no memory hooks: its stops come from the syscall, exception and block hooks and
  from Ctrl-C, and all of them are taken at the next block start. The patch leaves the
  check out there (a busybox `seq | sort` pipeline: ~30-40% faster). It cannot be made
  inline like the first: a branch in the middle of a block ends a basic block for TCG's
  liveness pass, and the loaded value would not survive it.
- *The syscall hook's state restore.* Before calling a syscall hook Unicorn searched the
  translated block's instruction data to restore eip and the flags state
  (``cpu_restore_state``), about a microsecond per syscall. The x86 translator writes
  both back just before the syscall helper, so the search only found what was already
  there; the patch drops it.
- *The jump cache clear at every TLB flush.* A task switch loads CR3, and the TLB
  flush that follows also clears the 4096-entry cache from guest pc to translated block:
  32 KiB written (~0.8 µs, and the data cache it evicts) where a run between two
  switches fills a dozen entries. The patch logs the indices filled since the last
  clear (up to 64) and clears those alone; past 64 it clears the whole cache as before.
  A pipe round trip (two switches) lost 65k of its 310k host instructions.
- *A task switch copies what a task owns.* ``uc_context_save`` and
  ``uc_context_restore`` copy the whole 5.6 KiB CPU structure, of which a user task
  owns the first ~1.9 KiB: registers, segments, control registers, x87 and SSE state,
  xmm0-15 (no AVX is emulated). The patch adds ``uc_context_switch``, which saves and
  loads that part in one call; the shim's switch uses it when the library has it. The
  rest (MSRs set at boot, exception bookkeeping clear at a syscall, unused vector
  registers) is the same for every task then, and each context was filled whole once.

``glasskernel build-emulator`` downloads Unicorn's 2.1.4 source from the package index,
applies the patch and builds the x86 target alone (about a minute on two cores) into the
cache directory. ``select_library`` (called by cpu.py before it imports Unicorn) makes the
Python binding load that build when it exists; otherwise the stock wheel's library runs,
with the same behaviour, slower. $GLASSKERNEL_STOCK_UNICORN=1 forces the
stock library; an explicit $LIBUNICORN_PATH is left alone.

This module does not import the emulator. Every run imports it (cpu.py), so what only a
build needs (subprocess, tarfile, tempfile, shutil, importlib.metadata) is imported there.
"""
import os
import sys
from pathlib import Path

from glasskernel.arch.x86.entry_shim import cache_dir, sha256_hex

UNICORN_VERSION = "2.1.4"
PATCH = Path(__file__).with_name("unicorn-2.1.4.patch")
LIBRARY = "libunicorn.so.2"

selected = "stock"      # which library this process loads: "patched", "stock" or "custom"
_set_by_us = False      # LIBUNICORN_PATH was set by select_library


def build_dir() -> Path:
    """Where the patched build lives: named by the Unicorn version and the patch's hash."""
    tag = sha256_hex(PATCH.read_bytes())[:12]
    return cache_dir() / f"unicorn-{UNICORN_VERSION}-{tag}"


def choose_library(environ) -> str:
    """Which library a process with this environment loads: "patched" (our build, there
    and for the installed binding), "stock" (forced, or no build) or "custom" (a
    $LIBUNICORN_PATH of the user's)."""
    given = environ.get("LIBUNICORN_PATH")
    if environ.get("GLASSKERNEL_STOCK_UNICORN"):
        return "stock"
    if given:
        return "patched" if given == str(build_dir()) else "custom"
    if (build_dir() / LIBRARY).is_file() and _installed_version() == UNICORN_VERSION:
        return "patched"
    return "stock"


def select_library() -> str:
    """Point the binding at the patched build when ``choose_library`` says so, until
    ``library_loaded``; return the choice."""
    global selected, _set_by_us
    selected = choose_library(os.environ)
    ours = str(build_dir())
    given = os.environ.get("LIBUNICORN_PATH")
    if selected == "stock" and given == ours:
        del os.environ["LIBUNICORN_PATH"]          # forced stock over our own path
    elif selected == "patched" and given is None:
        os.environ["LIBUNICORN_PATH"] = ours
        _set_by_us = True
    return selected


def library_loaded() -> None:
    """The binding has its library: take our variable back out of the environment (the
    guest's environment is copied from it)."""
    global _set_by_us
    if _set_by_us:
        os.environ.pop("LIBUNICORN_PATH", None)
        _set_by_us = False


def _installed_version() -> str:
    """The installed binding's version: the dist-info beside the package Python would
    import (a directory listing; importlib.metadata costs ~15 ms of imports at every
    start), else what importlib.metadata finds."""
    from importlib.util import find_spec
    try:
        spec = find_spec("unicorn")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        where = Path(list(spec.submodule_search_locations)[0]).parent
        try:
            names = os.listdir(where)
        except OSError:
            names = []
        for name in names:
            stem, dot, kind = name.rpartition(".")
            dist, dash, version = stem.partition("-")
            if kind == "dist-info" and dash and dist.lower() == "unicorn":
                return version
    from importlib import metadata
    try:
        return metadata.version("unicorn")
    except metadata.PackageNotFoundError:
        return ""


class BuildError(Exception):
    """The patched build could not be made (one line for the user)."""


def build(log=sys.stderr) -> Path:
    """Download, patch and build Unicorn's x86 target; return the directory of the library."""
    import shutil
    import tempfile
    target = build_dir()
    if (target / LIBRARY).is_file():
        print(f"glasskernel: patched Unicorn already built in {target}", file=log)
        return target
    if _installed_version() != UNICORN_VERSION:
        raise BuildError(f"the patch is for unicorn {UNICORN_VERSION}, "
                         f"installed is {_installed_version() or 'none'}")
    for tool in ("cmake", "cc", "patch"):
        if shutil.which(tool) is None:
            raise BuildError(f"building the emulator needs `{tool}` (apt-get install {tool})")
    with tempfile.TemporaryDirectory(prefix="gk-unicorn-") as work:
        work = Path(work)
        source = _fetch_source(work)
        _run(["patch", "-p1", "-i", str(PATCH)], source, "applying the patch")
        out = work / "build"
        _run(["cmake", "-S", str(source), "-B", str(out), "-DCMAKE_BUILD_TYPE=Release",
              "-DUNICORN_ARCH=x86", "-DUNICORN_BUILD_TESTS=off"], work, "configuring")
        _run(["cmake", "--build", str(out), "-j", str(os.cpu_count() or 2),
              "--target", "unicorn"], work, "compiling")
        _install(out / LIBRARY, target)
    print(f"glasskernel: patched Unicorn built in {target}", file=log)
    return target


def _install(library: Path, target: Path) -> None:
    """Move the library into place so that the directory appears whole or not at all."""
    import shutil
    import tempfile
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    shutil.copy2(library, staging / LIBRARY)
    try:
        staging.rename(target)
    except OSError:                          # built meanwhile by another process
        shutil.rmtree(staging, ignore_errors=True)
    for old in target.parent.glob("unicorn-*"):
        if old != target and old.is_dir():     # builds of an earlier patch
            shutil.rmtree(old, ignore_errors=True)


def _fetch_source(work: Path) -> Path:
    """Unicorn's source distribution from the package index, unpacked: its C tree."""
    import tarfile
    _run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
          "--quiet", "-d", str(work), f"unicorn=={UNICORN_VERSION}"], work,
         "downloading Unicorn's source")
    archive = next(work.glob(f"unicorn-{UNICORN_VERSION}.tar.gz"), None)
    if archive is None:
        raise BuildError("the package index gave no source archive for unicorn "
                         f"{UNICORN_VERSION}")
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return work / f"unicorn-{UNICORN_VERSION}" / "src"


def _run(cmd: list, cwd: Path, what: str) -> None:
    import subprocess
    done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = done.stdout.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise BuildError(f"{what} failed ({cmd[0]} exited {done.returncode}): {tail[0]}")


def cmd_build_emulator(argv: list) -> int:
    """`glasskernel build-emulator`: build the patched Unicorn (see the module doc)."""
    if argv:
        print("glasskernel: build-emulator takes no arguments", file=sys.stderr)
        return 2
    try:
        build()
    except BuildError as err:
        print(f"glasskernel: build-emulator: {err}; the stock Unicorn stays in use",
              file=sys.stderr)
        return 1
    return 0

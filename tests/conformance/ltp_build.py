"""Find the Linux Test Project's source and build the syscall tests a list needs, statically.

The source is the tarball in the team's shared folder (`<repo>/../shared/ltp/*.tar.xz`, or the
same folder next to the main worktree when the repo is a git worktree), or a source tree named
by the environment variable LTP_SRC. Get LTP elsewhere with
`git clone https://github.com/linux-test-project/ltp` and point LTP_SRC at it.

The build lives in a cache directory keyed by the source (the tarball's sha256, or the tree's
path): ~/.cache/glasskernel/ltp-<key>/ (GLASSKERNEL_LTP_CACHE moves the parent). Each step
leaves a marker, so a second run only builds the test directories whose binaries are missing.
A file lock keeps two runs (pytest and a manual run) from building the same tree at once.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SYSCALLS = Path("testcases/kernel/syscalls")
BUILD_VERSION = "1"          # bump when the build recipe changes: a fresh cache directory


class BuildError(Exception):
    """A step of the LTP build failed; the message names the step and its log."""


@dataclass(slots=True)
class Source:
    """Where LTP comes from: a tarball or a source tree, with its cache key."""
    path: Path
    is_tarball: bool
    key: str


@dataclass(slots=True)
class Entry:
    """One line of a runtest file: the tag LTP reports, the binary and its arguments."""
    tag: str
    argv: list[str]

    @property
    def binary(self) -> str:
        return self.argv[0]


@dataclass(slots=True)
class BuildReport:
    """What ensure_built did: seconds per step and the directories it built."""
    seconds: dict[str, float] = field(default_factory=dict)
    built_dirs: list[str] = field(default_factory=list)


def _shared_dirs() -> list[Path]:
    """The candidate shared folders: beside this repo, and beside the main worktree."""
    dirs = [REPO.parent / "shared" / "ltp"]
    try:
        common = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--git-common-dir"],
                                capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        common = ""
    if common:
        main = (REPO / common).resolve().parent
        dirs.append(main.parent / "shared" / "ltp")
    return dirs


def find_source() -> Source | None:
    """LTP_SRC if set, else the newest tarball in a shared folder; None when there is none."""
    env = os.environ.get("LTP_SRC")
    if env:
        path = Path(env).resolve()
        if path.is_file():
            return Source(path, True, _file_key(path))
        if (path / "runtest" / "syscalls").is_file():
            return Source(path, False, hashlib.sha256(str(path).encode()).hexdigest()[:12])
        return None
    for d in _shared_dirs():
        tarballs = sorted(d.glob("*.tar.xz"))
        if tarballs:
            return Source(tarballs[-1], True, _file_key(tarballs[-1]))
    return None


def _file_key(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:12]


def cache_root() -> Path:
    env = os.environ.get("GLASSKERNEL_LTP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "glasskernel"


def parse_runtest(text: str) -> list[Entry]:
    """The entries of a runtest file (`tag binary args...`), comments and blanks skipped."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words = line.split()
            if len(words) >= 2:
                out.append(Entry(words[0], words[1:]))
    return out


class LtpBuild:
    """One cached LTP build: the extracted tree, configured, with libltp and the test dirs."""
    __slots__ = ("source", "root", "tree", "log_dir", "_dir_of")

    def __init__(self, source: Source):
        self.source = source
        self.root = cache_root() / f"ltp-{source.key}-b{BUILD_VERSION}"
        self.tree = self.root / "src"
        self.log_dir = self.root / "logs"
        self._dir_of: dict[str, str] | None = None

    def runtest(self, name: str = "syscalls") -> list[Entry]:
        self._ensure_tree()
        return parse_runtest((self.tree / "runtest" / name).read_text())

    def dir_of(self, binary: str) -> str | None:
        """The syscalls/ subdirectory whose sources make `binary` (fcntl01_64 from fcntl01.c)."""
        if self._dir_of is None:
            index = {}
            for c in sorted((self.tree / SYSCALLS).glob("*/*.c")):
                index.setdefault(c.stem, c.parent.name)
            self._dir_of = index
        stem = re.sub(r"_(64|16)$", "", binary)
        return self._dir_of.get(binary) or self._dir_of.get(stem)

    def binary_path(self, entry: Entry) -> Path | None:
        d = self.dir_of(entry.binary)
        p = self.tree / SYSCALLS / d / entry.binary if d else None
        return p if p and p.is_file() and os.access(p, os.X_OK) else None

    def ensure_built(self, entries: list[Entry], log=print) -> BuildReport:
        """Extract, configure, build libltp and every test dir with a missing binary."""
        report = BuildReport()
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root.parent / f"{self.root.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._ensure_tree(report, log)
            self._step("configure", ["sh", "-c", "make autotools && ./configure LDFLAGS=-static"],
                       report, log)
            self._step("libltp", ["make", "-C", "lib", "-j2"], report, log)
            missing = sorted({self.dir_of(e.binary) for e in entries
                              if self.dir_of(e.binary) and not self.binary_path(e)})
            if missing:
                self._make_dirs(missing, report, log)
            self._install_links()
        return report

    @property
    def ltproot(self) -> Path:
        """An LTPROOT as an install makes it: testcases/bin holds every test and helper."""
        return self.root / "ltproot"

    def _install_links(self) -> None:
        """Link every built executable of syscalls/ into LTPROOT/testcases/bin, where LTP looks
        for helper programs (PATH) and resource files (execve_child, pipe2_02_child ...)."""
        bindir = self.ltproot / "testcases" / "bin"
        bindir.mkdir(parents=True, exist_ok=True)
        for exe in sorted((self.tree / SYSCALLS).glob("*/*")):
            link = bindir / exe.name
            if exe.is_file() and os.access(exe, os.X_OK) and not exe.suffix \
                    and not link.is_symlink() and exe.name != "Makefile":
                link.symlink_to(exe)

    def _ensure_tree(self, report: BuildReport | None = None, log=print) -> None:
        if (self.root / ".extracted").exists():
            return
        t0 = time.monotonic()
        if self.tree.exists():
            shutil.rmtree(self.tree)
        self.root.mkdir(parents=True, exist_ok=True)
        log(f"ltp: extracting {self.source.path} into {self.tree}")
        if self.source.is_tarball:
            tmp = self.root / "extract.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            with tarfile.open(self.source.path) as tf:
                tf.extractall(tmp, filter="tar") if hasattr(tarfile, "tar_filter") \
                    else tf.extractall(tmp)
            tops = list(tmp.iterdir())
            # git archive puts the files at the top; other tarballs have one top directory
            (tops[0] if len(tops) == 1 and tops[0].is_dir() else tmp).rename(self.tree)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.copytree(self.source.path, self.tree, symlinks=True,
                            ignore=shutil.ignore_patterns(".git"))
        (self.root / ".extracted").touch()
        if report is not None:
            report.seconds["extract"] = time.monotonic() - t0

    def _step(self, name: str, cmd: list[str], report: BuildReport, log) -> None:
        """Run one build step once (its marker file says it is done), logging to logs/NAME."""
        marker = self.root / f".{name}"
        if marker.exists():
            return
        t0 = time.monotonic()
        log(f"ltp: {name} ({' '.join(cmd)})")
        self._run(name, cmd)
        marker.touch()
        report.seconds[name] = time.monotonic() - t0

    def _make_dirs(self, dirs: list[str], report: BuildReport, log) -> None:
        """Build the given syscalls/ subdirectories in one make (-k: one broken dir is not all)."""
        t0 = time.monotonic()
        log(f"ltp: building {len(dirs)} test directories: {' '.join(dirs)}")
        try:
            self._run("tests", ["make", "-k", "-j2", "-C", str(SYSCALLS), f"SUBDIRS={' '.join(dirs)}"])
        except BuildError as e:
            log(f"ltp: {e} (tests that did not build are reported as such)")
        report.seconds["tests"] = time.monotonic() - t0
        report.built_dirs = dirs

    def _run(self, name: str, cmd: list[str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        logf = self.log_dir / f"{name}.log"
        with open(logf, "w") as out:
            r = subprocess.run(cmd, cwd=self.tree, stdout=out, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise BuildError(f"{name} failed with status {r.returncode}; see {logf}")

"""Batch jobs: reading a JSON Lines or TOML jobs file, and expanding glob matrices.

A job names the program and its arguments (``argv``, or ``command`` for a shell command
line), its stdin (``stdin`` text or ``stdin_file``), the guest's root, files to place in
its private writable layer, environment, limits and expectations. A row with ``matrix``
(``{"program": "subs/*/a.out", "input": "tests/*.in"}``) stands for one job per
(program, input) pair: the program is run with the row's ``args`` and the input as
stdin, and its id is made from the parts of the paths the ``*`` matched.
Relative paths are relative to the jobs file's directory (``base``), where the guest
also starts.
"""
import glob
import json
import os
import re
from dataclasses import dataclass, field

JOB_KEYS = frozenset((
    "id", "argv", "command", "program", "args", "stdin", "stdin_file", "root", "files", "env",
    "timeout", "max_tasks", "max_blocks", "mem", "address_space", "file_size", "disk_quota", "trace",
    "real_time", "expect", "matrix", "shared", "cwd"))
EXPECT_KEYS = frozenset((
    "exit", "signal", "stdout", "stdout_file", "stdout_regex", "stderr", "stderr_file",
    "stderr_regex", "no_zombies", "all_children_reaped_by_parent", "no_orphans",
    "max_processes", "no_fd_leak_across_exec", "max_syscalls", "deterministic"))
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_TASKS = 4096
DEFAULT_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/", "LANG": "C"}


class JobError(ValueError):
    """A jobs file that cannot be read as jobs: the message names the line or table."""


@dataclass
class Job:
    """One program run: everything a worker needs, as plain data (it travels to Dask)."""

    id: str
    argv: list
    cwd: str
    stdin: str = None                 # text
    stdin_file: str = None
    root: str = None
    files: dict = field(default_factory=dict)    # guest path -> host path or {"text": ...}
    env: dict = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    max_tasks: int = DEFAULT_MAX_TASKS
    max_blocks: int = None            # the instruction budget, in translated blocks
    mem: int = None
    address_space: int = None
    file_size: int = None
    disk_quota: int = None
    trace: bool = True
    real_time: bool = False
    expect: dict = field(default_factory=dict)
    program: str = None               # for the results: the program and the input
    input: str = None
    shared: bool = False              # Dask: files are read from a shared path, not sent
    payload: dict = None              # Dask: host path -> bytes of the files sent with it

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "payload"}


def load_jobs(path: str) -> list:
    """The jobs of a .toml file ([[job]] tables) or a JSON Lines file, matrices expanded."""
    base = os.path.dirname(os.path.abspath(path))
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise JobError(f"{path}: {err.strerror}") from None
    if path.endswith(".toml"):
        rows = _toml_rows(path, data)
    else:
        rows = _jsonl_rows(path, data)
    jobs = []
    for where, row in rows:
        jobs.extend(jobs_from_row(row, base, where))
    check_unique_ids(jobs)
    return jobs


def _toml_rows(path: str, data: bytes) -> list:
    import tomllib
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise JobError(f"{path}: {err}") from None
    tables = doc.get("job", [])
    if not isinstance(tables, list):
        raise JobError(f"{path}: 'job' must be an array of tables ([[job]])")
    return [(f"{path}: [[job]] #{n}", row) for n, row in enumerate(tables, 1)]


def _jsonl_rows(path: str, data: bytes) -> list:
    rows = []
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            rows.append((f"{path}:{n}", json.loads(line)))
        except json.JSONDecodeError as err:
            raise JobError(f"{path}:{n}: not JSON: {err.msg}") from None
    return rows


def jobs_from_row(row, base: str, where: str = "job") -> list:
    """One row of the file as jobs: itself, or one per pair of its matrix."""
    if not isinstance(row, dict):
        raise JobError(f"{where}: a job must be an object/table")
    unknown = set(row) - JOB_KEYS
    if unknown:
        raise JobError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    unknown = set(row.get("expect") or {}) - EXPECT_KEYS
    if unknown:
        raise JobError(f"{where}: unknown expectation {sorted(unknown)[0]!r}")
    if "matrix" not in row:
        return [make_job(row, base, where, row.get("id"))]
    return expand_matrix(row, base, where)


def expand_matrix(row: dict, base: str, where: str) -> list:
    """A job per (program, input); {program}, {input}, {name}, {stem} in the row's strings
    are replaced by the pair's values."""
    matrix = row["matrix"]
    if not isinstance(matrix, dict) or "program" not in matrix:
        raise JobError(f"{where}: matrix needs at least a \"program\" glob")
    programs = _glob_named(matrix["program"], base, where)
    inputs = _glob_named(matrix["input"], base, where) if "input" in matrix else [(None, "")]
    jobs = []
    for program, pname in programs:
        for inp, iname in inputs:
            name = "-".join(part for part in (row.get("id"), pname, iname) if part)
            values = {"program": program, "input": inp or "", "name": name,
                      "stem": os.path.splitext(os.path.basename(inp or ""))[0]}
            expanded = _substitute({k: v for k, v in row.items() if k not in ("matrix", "id")}, values)
            expanded["argv"] = [program] + list(expanded.get("args", []))
            expanded.pop("args", None)
            if inp is not None:
                expanded["stdin_file"] = inp
            jobs.append(make_job(expanded, base, where, name))
    return jobs


def _glob_named(pattern: str, base: str, where: str) -> list:
    """(path, name) for each file the glob matches, sorted; name is what its * matched."""
    full = pattern if os.path.isabs(pattern) else os.path.join(base, pattern)
    paths = sorted(glob.glob(full))
    if not paths:
        raise JobError(f"{where}: {pattern!r} matches no file")
    regex = re.compile("^" + "".join("(.*?)" if c == "*" else ".?" if c == "?" else re.escape(c)
                                     for c in full) + "$")
    named = []
    for path in paths:
        m = regex.match(path)
        parts = [g for g in (m.groups() if m else ()) if g]
        name = "-".join(parts) if parts else os.path.basename(path)
        named.append((path, re.sub(r"[^\w.+-]", "_", os.path.splitext(name)[0])))
    return named


def _substitute(value, values: dict):
    if isinstance(value, str):
        for key, text in values.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, values) for k, v in value.items()}
    return value


def make_job(row: dict, base: str, where: str, job_id=None) -> Job:
    """A Job from one row's keys, checked; paths made absolute against base."""
    argv = _argv_of(row, base, where)
    job = Job(id=str(job_id) if job_id is not None else "", argv=argv,
              cwd=_path(row.get("cwd", "."), base))
    job.program = argv[0]
    job.stdin = _typed(row, "stdin", str, where)
    if row.get("stdin_file") is not None:
        job.stdin_file = job.input = _path(row["stdin_file"], base)
        if not row.get("shared") and not os.path.isfile(job.stdin_file):
            raise JobError(f"{where}: stdin_file {row['stdin_file']!r}: no such file")
    if row.get("root") is not None:
        job.root = _path(row["root"], base)
        if not os.path.isdir(job.root):
            raise JobError(f"{where}: root {row['root']!r} is not a directory")
    job.files = {str(k): (v if isinstance(v, dict) else _path(v, base))
                 for k, v in (_typed(row, "files", dict, where) or {}).items()}
    job.env = {str(k): str(v) for k, v in (_typed(row, "env", dict, where) or {}).items()}
    job.timeout = float(_typed(row, "timeout", (int, float), where) or DEFAULT_TIMEOUT)
    job.max_tasks = _typed(row, "max_tasks", int, where) or DEFAULT_MAX_TASKS
    job.max_blocks = _typed(row, "max_blocks", int, where)
    for key in ("mem", "address_space", "file_size", "disk_quota"):
        if row.get(key) is not None:
            setattr(job, key, _size(row[key], key, where))
    job.trace = bool(row.get("trace", True))
    job.real_time = bool(row.get("real_time", False))
    job.shared = bool(row.get("shared", False))
    job.expect = _expectations(row.get("expect") or {}, base)
    return job


def _argv_of(row: dict, base: str, where: str) -> list:
    if row.get("command") is not None:
        return ["/bin/sh", "-c", str(row["command"])]
    argv = row.get("argv")
    if argv is None and row.get("program") is not None:
        argv = [row["program"]] + list(row.get("args", []))
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise JobError(f"{where}: a job needs \"argv\" (a list of strings), \"program\" or \"command\"")
    program = argv[0]
    if "/" in program and not os.path.isabs(program):
        program = os.path.join(base, program)
    return [os.path.normpath(program) if "/" in program else program] + argv[1:]


def _expectations(expect: dict, base: str) -> dict:
    expect = dict(expect)
    for key in ("stdout_file", "stderr_file"):
        if expect.get(key) is not None:
            expect[key] = _path(expect[key], base)
    return expect


def _path(value, base: str) -> str:
    return os.path.normpath(os.path.join(base, str(value)))


def _typed(row: dict, key: str, kind, where: str):
    value = row.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise JobError(f"{where}: {key} has the wrong type ({type(value).__name__})")
    return value


def _size(value, key: str, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    from glasskernel.cli import parse_size
    from glasskernel.cli_usage import UsageError
    try:
        return parse_size(key, str(value))
    except UsageError:
        raise JobError(f"{where}: {key} {value!r}: expected bytes or a size such as 64M") from None


def check_unique_ids(jobs: list) -> None:
    """Jobs without an id get the program's name and their number; ids must differ."""
    seen = set()
    for n, job in enumerate(jobs, 1):
        if not job.id:
            job.id = f"{os.path.basename(job.argv[0])}-{n}"
        job.id = re.sub(r"[^\w.+-]", "_", job.id)
        if job.id in seen:
            raise JobError(f"two jobs have the id {job.id!r}")
        seen.add(job.id)


def job_from_dict(data: dict) -> Job:
    """A Job back from to_dict() (the worker's side)."""
    return Job(**{k: v for k, v in data.items() if k in Job.__dataclass_fields__})

"""Running one batch job in this process: a fresh kernel, its records, its result row.

``run_job`` is what a worker process does for one job (the local pool forks a process
per job, and a Dask task or ``execute_job`` starts ``python -m glasskernel.batch.worker``):
it points descriptors 0-2 at the job's stdin and output files, boots a kernel with the
job's root, limits and determinism, places the job's files in its private writable
layer, runs the program with ``RunRecords`` (and a ``Recorder`` when the job keeps its
trace) attached, writes the trace outputs, checks the expectations and writes the row
to JOBDIR/result.json. Paths in the row are relative to the output directory.
"""
import json
import os
import sys
import time

from glasskernel.batch import checks
from glasskernel.batch.jobs import DEFAULT_ENV, Job, job_from_dict
from glasskernel.batch.records import RunRecords
from glasskernel.uapi.errno import KernelError

RLIMIT_FSIZE, RLIMIT_AS = 1, 9
PAGE_SIZE = 4096


class RunOutcome:
    """What one run of the program left: status, records, and the kernel's figures."""

    __slots__ = ("wait_status", "error", "records", "recorder", "peak_memory", "first_pid",
                 "first_comm", "wall", "blocks", "budget_spent")

    def __init__(self):
        self.wait_status = self.error = self.records = self.recorder = self.blocks = None
        self.peak_memory = 0
        self.budget_spent = False
        self.first_pid, self.first_comm, self.wall = 2, "?", 0.0


def run_job(job: Job, outdir: str) -> dict:
    """Run the job (twice if it expects determinism); write and return its result row."""
    jobdir = os.path.join(outdir, "jobs", job.id)
    os.makedirs(jobdir, exist_ok=True)
    rel = lambda name: os.path.join("jobs", job.id, name)        # noqa: E731
    outcome = run_once(job, jobdir, "stdout", "stderr")
    row = base_row(job, outcome)
    row["stdout"], row["stderr"] = rel("stdout"), rel("stderr")
    if outcome.error is None and job.trace:
        write_trace_files(outcome, jobdir)
        row.update(trace=rel("trace.json"), timeline=rel("timeline.html"), tree=rel("tree.txt"))
    second = None
    if outcome.error is None and job.expect.get("deterministic"):
        second = run_once(job, jobdir, "stdout.run2", "stderr.run2", keep_trace=False)
    row["checks"] = evaluate(job, outcome, row, jobdir, second)
    row["verdict"] = verdict(outcome, row["checks"])
    write_row(jobdir, row)
    return row


def run_once(job: Job, jobdir: str, out_name: str, err_name: str, keep_trace=None) -> RunOutcome:
    """One run in a fresh kernel with descriptors 0-2 on the job's files."""
    outcome = RunOutcome()
    saved = redirect_stdio(job, jobdir, out_name, err_name)
    started = time.monotonic()
    try:
        _boot_and_run(job, jobdir, outcome, job.trace if keep_trace is None else keep_trace)
    finally:
        outcome.wall = time.monotonic() - started
        restore_stdio(saved)
    return outcome


def _boot_and_run(job: Job, jobdir: str, outcome: RunOutcome, keep_trace: bool) -> None:
    from glasskernel.cli import describe_exec_failure, exec_candidates
    from glasskernel.init.main import Kernel
    from glasskernel.kernel.trace.recorder import Recorder
    from glasskernel.tools.demo.explain import explain_events
    if os.path.isdir(job.cwd):
        os.chdir(job.cwd)
    log = open(os.path.join(jobdir, "kernel.log"), "a", encoding="utf-8")
    kernel = Kernel(root=job.root, max_tasks=job.max_tasks, mem_size=job.mem, stderr=log,
                    deterministic=not job.real_time, disk_quota=job.disk_quota)
    try:
        place_files(kernel, job)
        recorder = Recorder() if keep_trace else None
        records = RunRecords(kernel, keep=recorder)
        explain_events(kernel.tracer)
        kernel.tracer.attach(records)
        env = {**DEFAULT_ENV, **job.env}
        envp = [f"{k}={v}".encode("utf-8", "surrogateescape") for k, v in env.items()]
        try:
            set_limits(kernel, job)
            task = start(kernel, job, envp, exec_candidates)
        except KernelError as err:
            outcome.error = describe_exec_failure(job.argv[0], err)[0].removeprefix("glasskernel: ")
            return
        outcome.first_pid, outcome.first_comm = task.pid, task.comm
        if recorder is not None:
            recorder.add_first_process(task, job.argv, job.argv[0])
        outcome.wait_status = kernel.run(task)
        outcome.records, outcome.recorder = records, recorder
        outcome.peak_memory = max(kernel.phys._next - PAGE_SIZE, 0)
        if kernel.block_budget is not None:
            outcome.blocks, outcome.budget_spent = kernel.blocks_run, kernel.budget_spent
    finally:
        kernel.tracer.detach_all()
        kernel.shutdown()
        log.close()


def start(kernel, job: Job, envp: list, exec_candidates):
    """Exec argv[0] (searched in PATH without a slash) as the first program."""
    argv = [a.encode("utf-8", "surrogateescape") for a in job.argv]
    failure = None
    for candidate in exec_candidates(job.argv[0], envp):
        try:
            return kernel.run_init_process(candidate.encode("utf-8", "surrogateescape"), argv, envp)
        except KernelError as err:
            failure = err if failure is None or failure.errno == 2 else failure
            if err.errno != 2:
                break
    raise failure


def set_limits(kernel, job: Job) -> None:
    """address_space and file_size become RLIMIT_AS and RLIMIT_FSIZE of init, which the
    first program inherits (soft = hard, as `ulimit -v` / `ulimit -f` set them).
    max_blocks meters the run (apic_timer.run_metered): user-mode blocks are counted,
    which costs the C tick hook's few ns per block, so only a job with a budget pays it."""
    if job.max_blocks:
        if kernel.cpu.budget_unit != "block":
            raise KernelError(95, "max_blocks needs glasskernel's C entry shim (a C compiler)")
        kernel.block_budget = job.max_blocks
    for resource, value in ((RLIMIT_AS, job.address_space), (RLIMIT_FSIZE, job.file_size)):
        if value is not None:
            kernel.init_task.rlimits[resource] = (value, value)


def place_files(kernel, job: Job) -> None:
    """The job's files (and, on a Dask worker, the ones sent with it that this host lacks)
    written into the guest's private layer at their paths, through the kernel's VFS."""
    wanted = {}
    for guest, source in job.files.items():
        if isinstance(source, dict):
            wanted[guest] = str(source.get("text", "")).encode()
        else:
            wanted[guest] = (job.payload or {}).get(source) or _read(source)
    for path, data in (job.payload or {}).items():
        if path not in job.files.values() and not _same_file(path, data):
            wanted[path] = data
    if wanted:
        from glasskernel.batch.place import write_guest_files
        write_guest_files(kernel, wanted)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _same_file(path: str, data: bytes) -> bool:
    try:
        return os.path.getsize(path) == len(data) and _read(path) == data
    except OSError:
        return False


def redirect_stdio(job: Job, jobdir: str, out_name: str, err_name: str) -> list:
    """Descriptors 0, 1, 2 on the job's stdin and its output files; the old ones saved."""
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    sys.stdout.flush()
    sys.stderr.flush()
    if job.stdin_file is not None and job.payload and job.stdin_file in job.payload \
            and not _same_file(job.stdin_file, job.payload[job.stdin_file]):
        stdin = _text_file(jobdir, job.payload[job.stdin_file])
    elif job.stdin_file is not None:
        stdin = os.open(job.stdin_file, os.O_RDONLY)
    else:
        stdin = _text_file(jobdir, (job.stdin or "").encode("utf-8", "surrogateescape"))
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    targets = [stdin, os.open(os.path.join(jobdir, out_name), flags, 0o644),
               os.open(os.path.join(jobdir, err_name), flags, 0o644)]
    for fd, target in enumerate(targets):
        os.dup2(target, fd)
        os.close(target)
    return saved


def _text_file(jobdir: str, data: bytes) -> int:
    path = os.path.join(jobdir, "stdin")
    with open(path, "wb") as f:
        f.write(data)
    return os.open(path, os.O_RDONLY)


def restore_stdio(saved: list) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    for fd, old in enumerate(saved):
        os.dup2(old, fd)
        os.close(old)


def base_row(job: Job, outcome: RunOutcome) -> dict:
    """The result row's facts about the run (checks and verdict come after)."""
    status = outcome.wait_status
    records = outcome.records
    row = {"id": job.id, "program": job.program, "argv": job.argv, "input": job.input,
           "exit": None, "signal": None, "wait_status": status, "error": outcome.error,
           "wall_time": round(outcome.wall, 3), "peak_memory": outcome.peak_memory,
           "processes": None, "syscalls": None, "syscall_counts": None, "digest": None,
           "guest_blocks": outcome.blocks}
    if status is not None:
        row["signal"] = checks.signal_text(status)
        row["exit"] = None if row["signal"] else (status >> 8) & 0xFF
    if records is not None:
        procs = process_table(outcome)
        row["processes"] = len(procs)
        row["syscall_counts"] = dict(sorted(records.syscalls.items()))
        row["syscalls"] = sum(records.syscalls.values())
        row["digest"] = records.digest()
    return row


def process_table(outcome: RunOutcome) -> dict:
    return checks.processes_of(outcome.records.events, outcome.first_pid, outcome.first_comm)


def write_trace_files(outcome: RunOutcome, jobdir: str) -> None:
    """trace.json (Chrome trace events), timeline.html and tree.txt of the run."""
    from glasskernel.tools.proc_tree import write_process_tree
    from glasskernel.tools.timeline.timeline import write_timeline
    recorder = outcome.recorder
    write_timeline(recorder, os.path.join(jobdir, "trace.json"))
    write_timeline(recorder, os.path.join(jobdir, "timeline.html"))
    with open(os.path.join(jobdir, "tree.txt"), "w", encoding="utf-8") as out:
        write_process_tree(recorder, out)


def evaluate(job: Job, outcome: RunOutcome, row: dict, jobdir: str, second) -> dict:
    """name -> {"ok", "reason"} for each expectation (and for limits the run hit)."""
    result = {}
    if outcome.records is not None and outcome.records.task_limit is not None:
        hit = outcome.records.task_limit
        result["max_tasks"] = {"ok": False, "reason": (
            f"pid {hit.pid} ({hit.comm}) could not fork: the task limit of {job.max_tasks} "
            f"was reached at event #{hit.seq} (kernel_clone returned EAGAIN); every task was killed")}
    if outcome.budget_spent:
        result["max_blocks"] = {"ok": False, "reason": (
            f"the instruction budget of {job.max_blocks} blocks was spent: every task was killed")}
    if outcome.error is not None:
        return result
    expect = job.expect
    procs = process_table(outcome)
    records = outcome.records
    if "exit" in expect:
        result["exit"] = checks.check_exit(row, expect["exit"])
    if "signal" in expect:
        result["signal"] = checks.check_exit(row, expect["signal"])
    for stream in ("stdout", "stderr"):
        _check_stream(result, job, stream, os.path.join(jobdir, stream))
    if expect.get("no_zombies"):
        result["no_zombies"] = checks.check_no_zombies(procs)
    if expect.get("all_children_reaped_by_parent"):
        result["all_children_reaped_by_parent"] = checks.check_reaped_by_parent(procs, outcome.first_pid)
    if expect.get("no_orphans"):
        result["no_orphans"] = checks.check_no_orphans(procs)
    if expect.get("max_processes") is not None:
        result["max_processes"] = checks.check_max_processes(procs, int(expect["max_processes"]))
    if expect.get("no_fd_leak_across_exec"):
        result["no_fd_leak_across_exec"] = checks.check_fd_leaks(records.execs, procs)
    if expect.get("max_syscalls") is not None:
        result["max_syscalls"] = checks.check_max_syscalls(records.syscalls, int(expect["max_syscalls"]))
    if expect.get("deterministic"):
        result["deterministic"] = _check_deterministic(row["digest"], second)
    return result


def _check_stream(result: dict, job: Job, stream: str, path: str) -> None:
    expect = job.expect
    keys = [k for k in (stream, f"{stream}_file", f"{stream}_regex") if expect.get(k) is not None]
    if not keys:
        return
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "surrogateescape")
    want, regex = expect.get(stream), expect.get(f"{stream}_regex")
    if expect.get(f"{stream}_file") is not None:
        try:
            want = _host_or_sent(job, expect[f"{stream}_file"]).decode("utf-8", "surrogateescape")
        except OSError as err:
            result[stream] = {"ok": False, "reason": f"{expect[f'{stream}_file']}: {err.strerror}"}
            return
    if want is not None:
        result[stream] = checks.check_text(stream, text, want=want)
    if regex is not None:
        result[f"{stream}_regex"] = checks.check_text(stream, text, regex=regex)


def _host_or_sent(job: Job, path: str) -> bytes:
    """A file the job names: the host's, unless a different one was sent with the job."""
    sent = (job.payload or {}).get(path)
    if sent is not None and not _same_file(path, sent):
        return sent
    return _read(path)


def _check_deterministic(digest: str, second) -> dict:
    other = second.records.digest() if second is not None and second.records is not None else None
    if other == digest:
        return {"ok": True, "reason": f"two runs, the same trace digest {digest[:16]}"}
    return {"ok": False, "reason": f"two runs gave different trace digests: {digest[:16]} "
                                   f"and {str(other)[:16]}"}


def verdict(outcome: RunOutcome, result: dict) -> str:
    if outcome.error is not None:
        return "error"
    return "pass" if all(c["ok"] for c in result.values()) else "fail"


def write_row(jobdir: str, row: dict) -> None:
    """result.json, written whole then renamed: a killed worker leaves none or all of it."""
    tmp = os.path.join(jobdir, "result.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(row, f)
    os.replace(tmp, os.path.join(jobdir, "result.json"))


def main(argv=None) -> int:
    """python -m glasskernel.batch.worker JOB.json OUTDIR: run one job, print its row."""
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as f:
        job = job_from_dict(json.load(f))
    payload = argv[2] if len(argv) > 2 else None
    if payload:
        import pickle
        with open(payload, "rb") as f:
            job.payload = pickle.load(f)
    run_job(job, os.path.abspath(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

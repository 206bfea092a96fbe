"""`glasskernel batch`: many guest programs, each in its own kernel, checked from the
kernel's records (issue 21's acceptance list).

The "submissions" are tests/programs/batch_forktree.c built three ways (all print the
same right answer; one leaves a zombie, one leaks a pipe into exec'd children) and
tests/programs/batch_misc.c's misbehaviours. Nothing here depends on timing: the loop
is stopped by its timeout whatever the machine's speed, and parallelism is seen as the
pool's count of running workers.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from glasskernel import batch
from glasskernel.batch.jobs import JobError, load_jobs

BUSYBOX = "/bin/busybox"
pytestmark = pytest.mark.skipif(not os.path.exists(BUSYBOX) or not harness.compiler_available("musl"),
                                reason="needs busybox-static and musl-gcc")
SUBMISSIONS = {"alice": (), "bob": ("ZOMBIE",), "carol": ("LEAK",)}
PROCESS_CHECKS = {"exit": 0, "stdout_file": "tests/{stem}.out", "no_zombies": True,
                  "all_children_reaped_by_parent": True, "no_orphans": True,
                  "no_fd_leak_across_exec": True}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """subs/NAME/a.out for the three submissions, tests/tN.in|out, misc, cloexec."""
    root = tmp_path_factory.mktemp("corpus")
    for name, defines in SUBMISSIONS.items():
        (root / "subs" / name).mkdir(parents=True)
        shutil.copy(harness.build("batch_forktree", "musl", defines), root / "subs" / name / "a.out")
    shutil.copy(harness.build("batch_forktree", "musl", ("LEAK", "CLOEXEC")), root / "cloexec")
    shutil.copy(harness.build("batch_misc", "musl"), root / "misc")
    (root / "tests").mkdir()
    for n in range(1, 5):
        (root / "tests" / f"t{n}.in").write_text(f"{n}\n")
        (root / "tests" / f"t{n}.out").write_text(f"children {n} sum {n * (n + 1) // 2}\n")
    (root / "notelf").write_text("this is not a program\n")
    (root / "notelf").chmod(0o755)
    return root


def write_jobs(root: Path, name: str, rows: list) -> Path:
    path = root / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def glasskernel(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glasskernel", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=240)


def read_rows(outdir: Path) -> dict:
    return {row["id"]: row for row in map(json.loads, (outdir / "results.jsonl").read_text().splitlines())}


class Watch:
    """A progress object for run_batch that remembers how many jobs ran at once."""

    def __init__(self):
        self.running = self.most = self.started = 0

    def job_started(self, _job=None):
        self.running += 1
        self.started += 1
        self.most = max(self.most, self.running)

    def job_done(self, _row):
        self.running -= 1

    def finish(self):
        pass


MATRIX = {"matrix": {"program": "subs/*/a.out", "input": "tests/*.in"}, "expect": PROCESS_CHECKS}


# ----- 1. a 3 x 4 matrix on the local pool; results, summary, report; resume -------------

def test_matrix_runs_in_parallel_and_resumes(corpus, tmp_path):
    jobs_file = write_jobs(corpus, "matrix.jsonl", [MATRIX])
    jobs = load_jobs(str(jobs_file))
    assert [job.id for job in jobs] == [f"{s}-t{n}" for s in SUBMISSIONS for n in range(1, 5)]
    watch = Watch()
    outcome = batch.run_batch(jobs, str(tmp_path / "out"), workers=2, progress=watch)
    assert watch.started == 12 and watch.most == 2          # two workers busy at once
    rows = read_rows(tmp_path / "out")
    assert list(rows) == [job.id for job in jobs] == [r["id"] for r in outcome["rows"]]
    for sub in SUBMISSIONS:
        for n in range(1, 5):
            row = rows[f"{sub}-t{n}"]
            assert row["exit"] == 0 and row["signal"] is None
            assert row["processes"] == n + 1
            assert row["input"].endswith(f"tests/t{n}.in") and row["program"].endswith(f"subs/{sub}/a.out")
            assert (tmp_path / "out" / row["stdout"]).read_text() == f"children {n} sum {n * (n + 1) // 2}\n"
            assert row["checks"]["stdout"]["ok"] and row["checks"]["exit"]["ok"]
            assert len(row["digest"]) == 64 and row["syscalls"] == sum(row["syscall_counts"].values())
            for key in ("trace", "timeline", "tree"):
                assert (tmp_path / "out" / row[key]).is_file()
            want = {"alice": "pass", "bob": "fail", "carol": "fail"}[sub]
            assert row["verdict"] == want, row["checks"]
            failed = {k for k, c in row["checks"].items() if not c["ok"]}
            assert failed == {"alice": set(), "bob": {"no_zombies", "all_children_reaped_by_parent"},
                              "carol": {"no_fd_leak_across_exec"}}[sub]
    tree = (tmp_path / "out" / rows["alice-t2"]["tree"]).read_text()
    assert "a.out(2)" in tree and "a.out(3)" in tree and "a.out(4)" in tree
    report = (tmp_path / "out" / "report.html").read_text()
    assert report.count("<tr class=\"row-") == 12 and "4 passed" in report and "8 failed" in report
    assert 'href="jobs/bob-t3/timeline.html"' in report and 'href="jobs/bob-t3/tree.txt"' in report

    again = glasskernel("batch", jobs_file, "-o", tmp_path / "out", "--no-progress")
    assert again.returncode == 1                               # some jobs failed
    assert "12 jobs already had results" in again.stdout
    lines = again.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "verdict", "exit"]
    assert lines[1].split()[:2] == ["alice-t1", "pass"]
    assert any(line.startswith("bob-t4") and "no_zombies" in line for line in lines)
    assert "12 jobs: 4 passed, 8 failed, 0 errors" in again.stdout
    watch = Watch()
    assert batch.run_batch(jobs, str(tmp_path / "out"), progress=watch)["ran"] == 0
    assert watch.started == 0
    rerun = batch.run_batch(jobs[:2], str(tmp_path / "out"), rerun=True, progress=watch)
    assert rerun["ran"] == 2 and watch.started == 2
    assert list(read_rows(tmp_path / "out")) == [job.id for job in jobs]   # still one row each


# ----- 2. each expectation, kept by one program and broken by another --------------------

def forktree(sub: str, n: int, expect: dict, **more) -> dict:
    return {"id": f"{sub}-{'-'.join(expect)}-{more.pop('tag', '')}", "argv": [f"subs/{sub}/a.out"],
            "stdin": f"{n}\n", "expect": expect, **more}


EXPECTATION_JOBS = [
    # (job, expected verdict, check name, text the reason must contain)
    (forktree("alice", 2, {"no_zombies": True}), "pass", "no_zombies", "reaped"),
    (forktree("bob", 3, {"no_zombies": True}), "fail", "no_zombies",
     "pid 5 (a.out) exited at event #"),
    (forktree("alice", 2, {"all_children_reaped_by_parent": True}), "pass",
     "all_children_reaped_by_parent", "forked it"),
    (forktree("bob", 2, {"all_children_reaped_by_parent": True}), "fail",
     "all_children_reaped_by_parent", "pid 4 (a.out) was reaped by pid 1 (init), not by its parent pid 2"),
    (forktree("alice", 1, {"no_orphans": True}), "pass", "no_orphans", "no process outlived"),
    ({"id": "orphan", "argv": ["misc", "orphan"], "expect": {"no_orphans": True}}, "fail",
     "no_orphans", "pid 3 (misc) was still running when its parent pid 2 (misc) exited"),
    (forktree("alice", 3, {"max_processes": 4}), "pass", "max_processes", "4 processes"),
    (forktree("alice", 3, {"max_processes": 3}), "fail", "max_processes",
     "the 4th was pid 5 (a.out), forked by pid 2 (a.out) at event #"),
    ({"id": "cloexec", "argv": ["cloexec"], "stdin": "1\n", "expect": {"no_fd_leak_across_exec": True}},
     "pass", "no_fd_leak_across_exec", "none with a descriptor above 2"),
    (forktree("carol", 1, {"no_fd_leak_across_exec": True}), "fail", "no_fd_leak_across_exec",
     "pid 3 (busybox) exec'd /bin/busybox (event #"),
    ({"id": "few-syscalls", "argv": ["misc", "syscalls", "10"], "expect": {"max_syscalls": 100}},
     "pass", "max_syscalls", "syscalls (at most 100)"),
    ({"id": "many-syscalls", "argv": ["misc", "syscalls", "300"], "expect": {"max_syscalls": 100}},
     "fail", "max_syscalls", "getppid 300"),
    (forktree("alice", 2, {"deterministic": True}), "pass", "deterministic", "the same trace digest"),
    ({"id": "real-clock", "argv": ["misc", "clock"], "real_time": True, "expect": {"deterministic": True}},
     "fail", "deterministic", "different trace digests"),
    ({"id": "exit-3", "argv": ["misc", "exit", "3"], "expect": {"exit": 3}}, "pass", "exit", "exit 3"),
    ({"id": "exit-3-not-0", "argv": ["misc", "exit", "3"], "expect": {"exit": 0}}, "fail", "exit",
     "exit 3 (expected 0)"),
    ({"id": "hello", "argv": ["misc", "hello"], "expect": {
        "stdout": "hello, out\n", "stderr_regex": "^warning: "}}, "pass", "stderr_regex", "matches"),
    ({"id": "hello-wrong", "argv": ["misc", "hello"], "expect": {"stdout": "hello, world\n"}}, "fail",
     "stdout", "at line 1: got 'hello, out', expected 'hello, world'"),
    ({"id": "hello-regex", "argv": ["misc", "hello"], "expect": {"stderr_regex": "^error"}}, "fail",
     "stderr_regex", "does not match"),
    ({"id": "expected-file", "argv": ["subs/alice/a.out"], "stdin_file": "tests/t3.in",
      "expect": {"stdout_file": "tests/t3.out"}}, "pass", "stdout", "as expected"),
]


def test_each_expectation_kept_and_broken(corpus, tmp_path):
    rows_in = []
    for n, (job, *_rest) in enumerate(EXPECTATION_JOBS):
        job = dict(job, id=f"{n:02d}-{job['id']}")
        if job["argv"][0] in ("misc", "cloexec"):
            job["argv"] = [f"./{job['argv'][0]}"] + job["argv"][1:]
        rows_in.append(job)
    jobs_file = write_jobs(corpus, "expectations.jsonl", rows_in)
    rows = batch.run(str(jobs_file), outdir=str(tmp_path / "out"), workers=2)
    assert len(rows) == len(EXPECTATION_JOBS)
    for row, (job, verdict, check, reason) in zip(rows, EXPECTATION_JOBS):
        assert row["verdict"] == verdict, (row["id"], row["checks"], row.get("error"))
        assert check in row["checks"], (row["id"], row["checks"])
        assert row["checks"][check]["ok"] == (verdict == "pass")
        assert reason in row["checks"][check]["reason"], (row["id"], row["checks"][check])
    leak = next(r for r in rows if r["id"].endswith("carol-no_fd_leak_across_exec-"))
    assert "with fd 3 (pipe:[" in leak["checks"]["no_fd_leak_across_exec"]["reason"]
    assert "fd 4 (pipe:[" in leak["checks"]["no_fd_leak_across_exec"]["reason"]


# ----- 3. a hang, a fork bomb, a missing program, a non-ELF: the rest still finish ---------

def test_bad_jobs_fail_alone(corpus, tmp_path):
    jobs_file = write_jobs(corpus, "bad.jsonl", [
        {"id": "loops", "argv": ["./misc", "loop"], "timeout": 2},
        {"id": "bomb", "argv": ["./misc", "forkbomb"], "max_tasks": 24},
        {"id": "missing", "argv": ["./no-such-program"]},
        {"id": "not-elf", "argv": ["./notelf"]},
        {"id": "fine", "argv": ["subs/alice/a.out"], "stdin": "2\n", "expect": PROCESS_CHECKS | {
            "stdout": "children 2 sum 3\n", "stdout_file": None}},
    ])
    done = glasskernel("batch", jobs_file, "-o", tmp_path / "out", "-j", "2")
    assert done.returncode == 1, done.stderr
    rows = read_rows(tmp_path / "out")
    assert rows["loops"]["verdict"] == "fail"
    assert rows["loops"]["checks"]["timeout"] == {
        "ok": False, "reason": "still running after 2 s: stopped at the wall-time timeout"}
    bomb = rows["bomb"]
    assert bomb["verdict"] == "fail" and bomb["signal"] == "SIGKILL"
    assert "the task limit of 24 was reached" in bomb["checks"]["max_tasks"]["reason"]
    assert bomb["processes"] <= 24
    assert rows["missing"]["verdict"] == "error"
    assert rows["missing"]["error"].endswith("no-such-program: No such file or directory")
    assert rows["not-elf"]["verdict"] == "error"
    assert rows["not-elf"]["error"].endswith("notelf: Exec format error")
    assert rows["fine"]["verdict"] == "pass", rows["fine"]["checks"]
    assert "5 jobs: 1 passed, 2 failed, 2 errors" in done.stdout


def test_bad_jobs_file_is_one_line(corpus, tmp_path):
    bad = write_jobs(corpus, "typo.jsonl", [{"id": "x", "argv": ["./misc"], "expct": {}}])
    done = glasskernel("batch", bad, "-o", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.strip() == f"glasskernel: batch: {bad}:1: unknown key 'expct'"
    with pytest.raises(JobError, match="matches no file"):
        batch.jobs.jobs_from_row({"matrix": {"program": "nothing/*"}}, str(corpus))
    usage = glasskernel("batch", bad)
    assert usage.returncode == 2 and "-o OUTDIR" in usage.stderr and "batch --help" in usage.stderr


def test_toml_jobs_files_and_limits(corpus, tmp_path):
    """The same keys in [[job]] tables; placed files; the file-size limit (RLIMIT_FSIZE)."""
    (corpus / "jobs.toml").write_text(f'''
[[job]]
id = "placed"
command = "{BUSYBOX} cat /batch-data/in.txt"
files = {{ "/batch-data/in.txt" = {{ text = "placed text\\n" }} }}
expect = {{ exit = 0, stdout = "placed text\\n" }}

[[job]]
id = "big-write"
argv = ["{BUSYBOX}", "dd", "if=/dev/zero", "of=/tmp/batch-big", "bs=1024", "count=64"]
file_size = "16K"
expect = {{ signal = "SIGXFSZ" }}
''')
    rows = batch.run(str(corpus / "jobs.toml"), outdir=str(tmp_path / "out"))
    placed, big = rows
    assert placed["verdict"] == "pass", placed
    assert not os.path.exists("/batch-data")                  # the host never sees it
    assert big["verdict"] == "pass" and big["signal"] == "SIGXFSZ", big


# ----- 4. the same jobs on a real Dask cluster ------------------------------------------

VARYING = ("wall_time",)          # the only field that may differ between two runs


def comparable(rows: list) -> list:
    return [{k: v for k, v in row.items() if k not in VARYING} for row in rows]


@pytest.mark.timeout(300)
def test_dask_cluster_gives_the_same_rows(corpus, tmp_path):
    distributed = pytest.importorskip("distributed")
    jobs_file = write_jobs(corpus, "dask.jsonl", [
        MATRIX | {"matrix": {"program": "subs/*/a.out", "input": "tests/t[12].in"}},
        {"id": "orphan", "argv": ["./misc", "orphan"], "expect": {"no_orphans": True}},
        {"id": "missing", "argv": ["./no-such-program"]},
    ])
    jobs = load_jobs(str(jobs_file))
    local = batch.run(jobs, outdir=str(tmp_path / "local"), workers=2)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    try:
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
            remote = batch.run(jobs, executor=client, outdir=str(tmp_path / "dask"))
        by_address = subprocess.run(     # the scheduler named by DASK_SCHEDULER_ADDRESS
            [sys.executable, "-m", "glasskernel", "batch", str(jobs_file), "-o", str(tmp_path / "dask-cli")],
            capture_output=True, text=True, timeout=240,
            env=dict(os.environ, DASK_SCHEDULER_ADDRESS=cluster.scheduler_address))
    finally:
        cluster.close()
    assert comparable(remote) == comparable(local)
    assert [r["digest"] for r in remote] == [r["digest"] for r in local]
    assert all(r["digest"] for r in local if r["id"] != "missing")
    for row in remote:
        for key in ("stdout", "stderr", "timeline", "tree"):
            if row.get(key):
                assert (tmp_path / "dask" / row[key]).read_bytes() == \
                    (tmp_path / "local" / row[key]).read_bytes(), (row["id"], key)
    assert by_address.returncode == 1, by_address.stderr
    assert comparable(read_rows(tmp_path / "dask-cli").values()) == comparable(local)


def test_files_sent_with_a_job_are_placed_where_the_host_lacks_them(corpus, tmp_path):
    """A Dask worker on another machine gets the program as bytes: it is run from the
    guest's private layer at the path the job names (here a path this host lacks)."""
    from glasskernel.batch.executors import execute_job, job_payload
    job = load_jobs(str(write_jobs(corpus, "sent.jsonl", [
        {"id": "sent", "argv": ["subs/alice/a.out"], "stdin_file": "tests/t2.in",
         "expect": {"stdout_file": "tests/t2.out", "exit": 0}}])))[0]
    payload = job_payload(job)
    assert set(payload) == {job.argv[0], job.stdin_file, job.expect["stdout_file"]}
    elsewhere = "/nonexistent-batch-host/alice/a.out"
    payload[elsewhere] = payload.pop(job.argv[0])
    job.argv[0] = job.program = elsewhere
    row = execute_job(job.to_dict(), str(tmp_path / "out"), payload)
    assert row["verdict"] == "pass", row
    assert not os.path.exists("/nonexistent-batch-host")


# ----- 5. the report in a browser ------------------------------------------------------

def png_pixels(data: bytes) -> tuple:
    """(width, height, rows of RGBA tuples) of an 8-bit RGBA/RGB PNG (what Chromium writes)."""
    import struct
    import zlib
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6)
    bpp = 4 if color == 6 else 3
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


@pytest.mark.timeout(300)
def test_report_opens_in_chromium_and_shows_the_table(corpus, tmp_path):
    from test_timeline import CHROMIUM, Browser, Page
    if CHROMIUM is None:
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    jobs_file = write_jobs(corpus, "report.jsonl", [
        MATRIX | {"matrix": {"program": "subs/*/a.out", "input": "tests/t1.in"}},
        {"id": "missing", "argv": ["./no-such-program"]}])
    batch.run(str(jobs_file), outdir=str(tmp_path / "out"), workers=2)
    browser = Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        page = Page(browser, tmp_path / "out" / "report.html")
        assert page.errors() == []
        ids = "Array.from(document.querySelectorAll('tbody tr td:first-child')).map(td => td.firstChild.textContent)"
        assert page.js(ids) == ["alice-t1", "bob-t1", "carol-t1", "missing"]
        page.js("document.querySelectorAll('th')[1].click()")          # sort by verdict
        assert page.js(ids) == ["missing", "bob-t1", "carol-t1", "alice-t1"]
        page.js("document.querySelectorAll('th')[1].click()")          # and the other way
        assert page.js(ids)[0] == "alice-t1"
        table = page.js("(() => { const r = document.getElementById('results')"
                        ".getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })()")
        assert table["w"] > 300 and table["h"] > 4 * 20
        shot = page.call("Page.captureScreenshot", {"format": "png", "clip": {
            "x": table["x"], "y": table["y"], "width": table["w"], "height": table["h"], "scale": 1}})
        import base64
        width, height, rows = png_pixels(base64.b64decode(shot["data"]))
        colors = {pixel for row in rows for pixel in row}
        assert (0xf3, 0xf3, 0xf3) in colors                  # the head row's background
        assert (0xff, 0xf6, 0xf5) in colors                  # the failing rows' background
        assert len(colors) > 20                              # text was drawn in it
        assert page.js("document.querySelector('a[href=\"jobs/bob-t1/timeline.html\"]') !== null")
        assert page.errors() == []
    finally:
        browser.close()


# ----- Ctrl-C ---------------------------------------------------------------------------

def test_ctrl_c_keeps_what_finished(corpus, tmp_path):
    import signal
    import time
    jobs_file = write_jobs(corpus, "interrupt.jsonl", [
        {"id": "quick", "argv": ["./misc", "exit", "0"]},
        {"id": "forever", "argv": ["./misc", "loop"], "timeout": 600}])
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "glasskernel", "batch", str(jobs_file), "-o",
                             str(out), "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_interruptible)
    deadline = time.monotonic() + 120
    while not (out / "results.jsonl").exists() or "quick" not in (out / "results.jsonl").read_text():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    workers = [int(p) for p in os.listdir("/proc") if p.isdigit()
               and _parent_of(int(p)) == proc.pid]
    assert workers                                   # the looping job's worker
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted; 1 of 2 jobs have results" in stderr
    assert list(read_rows(out)) == ["quick"]
    assert (out / "report.html").exists()
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}")      # killed and reaped


def _interruptible() -> None:
    """A Ctrl-C must reach the batch even when the suite runs in the background, where the
    shell starts it with SIGINT ignored (and Python keeps an ignored SIGINT ignored)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _parent_of(pid: int):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


# ----- the instruction budget -------------------------------------------------------------

def test_instruction_budget_stops_a_loop_and_changes_nothing_else(corpus, tmp_path, monkeypatch):
    """max_blocks: a loop is killed when its blocks are spent; a job under its budget
    reports the blocks it ran and has the same trace digest as without a budget, also
    when the meter stops the CPU many times (a small METER_BLOCKS, which the forked
    workers inherit)."""
    from glasskernel.arch.x86.kernel import apic_timer
    monkeypatch.setattr(apic_timer, "METER_BLOCKS", 997)
    script = "i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; echo $i | /bin/busybox cat"
    rows = batch.run([
        {"id": "spinning", "argv": [str(corpus / "misc"), "loop"], "max_blocks": 200_000},
        {"id": "metered", "argv": [BUSYBOX, "sh", "-c", script], "max_blocks": 10**9},
        {"id": "unmetered", "argv": [BUSYBOX, "sh", "-c", script]},
        {"id": "tree-metered", "argv": [str(corpus / "subs/alice/a.out")], "stdin": "3\n",
         "max_blocks": 10**9, "expect": PROCESS_CHECKS | {"stdout_file": str(corpus / "tests/t3.out")}},
    ], outdir=str(tmp_path / "out"), workers=2)
    spinning, metered, unmetered, tree = rows
    if spinning["error"] and "C entry shim" in spinning["error"]:
        pytest.skip("no C compiler: the CPU cannot count blocks")
    assert spinning["verdict"] == "fail" and spinning["signal"] == "SIGKILL"
    assert spinning["checks"]["max_blocks"]["reason"] == \
        "the instruction budget of 200000 blocks was spent: every task was killed"
    assert spinning["guest_blocks"] >= 200_000
    assert metered["guest_blocks"] > 10 * 997 and unmetered["guest_blocks"] is None
    assert metered["digest"] == unmetered["digest"]
    assert (tmp_path / "out" / metered["stdout"]).read_text() == "300\n"
    assert tree["verdict"] == "pass" and tree["guest_blocks"] > 0


def test_api_with_a_futures_executor(corpus, tmp_path):
    """batch.run with a concurrent.futures executor: each job in a worker process of its
    own; the rows are the local pool's."""
    from concurrent.futures import ThreadPoolExecutor
    jobs = [{"id": "tree", "argv": [str(corpus / "subs/bob/a.out")], "stdin": "2\n",
             "expect": {"no_zombies": True}},
            {"id": "hello", "argv": [str(corpus / "misc"), "hello"], "expect": {"stdout": "hello, out\n"}}]
    with ThreadPoolExecutor(2) as pool:
        rows = batch.run(jobs, executor=pool, outdir=str(tmp_path / "pool"))
    local = batch.run(jobs, outdir=str(tmp_path / "local"))
    assert [r["verdict"] for r in rows] == ["fail", "pass"]
    assert comparable(rows) == comparable(local)


def test_a_process_with_threads_is_not_forked(corpus, tmp_path, monkeypatch):
    """From a process with other threads (a notebook), the local pool's jobs run as
    worker processes instead of forks of it."""
    import threading
    from glasskernel.batch import pool

    def no_fork(*_args, **_kw):
        raise AssertionError("forked a process that has threads")
    monkeypatch.setattr(pool, "run_local", no_fork)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        rows = batch.run([{"id": "hello", "argv": [str(corpus / "misc"), "hello"],
                           "expect": {"stdout": "hello, out\n"}}], outdir=str(tmp_path / "out"))
    finally:
        stop.set()
        other.join()
    assert rows[0]["verdict"] == "pass", rows


def test_bench_batch_quick_mode_runs():
    """bench/batch.py end to end on a few jobs (no timing asserted)."""
    runner = Path(__file__).resolve().parent.parent / "bench" / "batch.py"
    proc = subprocess.run([sys.executable, str(runner), "--quick"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| `glasskernel batch -j 2` |" in proc.stdout and "Per-job overhead" in proc.stdout


def test_root_env_address_space_and_no_trace(corpus, tmp_path):
    rows = batch.run([
        {"id": "as", "argv": [BUSYBOX, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
         "address_space": "32M", "expect": {"exit": 1, "stderr": "dd: out of memory\n"}},
        {"id": "env", "argv": [BUSYBOX, "sh", "-c", 'echo "$GREETING $HOME"'],
         "env": {"GREETING": "hi"}, "trace": False, "expect": {"stdout": "hi /\n"}},
        {"id": "root", "argv": ["/misc", "hello"], "root": str(corpus),
         "expect": {"stdout": "hello, out\n"}},
    ], outdir=str(tmp_path / "out"))
    assert [r["verdict"] for r in rows] == ["pass"] * 3, [r["checks"] for r in rows]
    env = rows[1]
    assert "trace" not in env and not (tmp_path / "out/jobs/env/timeline.html").exists()
    assert env["processes"] == 1 and env["digest"]             # checked all the same


def test_progress_line():
    import io
    from glasskernel.batch.summary import Progress
    out = io.StringIO()
    bar = Progress(4, 2, stream=out, force=True)
    bar.job_started()
    bar.job_started()
    bar.job_done({"verdict": "pass"})
    bar.job_started()
    bar.job_done({"verdict": "fail"})
    line = out.getvalue().rsplit("\r", 1)[1]
    assert line.startswith("[" + "#" * 15 + "." * 15 + "] 2/4 done, 1 failed, 1 running, ETA ")


def test_batch_options():
    from glasskernel.batch.cli import parse_batch_args
    opts = parse_batch_args(["jobs.jsonl", "-o", "out", "--dask", "tcp://host:8786", "-j", "3"])
    assert (opts["jobs"], opts["outdir"], opts["dask"], opts["workers"]) == \
        ("jobs.jsonl", "out", "tcp://host:8786", 3)
    assert parse_batch_args(["j", "--output=o", "--local", "--rerun"])["local"] is True

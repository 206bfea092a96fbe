"""`glasskernel run --timeline`: the JSON of a real run, and the HTML page in a browser.

The HTML tests load the page in headless Chromium and drive it through the DevTools
protocol over a pipe (``--remote-debugging-pipe``: NUL-separated JSON messages on the
browser's fds 3 and 4), so only the standard library is needed. They check that the page
logs no console error, draws one lane per task, shows a slice's details when the mouse
hovers it, and zooms and pans. They skip when Chromium is not installed (Debian:
``apt-get install chromium``).
"""
import fcntl
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glasskernel.tools.timeline.timeline import CPU_TRACK_PID, write_timeline

HERE = Path(__file__).parent
BUSYBOX = "/bin/busybox"
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome"))), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed "
                                    "(Debian: apt-get install chromium)")
needs_busybox = pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="busybox-static missing")


def _load_format_cases():
    """tests/unit/test_timeline_format.py: the hand-built recording and the validator."""
    spec = importlib.util.spec_from_file_location(
        "timeline_format_cases", HERE / "unit" / "test_timeline_format.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cases = _load_format_cases()


# ----- a minimal DevTools protocol client ----------------------------------------------------

class DevToolsError(Exception):
    pass


class Browser:
    """Headless Chromium with its DevTools protocol on a pair of pipes."""

    def __init__(self, binary: str, profile: Path, log: Path):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def browser_fds():                    # in the child: the pipes become fds 3 and 4
            reader = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            writer = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(reader, 3)
            os.dup2(writer, 4)
        self.log = log
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(
                [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                 "--remote-debugging-pipe", f"--user-data-dir={profile}",
                 "--window-size=1280,900", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                preexec_fn=browser_fds, close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []                      # (session id, method, params)

    def send(self, method: str, params: dict = None, session: str = None) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.next_id

    def call(self, method: str, params: dict = None, session: str = None,
             timeout: float = 30) -> dict:
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, method: str, session: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for sid, name, params in self.events[seen:]:
                if name == method and sid == session:
                    return params
            seen = len(self.events)
            self._receive(deadline)

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise DevToolsError("no answer from chromium; its log: " + self._log_tail())
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise DevToolsError("chromium closed the pipe; its log: " + self._log_tail())
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self.events.append((message.get("sessionId"), message["method"],
                                message.get("params", {})))
        return message

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)


class Page:
    """One tab: open a file, evaluate JavaScript, move the mouse, collect console errors."""

    def __init__(self, browser: Browser, path: Path):
        self.browser = browser
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.call("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", {"url": path.resolve().as_uri()})
        self.browser.wait_for("Page.loadEventFired", self.session)

    def call(self, method: str, params: dict = None) -> dict:
        return self.browser.call(method, params, self.session)

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True})
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def mouse(self, kind: str, x: float, y: float, **extra) -> None:
        self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, **extra})

    def errors(self) -> list:
        self.js("0")                          # let queued console events arrive first
        found = []
        for sid, method, params in self.browser.events:
            if sid != self.session:
                continue
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description")))
                                      for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def tooltip(self) -> dict:
        return self.js("({hidden: document.getElementById('tooltip').hidden,"
                       " text: document.getElementById('tooltip').innerText})")

    def hover_slice(self, name: str, nth: int = 0) -> dict:
        where = self.js(f"glasskernelTimeline.reveal({json.dumps(name)}, {nth})")
        assert where is not None, f"no slice named {name}"
        self.mouse("mouseMoved", where["x"], where["y"])
        return where


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    home = tmp_path_factory.mktemp("chromium")
    instance = Browser(CHROMIUM, home / "profile", home / "chromium.log")
    try:
        instance.call("Browser.getVersion")
        yield instance
    finally:
        instance.close()


def lane_labels_in_data(page: Page) -> list:
    """comm-pid of every task with events, as the embedded trace names them."""
    return page.js("""(() => {
        const doc = JSON.parse(document.getElementById('trace-data').textContent);
        const cpu = doc.metadata.cpu_track_pid;
        const names = {};
        for (const e of doc.traceEvents)
            if (e.ph === 'M' && e.name === 'thread_name' && e.pid !== cpu)
                names[e.tid] = e.args.name;
        const tids = new Set(doc.traceEvents.filter(e => e.ph !== 'M' && e.pid !== cpu)
                                            .map(e => e.tid));
        return [...tids].sort((a, b) => a - b).map(t => names[t] + '-' + t);
    })()""")


def run_glasskernel(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glasskernel", *args], capture_output=True,
                          text=True, timeout=120, cwd=HERE.parent)


# ----- the hand-built recording in the browser --------------------------------------------

@pytest.fixture(scope="module")
def story_page(browser, tmp_path_factory):
    path = tmp_path_factory.mktemp("timeline") / "story.html"
    write_timeline(cases.recording(), str(path))
    return Page(browser, path)


@needs_chromium
def test_story_page_has_no_console_errors(story_page):
    assert story_page.js("typeof glasskernelTimeline") == "object"
    assert story_page.errors() == []


@needs_chromium
def test_story_page_has_one_lane_per_task(story_page):
    lanes = story_page.js("glasskernelTimeline.lanes()")
    assert [lane["label"] for lane in lanes] == ["sh-2", "sh-3", "worker-5"]
    assert [lane["label"] for lane in lanes] == lane_labels_in_data(story_page)
    depth = {lane["label"]: lane["depth"] for lane in lanes}
    assert depth["sh-2"] == 4                       # clone > kernel_clone > ... > copy_files
    assert story_page.js("document.getElementById('empty').hidden") is True


@needs_chromium
def test_hovering_a_slice_shows_its_details(story_page):
    where = story_page.hover_slice("copy_process")
    tip = story_page.tooltip()
    assert tip["hidden"] is False
    for expected in ("copy_process", "task\tsh-2", "duration\t300 ns", "flags\tSIGCHLD",
                     "ret\t3"):
        assert expected in tip["text"]
    drawn = story_page.js(f"""(() => {{
        const c = document.getElementById('canvas'), r = c.getBoundingClientRect();
        const d = window.devicePixelRatio || 1;
        return Array.from(c.getContext('2d').getImageData(
            ({where['x']} - r.left) * d, ({where['y']} - r.top) * d, 1, 1).data);
    }})()""")
    assert drawn[:3] != [255, 255, 255] and drawn[3] == 255           # the slice is painted
    story_page.mouse("mouseMoved", 5, 5)                              # away: the header
    assert story_page.tooltip()["hidden"] is True
    assert story_page.errors() == []


@needs_chromium
def test_hovering_the_cpu_track_names_the_running_task(story_page):
    story_page.hover_slice("worker-5")
    text = story_page.tooltip()["text"]
    assert "worker-5" in text and "task\tCPU 0" in text and "comm\tworker" in text


@needs_chromium
def test_flows_are_drawn_between_lanes(story_page):
    flows = story_page.js("glasskernelTimeline.model.flows.map(f => "
                          "[f.cat, f.from.lane.tid, f.to.lane.tid])")
    assert sorted(flows) == [["fork", 2, 3], ["pipe", 3, 2]]


@needs_chromium
def test_wheel_zooms_and_drag_pans(story_page):
    story_page.js("glasskernelTimeline.fit()")
    span = "(() => { const v = glasskernelTimeline.view(); return v.t1 - v.t0; })()"
    full = story_page.js(span)
    rect = story_page.js("(() => { const r = document.getElementById('canvas')"
                         ".getBoundingClientRect(); return {x: r.left + 600, y: r.top + 60}; })()")
    story_page.mouse("mouseWheel", rect["x"], rect["y"], deltaX=0, deltaY=-400)
    zoomed = story_page.js(span)
    assert zoomed < full * 0.8
    before = story_page.js("glasskernelTimeline.view().t0")
    story_page.mouse("mousePressed", rect["x"], rect["y"], button="left", clickCount=1)
    story_page.mouse("mouseMoved", rect["x"] - 200, rect["y"], button="left", buttons=1)
    story_page.mouse("mouseReleased", rect["x"] - 200, rect["y"], button="left", clickCount=1)
    assert story_page.js("glasskernelTimeline.view().t0") > before      # dragged left: later
    assert story_page.js(span) == pytest.approx(zoomed)
    story_page.js("document.getElementById('zoom-in').click()")
    assert story_page.js(span) == pytest.approx(zoomed / 2)
    story_page.js("document.getElementById('zoom-fit').click()")
    assert story_page.js(span) == pytest.approx(full)
    assert story_page.errors() == []


@needs_chromium
def test_empty_recording_page_says_so(browser, tmp_path):
    path = tmp_path / "empty.html"
    write_timeline(cases.Recorder(), str(path))
    page = Page(browser, path)
    assert page.js("glasskernelTimeline.lanes().length") == 0
    assert page.js("document.getElementById('empty').hidden") is False
    assert page.errors() == []


# ----- a real run ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox-static missing")
    out = tmp_path_factory.mktemp("real")
    for name in ("run.html", "run.json"):
        proc = run_glasskernel("run", "--deterministic", "--timeline", str(out / name),
                               BUSYBOX, "sh", "-c", "echo hi | cat")
        assert (proc.returncode, proc.stdout) == (0, "hi\n"), proc.stderr
    return out


@needs_busybox
def test_real_run_json_is_valid(real_run):
    doc = json.loads((real_run / "run.json").read_text())
    assert cases.trace_problems(doc) == []
    assert doc["metadata"]["command"] == f"{BUSYBOX} sh -c echo hi | cat"
    tids = {e["tid"] for e in doc["traceEvents"] if e["ph"] != "M"} - {CPU_TRACK_PID}
    names = {e["tid"] for e in doc["traceEvents"] if e["name"] == "thread_name"}
    assert tids <= names
    forks = [e for e in doc["traceEvents"] if e["ph"] == "s" and e["cat"] == "fork"]
    clones = [e for e in doc["traceEvents"] if e["ph"] == "B" and e["name"] == "kernel_clone"]
    assert len(forks) == len(clones)          # every child that ran got its arrow
    if clones:                                # the shell forked echo's and cat's processes
        assert len(tids) >= 3


@needs_chromium
@needs_busybox
def test_real_run_page_renders(browser, real_run):
    page = Page(browser, real_run / "run.html")
    lanes = [lane["label"] for lane in page.js("glasskernelTimeline.lanes()")]
    assert lanes == lane_labels_in_data(page) and lanes
    assert any(label.endswith("-2") for label in lanes)               # the first program
    arrows = page.js("glasskernelTimeline.model.flows.length")
    assert arrows == page.js("JSON.parse(document.getElementById('trace-data').textContent)"
                             ".traceEvents.filter(e => e.ph === 's').length")
    names = page.js("[...new Set(glasskernelTimeline.model.lanes.flatMap("
                    "l => l.slices.map(s => s.name)))]")
    for name in [n for n in ("copy_process", "do_execveat_common") if n in names] or names[:1]:
        page.hover_slice(name)
        tip = page.tooltip()
        assert tip["hidden"] is False and name in tip["text"] and "duration" in tip["text"]
    assert page.errors() == []

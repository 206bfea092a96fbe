"""The timeline as one self-contained HTML page (``--timeline FILE.html``).

The page needs no network: the template, the style sheet and the viewer script
(timeline_assets/) are inlined, and the trace-event document that the JSON output would
hold is embedded as a JSON script element, which the viewer reads and draws on a canvas.
"""
import html
import json
import re
from importlib import resources

from glasskernel.tools.timeline.timeline import build_trace

_PACKAGE = "glasskernel.tools.timeline"
_SLOT = re.compile(r"\{\{([A-Z]+)\}\}")


def render_html(recorder) -> str:
    """The page for a recording."""
    return page_for_trace(build_trace(recorder))


def page_for_trace(trace: dict) -> str:
    """The page for an already built trace-event document."""
    command = trace.get("metadata", {}).get("command") or "(no command)"
    command = command.encode("utf-8", "backslashreplace").decode("utf-8")   # undecodable argv
    script = _asset("timeline.js")
    if "</script" in script.lower():
        raise ValueError("timeline.js must not contain a closing script tag")
    slots = {
        "TITLE": html.escape(command),
        "CSS": _asset("timeline.css"),
        "JS": script,
        "DATA": embed_json(trace),
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], _asset("timeline.html"))


def embed_json(value) -> str:
    """JSON that can sit inside a <script> element: no '<', '>' or '&' appears literally
    (they only occur inside JSON strings, where the \\u escapes mean the same)."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _asset(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("timeline_assets", name).read_text(encoding="utf-8")

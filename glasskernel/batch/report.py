"""OUTDIR/report.html: the batch's rows as one offline page with a sortable table.

No network: the style and the sorting script are inline. Each row links to the job's
timeline page, its process tree and its saved output (paths relative to OUTDIR, so the
directory can be copied or zipped whole). A click on a column head sorts by it (numbers
as numbers); the failed checks' reasons are under each failing row.
"""
import html
import os

from glasskernel.batch.summary import counts, status_text

STYLE = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em;margin:0 0 .3em}
.counts span{margin-right:1.2em;font-weight:600}
table{border-collapse:collapse;width:100%;margin-top:1em}
th,td{border-bottom:1px solid #ddd;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:" \\25B2"} th.sorted-desc::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#176b2c;font-weight:600}.fail{color:#b3261e;font-weight:600}.error{color:#8a5a00;font-weight:600}
tr.row-fail td,tr.row-error td{background:#fff6f5}
td.links{white-space:nowrap}
td.id{min-width:22em}
.why{font-size:12px;color:#555;margin:.2em 0 0 0;padding-left:1.1em}
a{color:#0b57d0}
code{font-size:12px}
"""

SCRIPT = """
document.querySelectorAll('th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = document.querySelector('tbody');
    var asc = !th.classList.contains('sorted-asc');
    document.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
    th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.key || a.cells[col].textContent;
      var y = b.cells[col].dataset.key || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""

COLUMNS = ("id", "verdict", "exit", "processes", "syscalls", "time (s)", "memory (KiB)",
           "program", "input", "links")


def write_report(outdir: str, rows: list, title: str = "glasskernel batch") -> str:
    """Write OUTDIR/report.html for the rows; its path."""
    path = os.path.join(outdir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_report(rows, title))
    return path


def render_report(rows: list, title: str) -> str:
    c = counts(rows)
    head = "".join(f"<th>{html.escape(name)}</th>" for name in COLUMNS)
    body = "\n".join(_row_html(row) for row in rows)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
            f"<h1>{html.escape(title)}</h1>\n<p class=\"counts\"><span>{len(rows)} jobs</span>"
            f"<span class=\"pass\">{c['pass']} passed</span><span class=\"fail\">{c['fail']} failed</span>"
            f"<span class=\"error\">{c['error']} errors</span></p>\n"
            f"<table id=\"results\"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>\n"
            f"<script>{SCRIPT}</script></body></html>\n")


def _row_html(row: dict) -> str:
    verdict = row.get("verdict", "error")
    cells = [
        f"<td class=\"id\">{html.escape(row['id'])}{_reasons(row)}</td>",
        f"<td class=\"{verdict}\">{verdict}</td>",
        _cell(status_text(row)),
        _num(row.get("processes")),
        _num(row.get("syscalls")),
        _num(row.get("wall_time")),
        _num(None if row.get("peak_memory") is None else row["peak_memory"] // 1024),
        _cell(_short(row.get("program"))),
        _cell(_short(row.get("input"))),
        f"<td class=\"links\">{_links(row)}</td>",
    ]
    return f"<tr class=\"row-{verdict}\">{''.join(cells)}</tr>"


def _cell(text) -> str:
    return f"<td>{html.escape(str(text))}</td>"


def _short(path) -> str:
    """The last two parts of a path (subs/alice/a.out -> alice/a.out)."""
    return "/".join((path or "").split("/")[-2:]) if path else ""


def _num(value) -> str:
    if value is None:
        return "<td class=\"num\" data-key=\"-1\">-</td>"
    return f"<td class=\"num\">{value}</td>"


def _links(row: dict) -> str:
    names = (("timeline", "timeline"), ("tree", "process tree"), ("stdout", "stdout"),
             ("stderr", "stderr"))
    return " · ".join(f"<a href=\"{html.escape(row[key])}\">{label}</a>"
                      for key, label in names if row.get(key))


def _reasons(row: dict) -> str:
    """The failed checks' reasons (or the error) under the id."""
    items = [f"<li><b>{html.escape(name)}</b>: {html.escape(check.get('reason', ''))}</li>"
             for name, check in (row.get("checks") or {}).items() if not check.get("ok")]
    if row.get("error"):
        items.insert(0, f"<li>{html.escape(row['error'])}</li>")
    return f"<ul class=\"why\">{''.join(items)}</ul>" if items else ""

/* glasskernel timeline viewer.
 *
 * Reads the Chrome trace-event document embedded in the page (the same data
 * `--timeline FILE.json` writes) and draws it on one canvas: a time axis, the CPU track
 * (which task ran when), then one lane per task with its kernel spans nested in rows,
 * point events as small triangles on top of the lane, and flow arrows (fork -> child,
 * pipe writer -> reader). Wheel zooms, drag pans, hovering shows a slice's details.
 */
(function () {
  "use strict";

  const GUTTER = 170;        // px for the lane labels
  const AXIS = 28;           // px for the time axis
  const ROW = 17;            // px per nesting depth
  const MARKS = 10;          // px for point events at the top of a task lane
  const PAD = 6;             // px between lanes
  const CATEGORY_COLORS = {
    syscall: "#5b8fc7", fork: "#66b05a", exec: "#f0a14a", sched: "#b39a84",
    exit: "#e06666", signal: "#b784c4", pipe: "#5fbfb8", kernel: "#a9a9a9",
  };

  // ----- the model: lanes, slices, instants and flows from the trace events ------------

  function buildModel(doc) {
    const meta = doc.metadata || {};
    const cpuPid = meta.cpu_track_pid;
    const names = new Map();      // tid -> thread name
    const order = new Map();      // tid -> sort index
    const lanes = new Map();      // tid -> lane
    const cpu = { label: "CPU 0", cpu: true, slices: [], rows: [[]], instants: [], maxDepth: 0 };
    const openFlows = new Map();
    const flows = [];
    let minTs = Infinity;
    let maxTs = -Infinity;

    function laneOf(ev) {
      let lane = lanes.get(ev.tid);
      if (!lane) {
        lane = { tid: ev.tid, pid: ev.pid, slices: [], rows: [], instants: [], stack: [],
                 maxDepth: 0 };
        lanes.set(ev.tid, lane);
      }
      return lane;
    }

    for (const ev of doc.traceEvents || []) {
      if (ev.ph === "M") {
        if (ev.name === "thread_name") names.set(ev.tid, ev.args.name);
        if (ev.name === "thread_sort_index") order.set(ev.tid, ev.args.sort_index);
        continue;
      }
      const ts = ev.ts * 1000;   // back to nanoseconds
      minTs = Math.min(minTs, ts);
      maxTs = Math.max(maxTs, ts + (ev.dur || 0) * 1000);
      if (ev.pid === cpuPid) {
        if (ev.ph === "X") {
          cpu.slices.push({ name: ev.name, cat: "cpu", ts: ts, end: ts + ev.dur * 1000,
                            depth: 0, args: ev.args || {}, lane: cpu, pid: ev.args.pid });
        }
        continue;
      }
      const lane = laneOf(ev);
      const top = lane.stack.length - 1;
      if (ev.ph === "B") {
        const slice = { name: ev.name, cat: ev.cat, ts: ts, end: null, depth: lane.stack.length,
                        args: ev.args || {}, endArgs: {}, lane: lane };
        lane.slices.push(slice);
        lane.stack.push(slice);
        lane.maxDepth = Math.max(lane.maxDepth, slice.depth);
      } else if (ev.ph === "E" && top >= 0) {
        const slice = lane.stack.pop();
        slice.end = ts;
        slice.endArgs = ev.args || {};
      } else if (ev.ph === "i" || ev.ph === "I") {
        lane.instants.push({ name: ev.name, cat: ev.cat, ts: ts, args: ev.args || {}, lane: lane });
      } else if (ev.ph === "s" || ev.ph === "f") {
        const end = { lane: lane, ts: ts, depth: Math.max(top, 0) };
        const key = ev.cat + "\u0000" + ev.name + "\u0000" + ev.id;
        if (ev.ph === "s") {
          openFlows.set(key, end);
        } else if (openFlows.has(key)) {
          flows.push({ from: openFlows.get(key), to: end, name: ev.name, cat: ev.cat });
          openFlows.delete(key);
        }
      }
    }
    if (minTs === Infinity) {
      minTs = 0;
      maxTs = 0;
    }
    const taskLanes = Array.from(lanes.values());
    for (const lane of taskLanes) {
      for (const slice of lane.stack) slice.end = maxTs;   // never closed: to the end
      delete lane.stack;
      lane.name = names.get(lane.tid) || "?";
      lane.label = lane.name + "-" + lane.tid;
      lane.rows = rowsByDepth(lane.slices, lane.maxDepth);
    }
    cpu.rows = [cpu.slices];
    taskLanes.sort((a, b) => (order.get(a.tid) ?? a.tid) - (order.get(b.tid) ?? b.tid));
    return { cpu: cpu, lanes: taskLanes, flows: flows, minTs: minTs, maxTs: maxTs,
             command: meta.command || "" };
  }

  function rowsByDepth(slices, maxDepth) {
    const rows = [];
    for (let d = 0; d <= maxDepth; d++) rows.push([]);
    for (const slice of slices) rows[slice.depth].push(slice);   // already in time order
    return rows;
  }

  // ----- geometry ---------------------------------------------------------------------

  function layout(model) {
    let y = AXIS;
    const all = [model.cpu].concat(model.lanes);
    for (const lane of all) {
      lane.y = y;
      lane.top = lane.cpu ? y + 2 : y + MARKS;          // first slice row
      lane.height = (lane.top - y) + (lane.maxDepth + 1) * ROW + PAD;
      y += lane.height;
    }
    return y;
  }

  function niceStep(span) {
    const raw = span / 8;
    const pow = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) {
      if (m * pow >= raw) return m * pow;
    }
    return 10 * pow;
  }

  function formatNs(ns) {
    const abs = Math.abs(ns);
    if (abs >= 1e9) return (ns / 1e9).toFixed(abs >= 1e10 ? 2 : 3) + " s";
    if (abs >= 1e6) return (ns / 1e6).toFixed(abs >= 1e7 ? 2 : 3) + " ms";
    if (abs >= 1e3) return (ns / 1e3).toFixed(abs >= 1e4 ? 2 : 3) + " \u00b5s";
    return Math.round(ns) + " ns";
  }

  function taskColor(pid) {
    return "hsl(" + ((pid * 67) % 360) + ", 55%, 62%)";
  }

  function sliceColor(slice) {
    if (slice.cat === "cpu") return taskColor(slice.pid);
    return CATEGORY_COLORS[slice.cat] || CATEGORY_COLORS.kernel;
  }

  // ----- the view ---------------------------------------------------------------------

  function Timeline(doc, canvas, tooltip) {
    this.model = buildModel(doc);
    this.canvas = canvas;
    this.tooltip = tooltip;
    this.ctx = canvas.getContext("2d");
    this.height = layout(this.model);
    this.hovered = null;
    this.fit();
  }

  Timeline.prototype.fit = function () {
    const span = Math.max(this.model.maxTs - this.model.minTs, 1000);
    this.t0 = this.model.minTs - span * 0.01;
    this.t1 = this.model.maxTs + span * 0.01;
  };

  Timeline.prototype.width = function () {
    return this.canvas.parentElement.clientWidth || 800;
  };

  Timeline.prototype.scale = function () {          // px per ns
    return (this.width() - GUTTER) / (this.t1 - this.t0);
  };

  Timeline.prototype.x = function (ts) {
    return GUTTER + (ts - this.t0) * this.scale();
  };

  Timeline.prototype.timeAt = function (x) {
    return this.t0 + (x - GUTTER) / this.scale();
  };

  Timeline.prototype.zoom = function (factor, atX) {
    const fullSpan = Math.max(this.model.maxTs - this.model.minTs, 1000);
    const anchor = this.timeAt(atX === undefined ? (GUTTER + this.width()) / 2 : atX);
    const span = Math.min(Math.max((this.t1 - this.t0) * factor, 20), fullSpan * 4);
    const frac = (anchor - this.t0) / (this.t1 - this.t0);
    this.t0 = anchor - span * frac;
    this.t1 = this.t0 + span;
    this.draw();
  };

  Timeline.prototype.pan = function (dxPixels) {
    const dt = dxPixels / this.scale();
    this.t0 -= dt;
    this.t1 -= dt;
    this.draw();
  };

  // ----- drawing ----------------------------------------------------------------------

  Timeline.prototype.draw = function () {
    const dpr = window.devicePixelRatio || 1;
    const w = this.width();
    const h = this.height;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.canvas.style.width = w + "px";
      this.canvas.style.height = h + "px";
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    const all = [this.model.cpu].concat(this.model.lanes);
    all.forEach((lane, i) => this.drawLane(lane, i, w));
    this.drawFlows(w);
    this.drawAxis(w, h);
    this.drawLabels(all);
  };

  Timeline.prototype.drawLane = function (lane, i, w) {
    const ctx = this.ctx;
    ctx.fillStyle = i % 2 ? "#f2f2f2" : "#ffffff";
    ctx.fillRect(GUTTER, lane.y, w - GUTTER, lane.height);
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, lane.y, w - GUTTER, lane.height);
    ctx.clip();
    for (const row of lane.rows) {
      for (let k = firstVisible(row, this.t0); k < row.length && row[k].ts <= this.t1; k++) {
        this.drawSlice(row[k], lane);
      }
    }
    for (const mark of lane.instants) {
      if (mark.ts >= this.t0 && mark.ts <= this.t1) this.drawInstant(mark, lane);
    }
    ctx.restore();
  };

  Timeline.prototype.drawSlice = function (slice, lane) {
    const ctx = this.ctx;
    const x0 = Math.max(this.x(slice.ts), GUTTER - 2);
    const x1 = Math.min(this.x(slice.end), this.width() + 2);
    const width = Math.max(x1 - x0, 1.5);
    const y = lane.top + slice.depth * ROW;
    ctx.fillStyle = sliceColor(slice);
    ctx.fillRect(x0, y, width, ROW - 2);
    if (slice === this.hovered) {
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0, y, width, ROW - 2);
    }
    if (width > 28) {
      ctx.fillStyle = "#111";
      ctx.fillText(fitText(ctx, slice.name, width - 6), x0 + 3, y + (ROW - 2) / 2);
    }
  };

  Timeline.prototype.drawInstant = function (mark, lane) {
    const ctx = this.ctx;
    const x = this.x(mark.ts);
    ctx.fillStyle = mark === this.hovered ? "#000" : (CATEGORY_COLORS[mark.cat] || "#777");
    ctx.beginPath();
    ctx.moveTo(x - 4, lane.y + 1);
    ctx.lineTo(x + 4, lane.y + 1);
    ctx.lineTo(x, lane.y + MARKS - 1);
    ctx.closePath();
    ctx.fill();
  };

  Timeline.prototype.drawFlows = function (w) {
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, AXIS, w - GUTTER, this.height - AXIS);
    ctx.clip();
    ctx.strokeStyle = "rgba(40, 40, 40, 0.75)";
    ctx.fillStyle = "rgba(40, 40, 40, 0.85)";
    ctx.lineWidth = 1.2;
    for (const flow of this.model.flows) {
      const x1 = this.x(flow.from.ts);
      const y1 = flow.from.lane.top + flow.from.depth * ROW + ROW / 2;
      const x2 = this.x(flow.to.ts);
      const y2 = flow.to.lane.top + flow.to.depth * ROW + ROW / 2;
      if (Math.max(x1, x2) < GUTTER || Math.min(x1, x2) > w) continue;
      const bend = Math.max(24, Math.abs(x2 - x1) / 2);
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.bezierCurveTo(x1 + bend, y1, x2 - bend, y2, x2, y2);
      ctx.stroke();
      ctx.beginPath();               // arrowhead, pointing right into the target
      ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - 7, y2 - 4);
      ctx.lineTo(x2 - 7, y2 + 4);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  };

  Timeline.prototype.drawAxis = function (w, h) {
    const ctx = this.ctx;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, AXIS);
    const step = niceStep(this.t1 - this.t0);
    const origin = this.model.minTs;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.08)";
    ctx.fillStyle = "#555";
    ctx.lineWidth = 1;
    const first = Math.ceil((this.t0 - origin) / step) * step + origin;
    for (let t = first; t <= this.t1; t += step) {
      const x = Math.round(this.x(t)) + 0.5;
      if (x < GUTTER) continue;
      ctx.beginPath();
      ctx.moveTo(x, AXIS - 6);
      ctx.lineTo(x, h);
      ctx.stroke();
      ctx.fillText(formatNs(t - origin), x + 3, AXIS / 2);
    }
    ctx.strokeStyle = "#ccc";
    ctx.beginPath();
    ctx.moveTo(0, AXIS - 0.5);
    ctx.lineTo(w, AXIS - 0.5);
    ctx.stroke();
  };

  Timeline.prototype.drawLabels = function (all) {
    const ctx = this.ctx;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, AXIS, GUTTER, this.height - AXIS);
    for (const lane of all) {
      const mid = lane.y + lane.height / 2 - PAD / 2;
      if (!lane.cpu) {
        ctx.fillStyle = taskColor(lane.tid);
        ctx.fillRect(6, mid - 5, 10, 10);
      }
      ctx.fillStyle = "#222";
      ctx.font = lane.cpu ? "bold 12px system-ui, sans-serif" : "12px system-ui, sans-serif";
      ctx.fillText(fitText(ctx, lane.label, GUTTER - 30), 22, mid);
      ctx.strokeStyle = "#e3e3e3";
      ctx.beginPath();
      ctx.moveTo(0, lane.y + lane.height - 0.5);
      ctx.lineTo(GUTTER, lane.y + lane.height - 0.5);
      ctx.stroke();
    }
    ctx.font = "11px system-ui, sans-serif";
  };

  function firstVisible(row, t0) {
    let lo = 0;
    let hi = row.length;
    while (lo < hi) {                 // first slice whose end is at or after t0
      const mid = (lo + hi) >> 1;
      if (row[mid].end < t0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function fitText(ctx, text, room) {
    if (ctx.measureText(text).width <= room) return text;
    let n = text.length;
    while (n > 1 && ctx.measureText(text.slice(0, n) + "\u2026").width > room) n--;
    return n > 1 ? text.slice(0, n) + "\u2026" : "";
  }

  // ----- hit testing and the tooltip --------------------------------------------------

  Timeline.prototype.itemAt = function (x, y) {
    if (x < GUTTER || y < AXIS) return null;
    const lane = [this.model.cpu].concat(this.model.lanes)
      .find((l) => y >= l.y && y < l.y + l.height);
    if (!lane) return null;
    const slack = 3 / this.scale();               // a few px of tolerance, in ns
    const t = this.timeAt(x);
    if (!lane.cpu && y < lane.top) {
      let best = null;
      for (const mark of lane.instants) {
        const d = Math.abs(mark.ts - t);
        if (d <= slack * 2 && (!best || d < Math.abs(best.ts - t))) best = mark;
      }
      return best;
    }
    const row = lane.rows[Math.floor((y - lane.top) / ROW)];
    if (!row) return null;
    let k = firstVisible(row, t - slack);
    for (; k < row.length && row[k].ts <= t + slack; k++) {
      if (row[k].end >= t - slack) return row[k];
    }
    return null;
  };

  Timeline.prototype.showTooltip = function (item, clientX, clientY) {
    const tip = this.tooltip;
    tip.textContent = "";
    const title = document.createElement("div");
    title.className = "title";
    title.textContent = item.name;
    tip.appendChild(title);
    const table = document.createElement("table");
    const origin = this.model.minTs;
    const rows = [["task", item.lane.label]];
    if (item.end === undefined) {
      rows.push(["at", formatNs(item.ts - origin)]);
    } else {
      rows.push(["start", formatNs(item.ts - origin)], ["end", formatNs(item.end - origin)],
                ["duration", formatNs(item.end - item.ts)]);
    }
    for (const [key, value] of Object.entries(item.args || {})) rows.push([key, value]);
    for (const [key, value] of Object.entries(item.endArgs || {})) rows.push([key, value]);
    for (const [key, value] of rows) {
      const tr = table.insertRow();
      const th = document.createElement("th");
      th.textContent = key;
      tr.appendChild(th);
      tr.insertCell().textContent = typeof value === "string" ? value : JSON.stringify(value);
    }
    tip.appendChild(table);
    tip.hidden = false;
    const left = Math.min(clientX + 14, window.innerWidth - tip.offsetWidth - 4);
    const top = clientY + 16 + tip.offsetHeight > window.innerHeight ?
      clientY - tip.offsetHeight - 8 : clientY + 16;
    tip.style.left = Math.max(left, 0) + "px";
    tip.style.top = Math.max(top, 0) + "px";
  };

  Timeline.prototype.hover = function (item, clientX, clientY) {
    if (item !== this.hovered) {
      this.hovered = item;
      this.draw();
    }
    if (item) this.showTooltip(item, clientX, clientY); else this.tooltip.hidden = true;
  };

  // ----- input ------------------------------------------------------------------------

  Timeline.prototype.listen = function (buttons) {
    const canvas = this.canvas;
    let drag = null;
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const pos = canvasPos(canvas, e);
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        this.pan(-(e.deltaX || e.deltaY));
      } else {
        this.zoom(Math.exp(e.deltaY * 0.0015), pos.x);
      }
    }, { passive: false });
    canvas.addEventListener("mousedown", (e) => {
      drag = { x: e.clientX };
      canvas.classList.add("dragging");
      this.hover(null);
    });
    window.addEventListener("mouseup", () => {
      drag = null;
      canvas.classList.remove("dragging");
    });
    window.addEventListener("mousemove", (e) => {
      if (drag) {
        this.pan(e.clientX - drag.x);
        drag.x = e.clientX;
        return;
      }
      if (e.target !== canvas) {
        if (this.hovered) this.hover(null);
        return;
      }
      const pos = canvasPos(canvas, e);
      this.hover(this.itemAt(pos.x, pos.y), e.clientX, e.clientY);
    });
    canvas.addEventListener("mouseleave", () => { if (!drag) this.hover(null); });
    buttons.zoomIn.addEventListener("click", () => this.zoom(0.5));
    buttons.zoomOut.addEventListener("click", () => this.zoom(2));
    buttons.fit.addEventListener("click", () => { this.fit(); this.draw(); });
    window.addEventListener("keydown", (e) => {
      if (e.key === "+" || e.key === "=") this.zoom(0.5);
      else if (e.key === "-") this.zoom(2);
      else if (e.key === "0") { this.fit(); this.draw(); }
    });
    window.addEventListener("resize", () => this.draw());
  };

  function canvasPos(canvas, e) {
    const rect = canvas.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  // ----- for tests and the curious: where things are ------------------------------------

  Timeline.prototype.api = function () {
    const self = this;
    return {
      model: this.model,
      view: () => ({ t0: this.t0, t1: this.t1 }),
      fit: () => { this.fit(); this.draw(); },
      lanes: () => this.model.lanes.map((l) => ({ label: l.label, tid: l.tid, pid: l.pid,
                                                 depth: l.maxDepth + 1 })),
      /** Zoom onto the n-th slice called name and return its centre in client pixels. */
      reveal: function (name, n) {
        const all = [self.model.cpu].concat(self.model.lanes);
        const found = all.flatMap((l) => l.slices).filter((s) => s.name === name)[n || 0];
        if (!found) return null;
        const dur = Math.max(found.end - found.ts, 10);
        self.t0 = found.ts - dur;
        self.t1 = found.end + dur;
        self.draw();
        const y = found.lane.top + found.depth * ROW + ROW / 2;
        const rect = self.canvas.getBoundingClientRect();
        window.scrollBy(0, rect.top + y - window.innerHeight / 2);
        const now = self.canvas.getBoundingClientRect();
        return { x: now.left + (self.x(found.ts) + self.x(found.end)) / 2, y: now.top + y };
      },
    };
  };

  function main() {
    const doc = JSON.parse(document.getElementById("trace-data").textContent);
    const timeline = new Timeline(doc, document.getElementById("canvas"),
                                  document.getElementById("tooltip"));
    document.getElementById("empty").hidden = timeline.model.lanes.length > 0;
    timeline.listen({ zoomIn: document.getElementById("zoom-in"),
                      zoomOut: document.getElementById("zoom-out"),
                      fit: document.getElementById("zoom-fit") });
    timeline.draw();
    window.glasskernelTimeline = timeline.api();
  }

  main();
})();

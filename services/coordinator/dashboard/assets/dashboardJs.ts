/** /dashboard/app.js: polls /api/health/aggregate, /api/internals, /learning/summary and /logs/recent every 2 s. Kept free of backticks and dollar-brace. */
export const dashboardJs = `
// The command center: polls the coordinator every 2 s. No framework; DOM built with textContent only.
"use strict";
(function () {
  var REFRESH_MS = 2000;
  var MAX_LOG_LINES = 50;
  var lastLogId = 0;
  var logLines = [];

  function byId(id) {
    return document.getElementById(id);
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function getJson(url) {
    return fetch(url, { cache: "no-store", headers: { accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + " answered HTTP " + r.status);
      return r.json();
    });
  }
  function percent(rate) {
    return rate === null || rate === undefined ? null : (rate * 100).toFixed(1) + " %";
  }
  function setField(name, value, note) {
    var dd = document.querySelector('[data-field="' + name + '"]');
    if (!dd) return;
    dd.classList.remove("pending");
    dd.textContent = value;
    if (note) dd.appendChild(el("span", "note", note));
  }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString([], { hour12: false });
  }

  function renderHealth(h) {
    var overall = byId("overall");
    overall.className = "pill " + h.overall_status;
    overall.dataset.status = h.overall_status;
    overall.textContent = h.overall_status;

    var tiles = byId("tiles");
    tiles.replaceChildren();
    h.services.forEach(function (s) {
      var tile = el("div", "tile " + s.status);
      tile.dataset.service = s.name;
      tile.dataset.status = s.status;
      tile.appendChild(el("div", "name", s.name));
      tile.appendChild(el("div", "status", s.status));
      var latency = s.latency_ms === null ? "" : " · " + Math.round(s.latency_ms) + " ms";
      tile.appendChild(el("div", "detail mode", "check: " + s.check_mode + latency));
      tile.appendChild(el("div", "detail target", s.target));
      if (s.error) tile.appendChild(el("div", "error", s.error));
      tiles.appendChild(tile);
    });
    h.skipped.forEach(function (s) {
      var tile = el("div", "tile skipped");
      tile.dataset.service = s.name;
      tile.dataset.status = "skipped";
      tile.appendChild(el("div", "name", s.name));
      tile.appendChild(el("div", "status", "not checked"));
      tile.appendChild(el("div", "detail", s.reason));
      tiles.appendChild(tile);
    });

    var down = h.services.filter(function (s) {
      return s.status === "down";
    });
    if (down.length || h.overall_status === "down") {
      showBanner(
        (h.overall_status === "down" ? "The coordinator cannot answer. " : "") +
          "Down: " +
          down
            .map(function (s) {
              return s.name + (s.error ? " (" + s.error + ")" : "");
            })
            .join(", "),
      );
    } else {
      showBanner(null);
    }
  }

  function showBanner(text) {
    var banner = byId("banner");
    banner.hidden = !text;
    banner.textContent = text || "";
  }

  function renderInternals(x) {
    var sc = x.semantic_cache;
    setField("semantic_cache", percent(sc.hit_rate) || "no lookups", sc.hits + " hits / " + sc.misses + " misses" + (sc.enabled ? "" : " (cache disabled)"));
    var ec = x.embedding_cache;
    if (ec.error) setField("embedding_cache", "unavailable", ec.error);
    else setField("embedding_cache", percent(ec.hit_rate) || "no lookups", ec.hits + " hits / " + ec.misses + " misses");
    var r = x.routing;
    setField("split", r.local + " / " + r.remote, r.local_share === null ? "no decisions yet" : percent(r.local_share) + " local");
    var c = x.compression;
    setField("compression", String(c.tokens_compressed), c.queries + " queries in " + Math.round(c.window_s / 60) + " min" + (c.enabled ? "" : " (compression off)"));
    var g = x.generation;
    if (g.error) {
      setField("tokens_per_second", "unavailable", g.error);
      setField("mean_tokens_per_second", "unavailable", g.error);
    } else {
      setField("tokens_per_second", g.tokens_per_second === null ? "measuring" : g.tokens_per_second.toFixed(1), g.tokens_generated_total + " tokens generated");
      setField("mean_tokens_per_second", g.mean_request_tokens_per_second === null ? "no answers yet" : g.mean_request_tokens_per_second.toFixed(1), "local inference");
    }

    var body = byId("routing").tBodies[0];
    body.replaceChildren();
    if (!r.decisions.length) {
      var empty = el("tr");
      var td = el("td", "", "no routing decisions yet");
      td.colSpan = 3;
      empty.appendChild(td);
      body.appendChild(empty);
    }
    r.decisions.forEach(function (d) {
      var tr = el("tr");
      tr.dataset.backend = d.backend;
      tr.appendChild(el("td", "", d.backend));
      tr.appendChild(el("td", "", d.reason));
      tr.appendChild(el("td", "num", d.count));
      body.appendChild(tr);
    });
    var fb = byId("fallbacks");
    fb.hidden = !r.fallbacks.length;
    fb.tBodies[0].replaceChildren();
    r.fallbacks.forEach(function (f) {
      var tr = el("tr");
      tr.appendChild(el("td", "", f.from + " → " + f.to));
      tr.appendChild(el("td", "", f.reason));
      tr.appendChild(el("td", "num", f.count));
      fb.tBodies[0].appendChild(tr);
    });
  }

  var SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) {
      node.setAttribute(k, String(attrs[k]));
    });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  // A line over time in a 300x90 box: values between lo and hi, an optional dashed floor.
  function chart(id, points, lo, hi, floor, label) {
    var svg = byId(id);
    svg.replaceChildren();
    svg.dataset.points = String(points.length);
    if (!points.length) {
      svg.appendChild(svgEl("text", { x: 150, y: 48, "text-anchor": "middle", class: "axis" }, "no data yet"));
      return;
    }
    var x = function (i) {
      return points.length === 1 ? 150 : 20 + (i * 270) / (points.length - 1);
    };
    var y = function (v) {
      return 80 - ((v - lo) / (hi - lo || 1)) * 70;
    };
    if (floor !== null) svg.appendChild(svgEl("line", { x1: 20, x2: 290, y1: y(floor), y2: y(floor), class: "floor" }));
    svg.appendChild(svgEl("polyline", { class: "line", points: points.map(function (p, i) { return x(i) + "," + y(p); }).join(" ") }));
    points.forEach(function (p, i) {
      svg.appendChild(svgEl("circle", { class: "dot", cx: x(i), cy: y(p), r: 2.5 }));
    });
    svg.appendChild(svgEl("text", { x: 2, y: 12, class: "axis" }, label(hi)));
    svg.appendChild(svgEl("text", { x: 2, y: 86, class: "axis" }, label(lo)));
  }
  function emptyRow(body, columns, text) {
    var tr = el("tr");
    var td = el("td", "", text);
    td.colSpan = columns;
    tr.appendChild(td);
    body.appendChild(tr);
  }

  function renderLearning(x) {
    var history = x.threshold_history;
    setField("threshold", x.threshold.toFixed(3), history.length ? history.length + " change" + (history.length === 1 ? "" : "s") + ", last " + clock(history[history.length - 1].at) : "never changed");
    var runs = x.eval_runs.slice().reverse(); // oldest first
    var last = runs[runs.length - 1];
    if (!last) setField("eval_score", "no runs yet", "aq eval");
    else setField("eval_score", last.score === null ? "n/a" : percent(last.score), last.suite + ", floor " + percent(last.floor) + (last.score !== null && last.score < last.floor ? " (BELOW)" : ""));
    setField("open_proposals", String(x.open_proposals.length), "aq proposals list");
    setField("dlq_depth", String(x.dlq_depth), x.dlq_depth ? "aq dlq list" : "nothing waiting");
    if (x.error) setField("dlq_depth", "unavailable", x.error);

    var thresholds = history.length ? [history[0].from].concat(history.map(function (h) { return h.to; })) : [x.threshold];
    chart("threshold-chart", thresholds, 0, 1, null, function (v) { return v.toFixed(1); });
    chart("eval-chart", runs.filter(function (r) { return r.score !== null; }).map(function (r) { return r.score; }), 0, 1, last ? last.floor : null, function (v) { return Math.round(v * 100) + "%"; });

    var hb = byId("threshold-history").tBodies[0];
    hb.replaceChildren();
    if (!history.length) emptyRow(hb, 4, "no threshold change applied yet");
    history.slice().reverse().forEach(function (h) {
      var tr = el("tr");
      tr.dataset.proposal = h.proposal_id;
      tr.appendChild(el("td", "", new Date(h.at).toLocaleString()));
      tr.appendChild(el("td", "num", h.from.toFixed(3)));
      tr.appendChild(el("td", "num", h.to.toFixed(3)));
      tr.appendChild(el("td", "", h.actor));
      hb.appendChild(tr);
    });
    var pb = byId("proposals").tBodies[0];
    pb.replaceChildren();
    if (!x.open_proposals.length) emptyRow(pb, 4, "no open proposals");
    x.open_proposals.forEach(function (p) {
      var q = p.proposal;
      var tr = el("tr");
      tr.dataset.proposal = p.id;
      tr.appendChild(el("td", "", q.type + " (" + p.id.slice(0, 8) + ")"));
      tr.appendChild(el("td", "", q.target + ": " + (q.current_value === null ? "—" : q.current_value) + " → " + q.proposed_value));
      tr.appendChild(el("td", "num", q.confidence.toFixed(2)));
      tr.appendChild(el("td", "", q.evidence.summary));
      pb.appendChild(tr);
    });
  }

  var hidden = { id: 1, time: 1, level: 1, msg: 1, service: 1, pid: 1, name: 1, hostname: 1 };
  function renderLogs(page) {
    if (page.last_id < lastLogId) logLines = []; // the coordinator restarted
    lastLogId = page.last_id;
    logLines = logLines.concat(page.lines).slice(-MAX_LOG_LINES);
    var list = byId("logs");
    list.replaceChildren();
    logLines
      .slice()
      .reverse()
      .forEach(function (l) {
        var li = el("li", "level-" + l.level);
        li.dataset.id = l.id;
        li.appendChild(el("time", "", clock(l.time)));
        li.appendChild(el("span", "lvl", l.level));
        li.appendChild(el("span", "msg", l.msg));
        var extra = Object.keys(l)
          .filter(function (k) {
            return !hidden[k] && (typeof l[k] !== "object" || l[k] === null);
          })
          .map(function (k) {
            return k + "=" + l[k];
          })
          .join(" ");
        if (extra) li.appendChild(el("span", "extra", extra));
        list.appendChild(li);
      });
  }

  function refresh() {
    var started = Date.now();
    return Promise.allSettled([
      getJson("/api/health/aggregate").then(renderHealth),
      getJson("/api/internals").then(renderInternals),
      getJson("/learning/summary").then(renderLearning),
      getJson("/logs/recent?since=" + lastLogId + (lastLogId === 0 ? "&limit=" + MAX_LOG_LINES : "")).then(renderLogs),
    ]).then(function (results) {
      var failed = results.filter(function (r) {
        return r.status === "rejected";
      });
      if (failed.length === results.length) {
        var overall = byId("overall");
        overall.className = "pill down";
        overall.dataset.status = "unreachable";
        overall.textContent = "unreachable";
        showBanner("The coordinator does not answer: " + failed[0].reason.message);
      } else {
        byId("updated").textContent = new Date().toLocaleTimeString([], { hour12: false });
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || "0") + 1);
      }
      setTimeout(refresh, Math.max(0, REFRESH_MS - (Date.now() - started)));
    });
  }

  refresh();
})();
`;

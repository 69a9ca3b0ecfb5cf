/** /dashboard/app.js: polls /api/health/aggregate, /api/internals and /logs/recent every 2 s. Kept free of backticks and dollar-brace. */
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

export const dashboardCss = `:root {
  color-scheme: dark;
  --bg: #0d1117; --panel: #161b22; --border: #30363d; --text: #e6edf3; --muted: #8b949e;
  --ok: #2ea043; --degraded: #d29922; --down: #da3633; --skipped: #484f58;
  font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; justify-content: space-between; align-items: center; padding: 12px 20px; border-bottom: 1px solid var(--border); }
h1 { margin: 0; font-size: 1.25rem; }
h2 { margin: 0 0 10px; font-size: 1rem; }
.sub { color: var(--muted); font-weight: normal; font-size: 0.85em; }
.meta { display: flex; gap: 14px; align-items: center; color: var(--muted); font-size: 0.85rem; }
.pill { padding: 3px 10px; border-radius: 999px; font-weight: 600; text-transform: uppercase; font-size: 0.75rem; background: var(--skipped); color: #fff; }
.pill.healthy { background: var(--ok); }
.pill.degraded { background: var(--degraded); }
.pill.down { background: var(--down); }
.banner { margin: 12px 20px 0; padding: 10px 14px; border-radius: 6px; background: var(--down); color: #fff; font-weight: 600; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; padding: 16px 20px; }
main > section:first-child, .wide { grid-column: 1 / -1; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 14px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
.tile { border-radius: 8px; padding: 10px 12px; border: 1px solid var(--border); border-left: 6px solid var(--skipped); background: var(--panel); }
.tile.ok { border-left-color: var(--ok); }
.tile.degraded { border-left-color: var(--degraded); }
.tile.down { border-left-color: var(--down); background: #3d1114; }
.tile.skipped { opacity: 0.6; }
.tile .name { font-weight: 600; }
.tile .status { text-transform: uppercase; font-size: 0.75rem; font-weight: 700; }
.tile.ok .status { color: var(--ok); }
.tile.degraded .status { color: var(--degraded); }
.tile.down .status { color: #ff7b72; }
.tile .detail { color: var(--muted); font-size: 0.8rem; overflow-wrap: anywhere; }
.tile .error { color: #ffa198; font-size: 0.8rem; overflow-wrap: anywhere; }
.stats { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin: 0; }
.stats div { background: var(--bg); border-radius: 6px; padding: 8px 10px; }
.stats dt { color: var(--muted); font-size: 0.8rem; }
.stats dd { margin: 4px 0 0; font-size: 1.3rem; font-weight: 600; }
.stats dd .note { display: block; font-size: 0.75rem; font-weight: normal; color: var(--muted); }
table { width: 100%; border-collapse: collapse; font-size: 0.85rem; margin-bottom: 10px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--border); }
th { color: var(--muted); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.pending { color: var(--muted); }
.stats.four { grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; margin: 12px 0; }
.charts figure { margin: 0; background: var(--bg); border-radius: 6px; padding: 8px 10px; }
.charts figcaption { color: var(--muted); font-size: 0.8rem; margin-bottom: 4px; }
.chart { width: 100%; height: 90px; }
.chart .line { fill: none; stroke: #58a6ff; stroke-width: 2; }
.chart .floor { stroke: var(--degraded); stroke-dasharray: 4 3; stroke-width: 1; }
.chart .dot { fill: #58a6ff; }
.chart .axis { fill: var(--muted); font-size: 9px; }
.logs { list-style: none; margin: 0; padding: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.78rem; max-height: 420px; overflow-y: auto; }
.logs li { padding: 2px 0; border-bottom: 1px solid #21262d; overflow-wrap: anywhere; }
.logs time { color: var(--muted); margin-right: 8px; }
.logs .lvl { display: inline-block; min-width: 44px; font-weight: 700; margin-right: 6px; }
.logs .level-warn .lvl { color: var(--degraded); }
.logs .level-error .lvl, .logs .level-fatal .lvl { color: #ff7b72; }
.logs .level-info .lvl { color: #58a6ff; }
.logs .level-debug .lvl, .logs .level-trace .lvl { color: var(--muted); }
.logs .extra { color: var(--muted); margin-left: 8px; }
`;

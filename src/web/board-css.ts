/** The board's one stylesheet: served at /board.css, inlined by `backlog board --output`. */
export const BOARD_CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --accent: #0550ae; --bar: #0969da; --warn: #a40e26; --panel: #f6f8fa;
  --created: #0969da; --done: #1a7f37; --active: #8250df; --overdue: #cf222e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #30363d; --accent: #79c0ff;
    --bar: #388bfd; --warn: #ff7b72; --panel: #161b22;
    --created: #58a6ff; --done: #3fb950; --active: #bc8cff; --overdue: #ff7b72; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, sans-serif; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; }
header.top { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top nav ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; }
.brand { font-weight: 700; }
main { padding: 16px; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 0 0 12px; }
h2 { font-size: 1.15rem; margin: 24px 0 8px; }
.grid { display: grid; gap: 16px; margin: 16px 0; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); }
section.panel { border: 1px solid var(--line); border-radius: 6px; padding: 12px; background: var(--panel); min-width: 0; }
section.panel h2 { margin-top: 0; }
.big { font-size: 2rem; font-weight: 700; }
.overdue-count { color: var(--warn); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { display: block; width: 100%; height: 8px; } .bar rect { fill: var(--bar); }
td.bar-cell { width: 40%; }
.pri-P0 { color: var(--warn); font-weight: 700; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; margin-bottom: 12px; }
form.filters label, form.env label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 4px 6px; }
button { cursor: pointer; }
form.env { display: flex; gap: 6px; align-items: end; }
.empty, .error { padding: 12px; border: 1px dashed var(--line); border-radius: 6px; }
.error { border-color: var(--warn); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
ol.timeline { list-style: none; padding: 0; }
ol.timeline li { border-left: 3px solid var(--line); padding: 4px 12px; margin-bottom: 8px; }
.muted { color: var(--muted); }
pre.description { white-space: pre-wrap; overflow-wrap: anywhere; }
.trend { margin: 0; }
.trend-chart { width: 100%; height: auto; }
.trend-axis line { stroke: var(--muted); }
.trend-axis text { fill: var(--muted); font-size: 12px; }
.trend-series polyline { stroke-width: 2; }
.trend-created { stroke: var(--created); fill: var(--created); }
.trend-done { stroke: var(--done); fill: var(--done); }
.trend-active { stroke: var(--active); fill: var(--active); }
.trend-overdue { stroke: var(--overdue); fill: var(--overdue); }
.trend-legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: .85rem; }
.trend-key::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px; background: currentColor; }
.trend-key.trend-created { color: var(--created); } .trend-key.trend-done { color: var(--done); }
.trend-key.trend-active { color: var(--active); } .trend-key.trend-overdue { color: var(--overdue); }
@media (max-width: 480px) { main { padding: 8px; } th, td { padding: 4px; } .hide-narrow { display: none; } }
`;

/** @jsxImportSource hono/jsx */
/**
 * `backlog report --format html`: one self-contained page (inline style and SVG, no script, no
 * request) of the week-over-week figures. A function of the report, escaped by hono/jsx.
 */
import type { Report } from "../domain/report.js";

const CHART = { width: 640, height: 200, pad: 32 };
const SERIES = [
  { key: "created", color: "#1f77b4" },
  { key: "done", color: "#2ca02c" },
  { key: "active", color: "#d62728" },
  { key: "overdue", color: "#ff7f0e" },
] as const;

/** Lines of created, done, active and overdue per week. */
export function TrendChart({ report }: { report: Report }) {
  const { width, height, pad } = CHART;
  const weeks = report.weeks;
  const max = Math.max(1, ...weeks.flatMap((w) => SERIES.map((s) => w[s.key])));
  const x = (i: number) => pad + (weeks.length <= 1 ? 0 : (i * (width - 2 * pad)) / (weeks.length - 1));
  const y = (v: number) => height - pad - (v / max) * (height - 2 * pad);
  return (
    <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-labelledby="trend-title">
      <title id="trend-title">{`Backlog trend for ${report.env}: created, done, active and overdue items per week`}</title>
      <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} stroke="#888" />
      <line x1={pad} y1={pad} x2={pad} y2={height - pad} stroke="#888" />
      <text x={4} y={pad} font-size="10">{String(max)}</text>
      {SERIES.map((s) => (
        <polyline data-series={s.key} fill="none" stroke={s.color} stroke-width="2" points={weeks.map((w, i) => `${x(i).toFixed(1)},${y(w[s.key]).toFixed(1)}`).join(" ")} />
      ))}
      {weeks.length > 0 ? <text x={pad} y={height - 8} font-size="10">{weeks[0].week}</text> : null}
      {weeks.length > 1 ? <text x={width - pad} y={height - 8} font-size="10" text-anchor="end">{weeks[weeks.length - 1].week}</text> : null}
    </svg>
  );
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}
.legend span{margin-right:1rem}`;

export function ReportPage({ report }: { report: Report }) {
  const show = (v: number | null) => (v === null ? "–" : String(v));
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>{`Backlog report: ${report.env}`}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <h1>{`Backlog report: ${report.env}`}</h1>
        <TrendChart report={report} />
        <p class="legend">
          {SERIES.map((s) => (
            <span style={`color:${s.color}`}>{`■ ${s.key}`}</span>
          ))}
        </p>
        <table id="weeks">
          <thead>
            <tr><th>Week</th><th>Created</th><th>Done</th><th>Canceled</th><th>Active</th><th>Overdue</th><th>Median days to done</th></tr>
          </thead>
          <tbody>
            {report.weeks.map((w) => (
              <tr><td>{w.week}</td><td>{w.created}</td><td>{w.done}</td><td>{w.canceled}</td><td>{w.active}</td><td>{w.overdue}</td><td>{show(w.median_days_to_done)}</td></tr>
            ))}
          </tbody>
        </table>
        <h2>Top services by active items</h2>
        <table id="services">
          <thead><tr><th>Service</th><th>Active</th></tr></thead>
          <tbody>
            {report.top_services.map((s) => (
              <tr><td>{s.service}</td><td>{s.active}</td></tr>
            ))}
          </tbody>
        </table>
      </body>
    </html>
  );
}

export function renderReportHtml(report: Report): string {
  return `<!doctype html>\n${String(<ReportPage report={report} />)}\n`;
}

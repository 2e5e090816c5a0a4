/**
 * `backlog report --format html`: one self-contained page (inline style and SVG, no script, no
 * request) of the week-over-week figures, with the board's trend chart. A function of the
 * report, escaped by hono/jsx.
 */
import type { Report } from "../domain/report.js";
import { TREND_SERIES, TrendChart } from "./trend-chart.js";

/** Colours of the chart's series (the chart itself carries only class names). */
const SERIES_COLORS: Record<string, string> = { created: "#1f77b4", done: "#2ca02c", active: "#d62728", overdue: "#b35900" };

const STYLE = [
  "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}",
  "table{border-collapse:collapse;margin:1rem 0}",
  "th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}",
  ".trend{margin:0}.trend-chart{max-width:640px;width:100%;height:auto}",
  ".trend-axis line{stroke:#888}.trend-axis text{font-size:11px;fill:#444}",
  ".trend-series polyline{stroke-width:2}.trend-key{margin-right:1rem}",
  ...TREND_SERIES.map((s) => {
    const color = SERIES_COLORS[s.key] ?? "#222";
    return `.${s.className} polyline{stroke:${color}}.${s.className} circle{fill:${color}}.trend-key.${s.className}{color:${color}}`;
  }),
].join("\n");

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
        <TrendChart weeks={report.weeks} id="report-trend" />
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

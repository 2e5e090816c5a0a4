/** `backlog report` for terminals (a table and a sparkline per figure) and as markdown. */
import { type Report, sparkline, type WeekFigures } from "../domain/report.js";
import type { Style } from "./style.js";
import { cell, renderTable } from "./table.js";

type Figure = Exclude<keyof WeekFigures, "week">;
const FIGURES: ReadonlyArray<{ key: Figure; label: string }> = [
  { key: "created", label: "created" },
  { key: "done", label: "done" },
  { key: "canceled", label: "canceled" },
  { key: "active", label: "active" },
  { key: "overdue", label: "overdue" },
  { key: "median_days_to_done", label: "median days to done" },
];

const show = (v: number | null) => (v === null ? "-" : String(v));

export function renderReportText(r: Report, style: Style): string {
  const c = style.chalk;
  const weeks = r.weeks;
  const span = weeks.length > 0 ? `${weeks[0].week} → ${weeks[weeks.length - 1].week}` : "";
  const out = [
    c.bold(`Backlog report · ${cell(r.env)} · ${span}`),
    renderTable(
      ["WEEK", "CREATED", "DONE", "CANCELED", "ACTIVE", "OVERDUE", "MEDIAN DAYS TO DONE"].map((h) => c.bold(h)),
      weeks.map((w) => [w.week, ...FIGURES.map((f) => show(w[f.key]))]),
    ),
    "",
    c.bold("Trend (oldest → newest)"),
  ];
  const labelWidth = Math.max(...FIGURES.map((f) => f.label.length));
  for (const f of FIGURES) {
    const values = weeks.map((w) => w[f.key] ?? 0);
    const last = weeks.length > 0 ? show(weeks[weeks.length - 1][f.key]) : "-";
    out.push(`  ${f.label.padEnd(labelWidth)}  ${sparkline(values)}  ${last}`);
  }
  out.push("", c.bold("Top services by active items"));
  if (r.top_services.length === 0) out.push("  (no active items)");
  else out.push(renderTable(["SERVICE", "ACTIVE"].map((h) => c.bold(h)), r.top_services.map((s) => [cell(s.service), String(s.active)])));
  return `${out.join("\n")}\n`;
}

/** Markdown-safe table cell: no pipes, backticks or line breaks from stored names. */
const md = (text: string) => cell(text).replace(/[|`*_<>[\]\\]/g, (ch) => `\\${ch}`);

export function renderReportMarkdown(r: Report): string {
  const out = [
    `### Backlog report: ${md(r.env)}`,
    "",
    "| Week | Created | Done | Canceled | Active | Overdue | Median days to done |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...r.weeks.map((w) => `| ${w.week} | ${FIGURES.map((f) => show(w[f.key])).join(" | ")} |`),
    "",
    "| Service | Active |",
    "|---|---:|",
    ...r.top_services.map((s) => `| ${md(s.service)} | ${s.active} |`),
  ];
  return `${out.join("\n")}\n`;
}

/** The dashboard for humans: counts with bars, the overdue table, the busiest services. */
import type { Dashboard } from "../domain/dashboard.js";
import { renderItemRows } from "./render-items.js";
import type { Style } from "./style.js";
import { cell } from "./table.js";

const BAR_WIDTH = 24;

function bars(counts: Record<string, number>, style: Style, paint: (key: string) => string = (k) => k): string[] {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const labelWidth = Math.max(...entries.map(([k]) => cell(k).length), 8);
  const countWidth = Math.max(...entries.map(([, n]) => String(n).length));
  return entries.map(([key, n]) => {
    const label = cell(key);
    const bar = n === 0 ? "" : "█".repeat(Math.max(1, Math.round((n / max) * BAR_WIDTH)));
    return `  ${paint(label)}${" ".repeat(labelWidth - label.length)}  ${String(n).padStart(countWidth)}  ${style.chalk.dim(bar)}`;
  });
}

export function renderDashboard(d: Dashboard, today: string, style: Style): string {
  const c = style.chalk;
  const overdueHeading = d.overdue_count === 0 ? c.green("Overdue: none") : c.bold.red(`Overdue: ${d.overdue_count}`);
  const out = [
    c.bold(`Backlog · ${cell(d.env)} · ${d.total} item${d.total === 1 ? "" : "s"} · ${today}`),
    "",
    c.bold("Status"),
    ...bars(d.status_counts, style, (s) => style.status(s)),
    "",
    c.bold("Priority"),
    ...bars(d.priority_counts, style, (p) => style.priority(p)),
    "",
    c.bold("Category"),
    ...bars(d.category_counts, style),
    "",
    overdueHeading,
  ];
  if (d.overdue.length > 0) {
    out.push(renderItemRows(d.overdue, style));
    if (d.overdue_count > d.overdue.length) out.push(c.dim(`…and ${d.overdue_count - d.overdue.length} more: backlog list --overdue --env ${cell(d.env)}`));
  }
  out.push("", c.bold("Top services"));
  if (d.top_services.length === 0) out.push("  (none)");
  else out.push(...bars(Object.fromEntries(d.top_services.map((s) => [s.service, s.count])), style));
  return `${out.join("\n")}\n`;
}

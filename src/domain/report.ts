/**
 * `backlog report` (SPEC section 12), pure: per ISO week, what was created, done and canceled,
 * what was active and overdue at the week's end, and how long items took to be done.
 */
import { addCalendarDays, isoWeekOf, utcDate } from "./calendar.js";

/** What the report needs of one item; `closed_at` is when it reached its done/canceled status. */
export interface HistoryRow {
  service: string;
  created_at: string;
  due_date: string;
  status: string;
  /** The latest status_change event to its closed status (else its updated_at); null while active. */
  closed_at: string | null;
}

export interface WeekFigures {
  week: string;
  created: number;
  done: number;
  canceled: number;
  active: number;
  overdue: number;
  median_days_to_done: number | null;
}

export interface Report {
  env: string;
  weeks: WeekFigures[];
  top_services: Array<{ service: string; active: number }>;
}

export const REPORT_TOP_SERVICES = 5;
const DAY_MS = 86_400_000;

/** Monday of the ISO week holding `date`. */
function mondayOf(date: string): string {
  const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addCalendarDays(date, -weekday);
}

/**
 * One week of a report: its instants [start, end), and `as_of`, the instant its "active" and
 * "overdue" are counted at: the week's end (next Monday 00:00 UTC), or now for the week under
 * way. Overdue there means a due date before `as_of_day` (the week's Sunday, or today), as
 * `list --overdue` counts it.
 */
export interface ReportFrame {
  week: string;
  start: string;
  end: string;
  as_of: string;
  as_of_day: string;
}

/** The `count` ISO weeks up to and including the one holding `now`, oldest first. */
export function reportFrames(now: Date, count: number): ReportFrame[] {
  const monday = mondayOf(utcDate(now));
  const frames: ReportFrame[] = [];
  for (let i = count - 1; i >= 0; i -= 1) {
    const start = addCalendarDays(monday, -7 * i);
    const end = new Date(`${addCalendarDays(start, 7)}T00:00:00Z`);
    const asOf = end.getTime() <= now.getTime() ? end : now;
    frames.push({ week: isoWeekOf(start), start: `${start}T00:00:00.000Z`, end: end.toISOString(), as_of: asOf.toISOString(), as_of_day: utcDate(new Date(asOf.getTime() - 1)) });
  }
  return frames;
}

/** Median rounded to one decimal, as every backend reports it. */
export function medianDays(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return roundDays(m);
}

export const roundDays = (days: number) => Math.round(days * 10) / 10;

/** The active items of each service, most first, then by name: the report's top services. */
export function topServices(counts: Iterable<[string, number]>): Report["top_services"] {
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, REPORT_TOP_SERVICES)
    .map(([service, active]) => ({ service, active }));
}

/** The report over `rows` (the items of one env), week by week. */
export function aggregateReport(rows: Iterable<HistoryRow>, env: string, frames: readonly ReportFrame[]): Report {
  const weeks = frames.map((f) => ({
    start: Date.parse(f.start),
    end: Date.parse(f.end),
    asOf: Date.parse(f.as_of),
    asOfDay: f.as_of_day,
    figures: { week: f.week, created: 0, done: 0, canceled: 0, active: 0, overdue: 0 },
    durations: [] as number[],
  }));
  const activeNow = new Map<string, number>();
  for (const row of rows) {
    const created = Date.parse(row.created_at);
    const closed = row.closed_at === null ? null : Date.parse(row.closed_at);
    if (closed === null) activeNow.set(row.service, (activeNow.get(row.service) ?? 0) + 1);
    for (const w of weeks) {
      if (created >= w.start && created < w.end) w.figures.created += 1;
      if (closed !== null && closed >= w.start && closed < w.end) {
        if (row.status === "done") {
          w.figures.done += 1;
          w.durations.push((closed - created) / DAY_MS);
        } else if (row.status === "canceled") w.figures.canceled += 1;
      }
      if (created < w.asOf && (closed === null || closed >= w.asOf)) {
        w.figures.active += 1;
        if (row.due_date !== "" && row.due_date < w.asOfDay) w.figures.overdue += 1;
      }
    }
  }
  return { env, weeks: weeks.map((w) => ({ ...w.figures, median_days_to_done: medianDays(w.durations) })), top_services: topServices(activeNow) };
}

const BARS = "▁▂▃▄▅▆▇█";

/** A sparkline of `values` (one block character each), scaled to their maximum. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))])).join("");
}

/**
 * Whether a stored event line may be a status_change, without parsing it (closedAt looks at no
 * other): its type is read case-insensitively, and only a `\u` escape could spell those letters
 * otherwise (no other character lower-cases to one of them).
 */
export const mayChangeStatus = (line: string): boolean => /status_change/i.test(line) || line.includes("\\u");

/** When an item reached its current closed status: its latest status_change there, else updated_at. */
export function closedAt(item: { status: string; updated_at: string }, events: Iterable<{ type: string; ts: string; meta: Record<string, unknown> }>): string | null {
  if (item.status !== "done" && item.status !== "canceled") return null;
  let latest: string | null = null;
  for (const e of events) if (e.type === "status_change" && e.meta.to === item.status && (latest === null || e.ts > latest)) latest = e.ts;
  return latest ?? item.updated_at;
}

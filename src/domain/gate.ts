/** Gates (SPEC section 6): thresholds over the backlog that fail a CI step or page someone. Pure. */
import { calendarDaysBetween } from "./calendar.js";
import { type BacklogItem, isClosed, PRIORITIES, type Priority } from "./item.js";
import { compareItems, isOverdue } from "./query.js";
import type { GatePolicy } from "../policy/types.js";

export interface GateItem {
  id: string;
  priority: Priority;
  status: string;
  due_date: string;
  created_at: string;
  owner: string;
  service: string;
  title: string;
}

export interface GateViolation {
  gate: "max_overdue" | "max_overdue_by_priority" | "max_open" | "max_age_days";
  priority: Priority | null;
  threshold: number;
  actual: number;
  message: string;
  items: GateItem[];
}

export interface GateReport {
  pass: boolean;
  env: string;
  service: string | null;
  today: string;
  thresholds: GatePolicy;
  overdue_count: number;
  open_count: number;
  violations: GateViolation[];
}

/** The part of an item a gate looks at (and reports, as a GateItem). */
export type GateFields = Pick<BacklogItem, "id" | "priority" | "status" | "due_date" | "created_at" | "owner" | "service" | "title">;

const gateFields = (i: GateFields): GateFields => ({
  id: i.id,
  priority: i.priority,
  status: i.status,
  due_date: i.due_date,
  created_at: i.created_at,
  owner: i.owner,
  service: i.service,
  title: i.title,
});

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

type GateScope = { env: string; service: string | null; today: string };

/** The gates over the items (whole ones, or only their gate fields). */
export function evaluateGates(items: readonly GateFields[], thresholds: GatePolicy, scope: GateScope): GateReport {
  const tally = gateTally(thresholds, scope);
  tally.add(items);
  return tally.report();
}

/**
 * The gates over items handed in any number of batches (a store read a page at a time), keeping
 * only the open items a violation could list, as their gate fields: the overdue ones, those of a
 * priority with a max_open, the old ones when max_age_days is set.
 */
export function gateTally(thresholds: GatePolicy, scope: GateScope): { add(items: readonly GateFields[]): void; report(): GateReport } {
  const kept: GateFields[] = [];
  let openCount = 0;
  const max = thresholds.max_age_days;
  const mayBeListed = (i: GateFields) => isOverdue(i, scope.today) || thresholds.max_open[i.priority] !== undefined || (max !== null && olderThan(i, max, scope.today));
  return {
    add(items) {
      for (const i of items) {
        if (isClosed(i)) continue;
        openCount += 1;
        if (mayBeListed(i)) kept.push(gateFields(i));
      }
    },
    report: () => gateReport(kept.sort(compareItems), openCount, thresholds, scope),
  };
}

/** Whether an item was created more than `days` calendar days before `today`. */
const olderThan = (i: GateFields, days: number, today: string) => calendarDaysBetween(i.created_at.slice(0, 10), today) > days;

/** The report from the open items that may be listed (in order) and how many items are open. */
function gateReport(open: readonly GateFields[], openCount: number, thresholds: GatePolicy, scope: GateScope): GateReport {
  const overdue = open.filter((i) => isOverdue(i, scope.today));
  const violations: GateViolation[] = [];

  if (thresholds.max_overdue !== null && overdue.length > thresholds.max_overdue) {
    violations.push({
      gate: "max_overdue",
      priority: null,
      threshold: thresholds.max_overdue,
      actual: overdue.length,
      message: `${plural(overdue.length, "overdue item")} (max ${thresholds.max_overdue})`,
      items: overdue,
    });
  }
  for (const p of PRIORITIES) {
    const max = thresholds.max_overdue_by_priority[p];
    const hits = overdue.filter((i) => i.priority === p);
    if (max !== undefined && hits.length > max) {
      violations.push({ gate: "max_overdue_by_priority", priority: p, threshold: max, actual: hits.length, message: `${plural(hits.length, `overdue ${p} item`)} (max ${max})`, items: hits });
    }
  }
  for (const p of PRIORITIES) {
    const max = thresholds.max_open[p];
    const hits = open.filter((i) => i.priority === p);
    if (max !== undefined && hits.length > max) {
      violations.push({ gate: "max_open", priority: p, threshold: max, actual: hits.length, message: `${plural(hits.length, `open ${p} item`)} (max ${max})`, items: hits });
    }
  }
  if (thresholds.max_age_days !== null) {
    const max = thresholds.max_age_days;
    const old = open.filter((i) => olderThan(i, max, scope.today));
    if (old.length > 0) {
      violations.push({ gate: "max_age_days", priority: null, threshold: max, actual: old.length, message: `${plural(old.length, "open item")} older than ${max} days`, items: old });
    }
  }
  return {
    pass: violations.length === 0,
    env: scope.env,
    service: scope.service,
    today: scope.today,
    thresholds,
    overdue_count: overdue.length,
    open_count: openCount,
    violations,
  };
}

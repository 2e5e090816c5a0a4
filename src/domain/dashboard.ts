/** The dashboard aggregation of SPEC section 4, as a pure function of the items. */
import { type BacklogItem, PRIORITIES, STATUSES } from "./item.js";
import { compareItems, isOverdue, type ItemFields } from "./query.js";

export const DASHBOARD_OVERDUE_SHOWN = 20;
export const DASHBOARD_TOP_SERVICES = 10;

export type Dashboard = DashboardOf<BacklogItem>;

export interface DashboardOf<T> {
  env: string;
  total: number;
  status_counts: Record<string, number>;
  priority_counts: Record<string, number>;
  category_counts: Record<string, number>;
  overdue: T[];
  overdue_count: number;
  top_services: Array<{ service: string; count: number }>;
}

/** Counts as a record of own properties, even for keys like `__proto__` or `constructor`. */
function countsRecord(counts: Map<string, number>): Record<string, number> {
  const record: Record<string, number> = {};
  for (const [key, value] of counts) Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  return record;
}

const zeroCounts = (keys: readonly string[]) => new Map(keys.map((k) => [k, 0]));
const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * `categories` lists the policy's categories so that every one has a count, zero included:
 * scripts reading `category_counts.security` should never meet `undefined`.
 */
export function aggregateDashboard<T extends ItemFields>(
  items: Iterable<T>,
  env: string,
  today: string,
  categories: readonly string[],
): DashboardOf<T> {
  const status_counts = zeroCounts(STATUSES);
  const priority_counts = zeroCounts(PRIORITIES);
  const category_counts = zeroCounts(categories);
  const services = new Map<string, number>();
  const overdue: T[] = [];
  let total = 0;
  for (const item of items) {
    if (item.env !== env) continue;
    total += 1;
    bump(status_counts, item.status);
    bump(priority_counts, item.priority);
    bump(category_counts, item.category);
    services.set(item.service, (services.get(item.service) ?? 0) + 1);
    if (isOverdue(item, today)) overdue.push(item);
  }
  overdue.sort(compareItems);
  const top_services = [...services.entries()]
    .map(([service, count]) => ({ service, count }))
    .sort((a, b) => b.count - a.count || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0))
    .slice(0, DASHBOARD_TOP_SERVICES);
  return {
    env,
    total,
    status_counts: countsRecord(status_counts),
    priority_counts: countsRecord(priority_counts),
    category_counts: countsRecord(category_counts),
    overdue: overdue.slice(0, DASHBOARD_OVERDUE_SHOWN),
    overdue_count: overdue.length,
    top_services,
  };
}

/** Filtering, ordering and paging of items: the semantics every store must reproduce. */
import { own } from "./limits.js";
import { type BacklogItem, isClosed, PRIORITIES } from "./item.js";

export interface ItemFilter {
  env?: string;
  service?: string;
  statuses?: readonly string[];
  owner?: string;
  category?: string;
  priority?: string;
  /** Items whose due date is set and earlier than this `YYYY-MM-DD`. */
  dueBefore?: string;
  /** Not done/canceled and due before this day (today, UTC). */
  overdueAsOf?: string;
}

export interface Page {
  limit: number | null;
  offset: number;
}

/** What filtering, ordering and aggregation look at: full items and index entries both have it. */
export type ItemFields = Pick<BacklogItem, "id" | "env" | "service" | "category" | "priority" | "status" | "owner" | "due_date" | "created_at">;

const PRIORITY_RANK: Record<string, number> = Object.fromEntries(PRIORITIES.map((p, i) => [p, i]));

export const isOverdue = (item: Pick<ItemFields, "status" | "due_date">, today: string): boolean =>
  !isClosed(item) && item.due_date !== "" && item.due_date < today;

export function matchesFilter(item: ItemFields, f: ItemFilter): boolean {
  if (f.env !== undefined && item.env !== f.env) return false;
  if (f.service !== undefined && item.service !== f.service) return false;
  if (f.statuses !== undefined && f.statuses.length > 0 && !f.statuses.includes(item.status)) return false;
  if (f.owner !== undefined && item.owner !== f.owner) return false;
  if (f.category !== undefined && item.category !== f.category) return false;
  if (f.priority !== undefined && item.priority !== f.priority) return false;
  if (f.dueBefore !== undefined && !(item.due_date !== "" && item.due_date < f.dueBefore)) return false;
  if (f.overdueAsOf !== undefined && !isOverdue(item, f.overdueAsOf)) return false;
  return true;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Priority, then due date (empty last), then created_at, then id. */
export function compareItems(a: ItemFields, b: ItemFields): number {
  const byPriority = (own(PRIORITY_RANK, a.priority) ?? 99) - (own(PRIORITY_RANK, b.priority) ?? 99);
  if (byPriority !== 0) return byPriority;
  if (a.due_date !== b.due_date) {
    if (a.due_date === "") return 1;
    if (b.due_date === "") return -1;
    return compareText(a.due_date, b.due_date);
  }
  return compareText(a.created_at, b.created_at) || compareText(a.id, b.id);
}

/** Export order: oldest first, ties by id. */
export const compareByCreation = (a: ItemFields, b: ItemFields): number =>
  compareText(a.created_at, b.created_at) || compareText(a.id, b.id);

export interface QueryResult<T = BacklogItem> {
  items: T[];
  /** How many items matched before paging. */
  total: number;
}

export function queryItems<T extends ItemFields>(items: Iterable<T>, filter: ItemFilter, page: Page): QueryResult<T> {
  const matched: T[] = [];
  for (const item of items) if (matchesFilter(item, filter)) matched.push(item);
  matched.sort(compareItems);
  const end = page.limit === null ? undefined : page.offset + page.limit;
  return { items: matched.slice(page.offset, end), total: matched.length };
}

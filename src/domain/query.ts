/** Filtering, ordering and paging of items: the semantics every store must reproduce. */
import { own } from "./limits.js";
import { type BacklogItem, isClosed, PRIORITIES } from "./item.js";

/** One value, or a list the item's value must be one of (an empty list filters nothing). */
export type OneOf = string | readonly string[];

/** The list a OneOf stands for. */
export const listOf = (v: OneOf | undefined): readonly string[] => (v === undefined ? [] : typeof v === "string" ? [v] : v);

export interface ItemFilter {
  env?: OneOf;
  service?: OneOf;
  statuses?: readonly string[];
  owner?: OneOf;
  category?: OneOf;
  priority?: OneOf;
  /** Every one of these tags is on the item. */
  tags?: readonly string[];
  /** Items whose due date is set and earlier than this `YYYY-MM-DD`. */
  dueBefore?: string;
  /** Not done/canceled and due before this day (today, UTC). */
  overdueAsOf?: string;
  /** updated_at at or after this ISO timestamp. */
  updatedSince?: string;
  /** Case-insensitive substring of title, description, service, owner, id, dedupe key or a tag. */
  search?: string;
}

export const SORT_KEYS = ["priority", "due", "created", "updated", "service", "status", "title"] as const;
export type SortKeyName = (typeof SORT_KEYS)[number];
export interface SortKey {
  key: SortKeyName;
  desc: boolean;
}

export interface Page {
  limit: number | null;
  offset: number;
  /** Keys compared first; ties end in the default order (compareItems), so the order is total. */
  sort?: readonly SortKey[];
}

/** What filtering, ordering and aggregation look at: full items and index entries both have it. */
export type ItemFields = Pick<BacklogItem, "id" | "env" | "service" | "category" | "priority" | "status" | "owner" | "due_date" | "created_at">;
/** What the full filter and every sort key look at. */
export type QueryFields = ItemFields & Pick<BacklogItem, "updated_at" | "dedupe_key" | "title" | "description" | "tags">;

const PRIORITY_RANK: Record<string, number> = Object.fromEntries(PRIORITIES.map((p, i) => [p, i]));
const STATUS_ORDER = ["open", "in_progress", "blocked", "done", "canceled"];
const STATUS_RANK: Record<string, number> = Object.fromEntries(STATUS_ORDER.map((s, i) => [s, i]));

export const isOverdue = (item: Pick<ItemFields, "status" | "due_date">, today: string): boolean =>
  !isClosed(item) && item.due_date !== "" && item.due_date < today;

const oneOf = (wanted: OneOf | undefined, value: string) => wanted === undefined || (typeof wanted === "string" ? wanted === value : wanted.length === 0 || wanted.includes(value));

/** True when the filter looks at more than an index entry holds (tags, title, description). */
export const needsFullItem = (f: ItemFilter, page?: Page): boolean =>
  (f.tags !== undefined && f.tags.length > 0) || f.search !== undefined || (page?.sort ?? []).some((s) => s.key === "title");

/** The part of the filter an index entry (ItemFields + updated_at) can answer. */
export function matchesFilter(item: ItemFields & { updated_at?: string }, f: ItemFilter): boolean {
  if (!oneOf(f.env, item.env)) return false;
  if (!oneOf(f.service, item.service)) return false;
  if (!oneOf(f.statuses, item.status)) return false;
  if (!oneOf(f.owner, item.owner)) return false;
  if (!oneOf(f.category, item.category)) return false;
  if (!oneOf(f.priority, item.priority)) return false;
  if (f.dueBefore !== undefined && !(item.due_date !== "" && item.due_date < f.dueBefore)) return false;
  if (f.overdueAsOf !== undefined && !isOverdue(item, f.overdueAsOf)) return false;
  if (f.updatedSince !== undefined && !(item.updated_at !== undefined && item.updated_at >= f.updatedSince)) return false;
  return true;
}

/** What search looks in. */
export type SearchedFields = Pick<QueryFields, "id" | "title" | "description" | "service" | "owner" | "dedupe_key" | "tags">;
const searchedTexts = (item: SearchedFields) => [item.title, item.description, item.service, item.owner, item.id, item.dedupe_key, ...item.tags];

/** How search folds case: the way PostgreSQL's ILIKE folds it for these texts. */
const foldCase = (text: string) => text.toLowerCase();

/** Case-insensitive substring of one of the searched fields. */
export function matchesSearch(item: SearchedFields, search: string): boolean {
  const needle = foldCase(search);
  return searchedTexts(item).some((text) => foldCase(text).includes(needle));
}

/**
 * Keeps the searched fields apart in a search text. It is a control character no one types: a
 * search holding it has no needle (searchNeedle) and is answered field by field (matchesSearch).
 */
const FIELD_BREAK = "\x7f";

/**
 * The searched fields of an item, case-folded as matchesSearch folds them, in one text: for a
 * needle (searchNeedle) free of the break, `searchText(item).includes(needle)` is exactly
 * `matchesSearch(item, search)`, as a text index needs.
 */
export const searchText = (item: SearchedFields): string => searchedTexts(item).map(foldCase).join(FIELD_BREAK);

/** What to look for in search texts, or null when the search can only be answered field by field. */
export function searchNeedle(search: string): string | null {
  const needle = foldCase(search);
  return needle.includes(FIELD_BREAK) ? null : needle;
}

/** The item carries every one of the wanted tags (exactly, case included; or their numbers, one per distinct tag). */
export const hasTags = <T>(tags: { includes(tag: T): boolean }, wanted: readonly T[] | undefined): boolean => wanted === undefined || wanted.every((t) => tags.includes(t));

/** The whole filter, on a full item. */
export function matchesFullFilter(item: QueryFields, f: ItemFilter): boolean {
  if (!matchesFilter(item, f)) return false;
  if (!hasTags(item.tags, f.tags)) return false;
  if (f.search !== undefined && !matchesSearch(item, f.search)) return false;
  return true;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The order of the title sort key, ascending (by UTF-16 code units). */
export const titleOrder = compareText;
const compareDue = (a: string, b: string) => (a === b ? 0 : a === "" ? 1 : b === "" ? -1 : compareText(a, b));

/** Priority, then due date (empty last), then created_at, then id. */
export function compareItems(a: Pick<ItemFields, "priority" | "due_date" | "created_at" | "id">, b: Pick<ItemFields, "priority" | "due_date" | "created_at" | "id">): number {
  const byPriority = (own(PRIORITY_RANK, a.priority) ?? 99) - (own(PRIORITY_RANK, b.priority) ?? 99);
  if (byPriority !== 0) return byPriority;
  return compareDue(a.due_date, b.due_date) || compareText(a.created_at, b.created_at) || compareText(a.id, b.id);
}

/** One sort key, ascending. Empty due dates sort last ascending (and first descending). */
function compareKey(key: SortKeyName, a: Partial<QueryFields> & ItemFields, b: Partial<QueryFields> & ItemFields): number {
  switch (key) {
    case "priority":
      return (own(PRIORITY_RANK, a.priority) ?? 99) - (own(PRIORITY_RANK, b.priority) ?? 99);
    case "due":
      return compareDue(a.due_date, b.due_date);
    case "created":
      return compareText(a.created_at, b.created_at);
    case "updated":
      return compareText(a.updated_at ?? "", b.updated_at ?? "");
    case "service":
      return compareText(a.service, b.service);
    case "status":
      return (own(STATUS_RANK, a.status) ?? 99) - (own(STATUS_RANK, b.status) ?? 99);
    case "title":
      return titleOrder(a.title ?? "", b.title ?? "");
  }
}

/** The comparator of a sort: its keys in turn, then the default order. */
export function comparatorFor(sort: readonly SortKey[] = []): (a: ItemFields, b: ItemFields) => number {
  if (sort.length === 0) return compareItems;
  return (a, b) => {
    for (const { key, desc } of sort) {
      const c = compareKey(key, a, b);
      if (c !== 0) return desc ? -c : c;
    }
    return compareItems(a, b);
  };
}

/** Export order: oldest first, ties by id. */
export const compareByCreation = (a: ItemFields, b: ItemFields): number =>
  compareText(a.created_at, b.created_at) || compareText(a.id, b.id);

export interface QueryResult<T = BacklogItem> {
  items: T[];
  /** How many items matched before paging. */
  total: number;
}

/**
 * Filter, sort and page. `full` turns an index entry into what the whole filter and sort need
 * (a JSONL store reads the item's line); it is called only for entries the cheap filter kept, and
 * only when the query needs more than the entry holds.
 */
export function queryItems<T extends ItemFields>(items: Iterable<T>, filter: ItemFilter, page: Page): QueryResult<T>;
export function queryItems<T extends ItemFields, F extends QueryFields>(items: Iterable<T>, filter: ItemFilter, page: Page, full: (item: T) => F | null): QueryResult<F | T>;
export function queryItems<T extends ItemFields>(items: Iterable<T>, filter: ItemFilter, page: Page, full?: (item: T) => QueryFields | null): QueryResult<ItemFields> {
  const matched: ItemFields[] = [];
  const deep = needsFullItem(filter, page);
  for (const item of items) {
    if (!matchesFilter(item, filter)) continue;
    if (!deep) matched.push(item);
    else {
      // null: `full` knows the item cannot match (see linePrefilter).
      const whole = full ? full(item) : (item as unknown as QueryFields);
      if (whole !== null && matchesFullFilter(whole, filter)) matched.push(whole);
    }
  }
  const order = comparatorFor(page.sort);
  if (page.limit === null) return { items: matched.sort(order).slice(page.offset), total: matched.length };
  return { items: firstInOrder(matched, order, page.offset + page.limit).slice(page.offset), total: matched.length };
}

/**
 * The first `k` of `items` in `order` (a total order), sorted: a page near the top of a long list
 * costs about one comparison per item, not a sort of them all. Far into the list, a sort is cheaper.
 */
export function firstInOrder<T>(items: T[], order: (a: T, b: T) => number, k: number): T[] {
  if (k * 8 >= items.length) return items.sort(order).slice(0, k);
  // A max-heap of the best k so far: its root is the worst of them, the one a better item replaces.
  const heap: T[] = [];
  const down = (from: number) => {
    for (let i = from; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && order(heap[l], heap[top]) > 0) top = l;
      if (r < heap.length && order(heap[r], heap[top]) > 0) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0 && order(heap[i], heap[(i - 1) >> 1]) > 0; i = (i - 1) >> 1) {
        [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1], heap[i]];
      }
    } else if (k > 0 && order(item, heap[0]) < 0) {
      heap[0] = item;
      down(0);
    }
  }
  return heap.sort(order);
}

/** Text that every JSON writer writes as itself: printable ASCII but the quote and the backslash. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A test on an item's stored JSON line that is false only when the item cannot match the filter's
 * tags and search, so a store can skip parsing such lines; null when it has nothing to test. Only
 * text every JSON writer leaves unescaped is looked for, so lines with `\u` escapes (Python's
 * json.dumps) still match, but for the few letters whose lower case is ASCII (the Kelvin sign,
 * İ) written escaped. Matches still go through matchesFullFilter.
 */
export function linePrefilter(f: ItemFilter): ((line: string) => boolean) | null {
  const tags = (f.tags ?? []).filter((t) => VERBATIM.test(t)).map((t) => `"${t}"`);
  const needle = f.search !== undefined && VERBATIM.test(f.search) ? f.search.toLowerCase() : null;
  if (tags.length === 0 && needle === null) return null;
  return (line) => tags.every((t) => line.includes(t)) && (needle === null || line.toLowerCase().includes(needle));
}

/** `--since`: a day (from its start, UTC), an ISO timestamp, or a span back from now. */
export type Since = { at: string } | { hours: number };

/** The updated_at bound a since stands for, as of `now`. */
export function sinceInstant(since: Since, now: Date): string {
  if ("at" in since) return since.at;
  return new Date(now.getTime() - since.hours * 3_600_000).toISOString();
}

/** The keys `--fields` may name: an item's, in the order of the model. */
export const ITEM_FIELDS = [
  "id", "created_at", "updated_at", "env", "service", "category", "title", "description", "priority",
  "status", "owner", "due_date", "source", "dedupe_key", "evidence_refs", "tags", "meta",
] as const;
export type ItemFieldName = (typeof ITEM_FIELDS)[number];

/** The named keys of an item, in the order asked. */
export function selectFields(item: BacklogItem, fields: readonly ItemFieldName[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = item[f];
  return out;
}

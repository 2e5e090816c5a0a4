/** `backlog log` (SPEC section 12), pure: which events across items a query wants, newest first. */
import type { BacklogEvent } from "./item.js";

export interface LogQuery {
  /** Events at or after this ISO instant. */
  since: string;
  env?: string;
  service?: string;
  actor?: string;
  type?: string;
  limit: number;
}

export type LogEvent = BacklogEvent & { item_title: string | null };

/** Whether an event (of an item with this env and service, if it still exists) is wanted. */
export function wantsEvent(q: LogQuery, event: BacklogEvent, item: { env: string; service: string } | undefined): boolean {
  if (event.ts < q.since) return false;
  if (q.actor !== undefined && event.actor !== q.actor) return false;
  if (q.type !== undefined && event.type !== q.type) return false;
  if (q.env !== undefined && item?.env !== q.env) return false;
  if (q.service !== undefined && item?.service !== q.service) return false;
  return true;
}

interface Ordered<T> {
  event: T;
  order: number;
}

/** Newest first (the later instant, then the later position in the store): > 0 when `a` is older than `b`. */
const newer = <T extends { ts: string }>(a: Ordered<T>, b: Ordered<T>) => (a.event.ts < b.event.ts ? 1 : a.event.ts > b.event.ts ? -1 : b.order - a.order);

/** Newest first; events of the same instant in reverse store order (`order` is their position). */
export function newestFirst<T extends { ts: string }>(entries: Array<Ordered<T>>, limit: number): T[] {
  return entries
    .sort(newer)
    .slice(0, limit)
    .map((e) => e.event);
}

/**
 * The `limit` newest of the events pushed, in newestFirst's order, kept as they come (a heap whose
 * root is the oldest kept): a scan of every event holds `limit` of them, not all that match.
 */
export class NewestEvents<T extends { ts: string }> {
  private readonly kept: Array<Ordered<T>> = [];

  constructor(private readonly limit: number) {}

  push(event: T, order: number): void {
    const entry = { event, order };
    const kept = this.kept;
    if (kept.length < this.limit) {
      kept.push(entry);
      for (let i = kept.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (newer(kept[parent], kept[i]) > 0) break;
        [kept[parent], kept[i]] = [kept[i], kept[parent]];
        i = parent;
      }
      return;
    }
    if (kept.length === 0 || newer(entry, kept[0]) >= 0) return;
    kept[0] = entry;
    for (let i = 0; ; ) {
      let oldest = i;
      for (const child of [2 * i + 1, 2 * i + 2]) if (child < kept.length && newer(kept[child], kept[oldest]) > 0) oldest = child;
      if (oldest === i) break;
      [kept[oldest], kept[i]] = [kept[i], kept[oldest]];
      i = oldest;
    }
  }

  /** The events kept, newest first. */
  newestFirst(): T[] {
    return newestFirst(this.kept, this.limit);
  }
}

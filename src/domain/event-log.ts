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

/** Newest first; events of the same instant in reverse store order (`order` is their position). */
export function newestFirst<T extends { ts: string }>(entries: Array<{ event: T; order: number }>, limit: number): T[] {
  return entries
    .sort((a, b) => (a.event.ts < b.event.ts ? 1 : a.event.ts > b.event.ts ? -1 : b.order - a.order))
    .slice(0, limit)
    .map((e) => e.event);
}

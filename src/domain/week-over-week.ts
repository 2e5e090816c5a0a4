/**
 * Week over week (SPEC section 12), pure: which series a generated item belongs to, how a
 * carried-over item counts the weeks it was seen, and when it escalates.
 */
import { PRIORITIES, type Priority } from "./item.js";

/** What finding a series needs of a generated item (an index entry or a row holds it all). */
export interface GeneratedRef {
  id: string;
  env: string;
  service: string;
  category: string;
  dedupe_key: string;
  created_at: string;
}

/** An (env, service, category) series: one active generated item per series when carrying over. */
export const seriesKey = (env: string, service: string, category: string) => `${env}\u0000${service}\u0000${category}`;

export interface GeneratedKey {
  week: string;
  env: string;
  service: string;
  category: string;
}

const WEEK = /^\d{4}-W\d{2}$/;

/** The parts of a generated dedupe key `{prefix}:{week}:{env}:{service}:{category}`, or null. */
export function parseGeneratedKey(prefix: string, key: string): GeneratedKey | null {
  if (!key.startsWith(`${prefix}:`)) return null;
  const parts = key.slice(prefix.length + 1).split(":");
  if (parts.length !== 4 || !WEEK.test(parts[0])) return null;
  const [week, env, service, category] = parts;
  return { week, env, service, category };
}

/** The weeks an item was generated or carried into, from its `week:` tags, oldest first. */
export function weeksOf(tags: readonly string[]): string[] {
  return [...new Set(tags.filter((t) => t.startsWith("week:")).map((t) => t.slice(5)))].filter((w) => WEEK.test(w)).sort();
}

/** `meta.weeks_seen` and `meta.last_week` for an item carrying these tags. */
export function seenMeta(tags: readonly string[]): { weeks_seen: number; last_week: string | null } {
  const weeks = weeksOf(tags);
  return { weeks_seen: weeks.length, last_week: weeks.length > 0 ? weeks[weeks.length - 1] : null };
}

/**
 * The priority one step up when this update makes the item reach a multiple of `after` weeks
 * seen (N, 2N, …); null when it does not escalate. Counting weeks from the tags keeps a re-run of
 * the same week from escalating twice.
 */
export function escalation(priority: Priority, weeksBefore: number, weeksAfter: number, after: number | null): Priority | null {
  if (after === null || weeksAfter <= weeksBefore || weeksAfter % after !== 0) return null;
  const rank = PRIORITIES.indexOf(priority);
  return rank > 0 ? PRIORITIES[rank - 1] : null;
}

/**
 * The active item of each series among `items` (active generated items of one env): the one of the
 * latest week, then the latest created, when several are open (left by `carry_over: false`).
 */
export function latestBySeries<T extends GeneratedRef>(prefix: string, items: readonly T[]): Map<string, T> {
  const best = new Map<string, { item: T; week: string }>();
  for (const item of items) {
    const parsed = parseGeneratedKey(prefix, item.dedupe_key);
    if (!parsed) continue;
    const key = seriesKey(item.env, item.service, item.category);
    const known = best.get(key);
    if (!known || parsed.week > known.week || (parsed.week === known.week && item.created_at > known.item.created_at)) {
      best.set(key, { item, week: parsed.week });
    }
  }
  return new Map([...best].map(([k, v]) => [k, v.item]));
}

/**
 * One parser of `list` parameters for every face: CLI flags, the tool protocol and HTTP query
 * strings all hand over snake_case names whose values are a string, a comma list, or an array of
 * those (repeated flags). The result is the service's ListQuery; a bad value is exit 2 with the
 * valid values and a did-you-mean. Out-of-range numbers are refused, never clamped.
 */
import { isCalendarDate, isIsoWeek } from "../domain/calendar.js";
import { ITEM_FIELDS, type ItemFieldName, type Since, SORT_KEYS, type SortKey, type SortKeyName } from "../domain/query.js";
import { DATE_PATTERN, PRIORITIES, STATUSES } from "../domain/item.js";
import { nearest } from "../domain/suggest.js";
import { invalidInput } from "../errors.js";
import type { Policy } from "../policy/types.js";
import type { ListQuery } from "./backlog-service.js";

export type ListParams = Record<string, string | boolean | number | ReadonlyArray<string> | undefined>;

export const LIST_PARAMS = [
  "env", "service", "status", "owner", "category", "priority", "tag", "week", "since", "search", "due_before", "overdue", "sort", "fields", "limit", "offset", "all",
] as const;
export const ACTIVE_STATUSES = ["open", "in_progress", "blocked"] as const;

const bad = (message: string, hint: string) => invalidInput(message, hint, "invalid_usage");

/** Every value of a parameter: strings split on commas, arrays flattened, blanks dropped. */
function values(raw: ListParams[string]): string[] {
  if (raw === undefined || typeof raw === "boolean") return [];
  const parts = typeof raw === "number" ? [String(raw)] : typeof raw === "string" ? [raw] : [...raw];
  return parts.flatMap((p) => p.split(",")).map((s) => s.trim()).filter((s) => s !== "");
}

function enumValues(name: string, raw: ListParams[string], valid: readonly string[]): string[] {
  const out = values(raw);
  for (const value of out) {
    if (!valid.includes(value)) {
      const guess = nearest(value, valid);
      throw bad(`${name} "${value}": expected one of ${valid.join("|")}${guess ? ` (did you mean ${guess}?)` : ""}`, `Valid ${name} values: ${valid.join(", ")}.`);
    }
  }
  return [...new Set(out)];
}

/** One value of an enum the policy defines (env, category, ...): exit 2 with the valid ones and a did-you-mean. */
export function checkEnum(name: string, value: string, valid: readonly string[]): string {
  return enumValues(name, value, valid)[0] ?? value;
}

function single(name: string, list: string[]): string | undefined {
  if (list.length > 1) throw bad(`${name}: one value only (got ${list.join(",")})`, `Pass a single ${name}.`);
  return list[0];
}

/** A list, or undefined when none was given (no filter). */
const some = (list: string[]): string[] | undefined => (list.length === 0 ? undefined : [...new Set(list)]);

function parseSince(name: string, raw: ListParams[string]): Since | undefined {
  const v = single(name, values(raw));
  if (v === undefined) return undefined;
  const span = /^(\d{1,6})([dh])$/.exec(v);
  if (span) return { hours: Number(span[1]) * (span[2] === "d" ? 24 : 1) };
  if (DATE_PATTERN.test(v) && isCalendarDate(v)) return { at: `${v}T00:00:00.000Z` };
  const t = /^\d{4}-\d{2}-\d{2}T/.test(v) ? new Date(v) : null;
  if (t && !Number.isNaN(t.getTime())) return { at: t.toISOString() };
  throw bad(`${name} "${v}": expected a date YYYY-MM-DD, an ISO timestamp, or a span like 7d or 24h`, `Example: ${name} 7d`);
}

function parseSort(name: string, raw: ListParams[string]): SortKey[] | undefined {
  const keys: SortKey[] = [];
  for (const v of values(raw)) {
    const desc = v.startsWith("-");
    const key = desc ? v.slice(1) : v;
    if (!(SORT_KEYS as readonly string[]).includes(key)) {
      const guess = nearest(key, SORT_KEYS);
      throw bad(`${name} "${v}": expected one of ${SORT_KEYS.join("|")}, - before a key for descending${guess ? ` (did you mean ${desc ? "-" : ""}${guess}?)` : ""}`, `Example: ${name} -priority,due`);
    }
    if (!keys.some((k) => k.key === key)) keys.push({ key: key as SortKeyName, desc });
  }
  return keys.length === 0 ? undefined : keys;
}

/** `fields`: item keys, in the order given; an unknown one is exit 2 naming the valid ones. */
export function parseFields(name: string, raw: ListParams[string]): ItemFieldName[] | undefined {
  const out = values(raw);
  for (const f of out) {
    if (!(ITEM_FIELDS as readonly string[]).includes(f)) {
      const guess = nearest(f, ITEM_FIELDS);
      throw bad(`${name}: unknown field "${f}"${guess ? ` (did you mean ${guess}?)` : ""}`, `Valid fields: ${ITEM_FIELDS.join(", ")}.`);
    }
  }
  return out.length === 0 ? undefined : ([...new Set(out)] as ItemFieldName[]);
}

function flag(name: string, raw: ListParams[string]): boolean {
  if (raw === undefined || raw === false) return false;
  if (raw === true) return true;
  const v = values(raw);
  if (v.length === 1 && (v[0] === "true" || v[0] === "1")) return true;
  if (v.length === 1 && (v[0] === "false" || v[0] === "0")) return false;
  throw bad(`${name}: expected true or false`, `Example: ${name}=true`);
}

/** A whole number from min to max, `fallback` when not given; exit 2 naming the range otherwise. */
export function wholeNumber(name: string, raw: ListParams[string], min: number, max: number, fallback: number): number {
  const v = values(raw);
  if (v.length === 0) return fallback;
  const range = `a whole number from ${min} to ${max}`;
  if (v.length > 1 || !/^\d+$/.test(v[0])) throw bad(`${name} "${v.join(",")}": expected ${range}`, `${name} takes ${range}.`);
  const n = Number(v[0]);
  if (n < min || n > max) throw bad(`${name} ${v[0]}: out of range: expected ${range}`, `${name} takes ${range}.`);
  return n;
}

export interface ListQueryOptions {
  maxLimit?: number;
  defaultLimit?: number;
  /** Name parameters as command-line flags (`--due-before`) in messages: the CLI's door. */
  flagNames?: boolean;
}

export function parseListQuery(params: ListParams, policy: Policy, options: ListQueryOptions = {}): ListQuery {
  const maxLimit = options.maxLimit ?? Number.MAX_SAFE_INTEGER;
  const n = (name: string) => (options.flagNames ? `--${name.replace(/_/g, "-")}` : name);
  for (const key of Object.keys(params)) {
    if (params[key] === undefined) continue;
    if (!(LIST_PARAMS as readonly string[]).includes(key)) {
      const guess = nearest(key, LIST_PARAMS);
      throw bad(`unknown list parameter "${key}"${guess ? ` (did you mean ${guess}?)` : ""}`, `Supported: ${LIST_PARAMS.join(", ")}.`);
    }
  }
  const statusValues = values(params.status);
  const statuses = statusValues.length === 1 && statusValues[0] === "all" ? undefined : statusValues.length === 0 ? [...ACTIVE_STATUSES] : enumValues(n("status"), params.status, STATUSES);
  const dueBefore = single(n("due_before"), values(params.due_before));
  if (dueBefore !== undefined && !(DATE_PATTERN.test(dueBefore) && isCalendarDate(dueBefore))) {
    throw bad(`${n("due_before")} "${dueBefore}": expected a date YYYY-MM-DD`, "Example: due_before=2026-03-01");
  }
  const all = flag(n("all"), params.all);
  const limit = wholeNumber(n("limit"), params.limit, 0, maxLimit, options.defaultLimit ?? 50);
  const week = single(n("week"), values(params.week));
  if (week !== undefined && !isIsoWeek(week)) throw bad(`${n("week")} "${week}": expected an ISO week YYYY-Www that exists (W53 only in long years)`, "Example: week=2026-W05");
  const tags = [...values(params.tag), ...(week === undefined ? [] : [`week:${week}`])];
  // Search text is taken whole: a comma in it is part of the text.
  const searchValues = typeof params.search === "string" ? [params.search] : Array.isArray(params.search) ? [...(params.search as string[])] : values(params.search);
  const search = single(n("search"), searchValues.filter((s) => s !== ""));
  return {
    env: some(enumValues(n("env"), params.env, policy.envs)),
    service: some(values(params.service)),
    statuses,
    owner: some(values(params.owner)),
    category: some(enumValues(n("category"), params.category, Object.keys(policy.categories))),
    priority: some(enumValues(n("priority"), params.priority, PRIORITIES)),
    tags: some(tags),
    since: parseSince(n("since"), params.since),
    search,
    sort: parseSort(n("sort"), params.sort),
    fields: parseFields(n("fields"), params.fields),
    dueBefore,
    overdue: flag(n("overdue"), params.overdue) || undefined,
    limit: all ? null : limit,
    offset: wholeNumber(n("offset"), params.offset, 0, Number.MAX_SAFE_INTEGER, 0),
  };
}

/** The data model of SPEC section 1: items, events, and how stored lines are read back. */
import { isCalendarDate } from "./calendar.js";
import { MAX_YEAR, MIN_YEAR } from "./limits.js";

export const STATUSES = ["open", "in_progress", "blocked", "done", "canceled"] as const;
export const PRIORITIES = ["P0", "P1", "P2", "P3"] as const;
export const SOURCES = ["risk", "pressure", "digest", "manual"] as const;
export const EVENT_TYPES = ["created", "status_change", "comment", "auto_update", "edited"] as const;
export const EVIDENCE_KINDS = ["alerts", "incidents", "release_checks", "artifacts", "followups"] as const;
export const CLOSED_STATUSES: ReadonlySet<string> = new Set(["done", "canceled"]);

export type Status = (typeof STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type Source = (typeof SOURCES)[number];
export type EventType = (typeof EVENT_TYPES)[number];
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
export type EvidenceRefs = Record<EvidenceKind, string[]>;

export interface BacklogItem {
  id: string;
  created_at: string;
  updated_at: string;
  env: string;
  service: string;
  category: string;
  title: string;
  description: string;
  priority: Priority;
  status: Status;
  owner: string;
  due_date: string;
  source: Source;
  dedupe_key: string;
  evidence_refs: EvidenceRefs;
  tags: string[];
  meta: Record<string, unknown>;
}

export interface BacklogEvent {
  id: string;
  item_id: string;
  ts: string;
  type: EventType;
  message: string;
  actor: string;
  meta: Record<string, unknown>;
}

export const SERVICE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const ITEM_ID_PATTERN = /^bl_[0-9a-f]{12}$/;
export const EVENT_ID_PATTERN = /^ev_[0-9a-f]{12}$/;
export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export const isClosed = (item: Pick<BacklogItem, "status">): boolean => CLOSED_STATUSES.has(item.status);

export function emptyEvidence(): EvidenceRefs {
  return { alerts: [], incidents: [], release_checks: [], artifacts: [], followups: [] };
}

/** Field order of a serialized item: stable keys make diffs of the log readable. */
export function canonicalItem(item: BacklogItem): BacklogItem {
  return {
    id: item.id,
    created_at: item.created_at,
    updated_at: item.updated_at,
    env: item.env,
    service: item.service,
    category: item.category,
    title: item.title,
    description: item.description,
    priority: item.priority,
    status: item.status,
    owner: item.owner,
    due_date: item.due_date,
    source: item.source,
    dedupe_key: item.dedupe_key,
    evidence_refs: item.evidence_refs,
    tags: item.tags,
    meta: item.meta,
  };
}

const NAIVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The reference Python store writes `datetime.isoformat()` without a zone: those are UTC.
 * Anything with a zone is normalised to `...Z`; an unparseable value is kept as it is.
 */
export function normalizeTimestamp(value: unknown, fallback: string): string {
  if (typeof value !== "string" || value === "") return fallback;
  // What this program writes is already canonical: the common case costs a few character tests.
  if (value.length === 24 && value.charCodeAt(23) === 90 /* Z */ && value.charCodeAt(10) === 84 /* T */ && CANONICAL_TIMESTAMP.test(value)) return value;
  const text = NAIVE_TIMESTAMP.test(value) ? `${value.replace(" ", "T")}Z` : value;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/**
 * A timestamp a store may hold: one that normalizeTimestamp reads (zone or naive UTC) and whose
 * date is a real calendar date (Date.parse would roll 2026-02-30 over) in the clock's years.
 */
export function isStoredTimestamp(value: string): boolean {
  const year = Number(value.slice(0, 4));
  return (
    CANONICAL_TIMESTAMP.test(normalizeTimestamp(value, "")) && isCalendarDate(value.slice(0, 10)) && year >= MIN_YEAR && year <= MAX_YEAR
  );
}

const asString = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);
const asStringArray = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/**
 * Receives what reading a stored line found about one field: a case variant read as the canonical
 * value (`Done` as `done`), or a value outside its enum (then the line is unreadable: it is never
 * coerced to a default). The store adds file and line and reports it on stderr.
 */
export type StoredValueNote = (field: string, message: string) => void;

/** Thrown inside a normaliser when a value is outside its enum; caught by the normaliser itself. */
const UNKNOWN = Symbol("unknown stored value");

/**
 * The allowed constant itself (one shared string); `fallback` when the field is absent or null
 * (the reference store's default); a case variant normalised with a note; anything else is UNKNOWN.
 */
function oneOf<T extends string>(allowed: readonly T[], value: unknown, fallback: T, field: string, note?: StoredValueNote): T {
  if (value === undefined || value === null) return fallback;
  const i = typeof value === "string" ? (allowed as readonly string[]).indexOf(value) : -1;
  if (i !== -1) return allowed[i];
  const lower = typeof value === "string" ? value.toLowerCase() : null;
  const variant = lower === null ? -1 : allowed.findIndex((a) => a.toLowerCase() === lower);
  if (variant !== -1) {
    note?.(field, `${JSON.stringify(value)} read as "${allowed[variant]}"`);
    return allowed[variant];
  }
  note?.(field, `${JSON.stringify(value)} is not one of ${allowed.join("|")}`);
  throw UNKNOWN;
}

function normalizeEvidence(value: unknown): EvidenceRefs {
  const raw = asRecord(value);
  const refs = emptyEvidence();
  for (const kind of EVIDENCE_KINDS) refs[kind] = asStringArray(raw[kind]);
  return refs;
}

/** The scalar fields of an item, the ones indexes keep; see normalizeStoredItem. */
export type ItemScalars = Pick<BacklogItem, "id" | "created_at" | "updated_at" | "env" | "service" | "category" | "priority" | "status" | "owner" | "due_date" | "dedupe_key">;

/**
 * The scalar fields of a stored item, with the reference store's defaults. Indexes read only
 * these (it is the hot path of a cold read); normalizeStoredItem builds on it, so the two agree.
 */
export function storedItemScalars(raw: unknown, note?: StoredValueNote): ItemScalars | null {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== "string" || r.id === "") return null;
  try {
    return itemScalars(r, r.id, note);
  } catch (error) {
    if (error === UNKNOWN) return null;
    throw error;
  }
}

function itemScalars(r: Record<string, unknown>, id: string, note: StoredValueNote | undefined): ItemScalars {
  // Not an index field, but checked here so that the index and a full read skip the same lines.
  oneOf(SOURCES, r.source, "manual", "source", note);
  const createdAt = normalizeTimestamp(r.created_at, "1970-01-01T00:00:00.000Z");
  return {
    id,
    created_at: createdAt,
    updated_at: normalizeTimestamp(r.updated_at, createdAt),
    env: asString(r.env, "prod") || "prod",
    service: asString(r.service, ""),
    category: asString(r.category, ""),
    priority: oneOf(PRIORITIES, r.priority, "P2", "priority", note),
    status: oneOf(STATUSES, r.status, "open", "status", note),
    owner: asString(r.owner, "oncall") || "oncall",
    due_date: typeof r.due_date === "string" ? r.due_date.slice(0, 10) : "",
    // The default is built only when needed: this runs for every line of a log.
    dedupe_key: typeof r.dedupe_key === "string" && r.dedupe_key !== "" ? r.dedupe_key : `manual:${id}`,
  };
}

/**
 * Reads one stored item the way the reference store defines it: missing fields take its defaults
 * (env prod, priority P2, status open, owner oncall, source manual, empty collections).
 * Returns null when the value is not an item at all (no string id), or holds a value outside its
 * enum (told to `note`): such a line is unreadable, never coerced to a default.
 */
export function normalizeStoredItem(raw: unknown, note?: StoredValueNote): BacklogItem | null {
  const scalars = storedItemScalars(raw, note);
  if (!scalars) return null;
  const r = raw as Record<string, unknown>;
  // Field by field, not `...scalars`: V8 made the spread copies several times larger, and a page
  // of them in flight is what `list --all` and `export` hold (measured: 100k items, 255 → ~150 MB).
  return canonicalItem({
    id: scalars.id,
    created_at: scalars.created_at,
    updated_at: scalars.updated_at,
    env: scalars.env,
    service: scalars.service,
    category: scalars.category,
    title: asString(r.title, ""),
    description: asString(r.description, ""),
    priority: scalars.priority,
    status: scalars.status,
    owner: scalars.owner,
    due_date: scalars.due_date,
    // Already checked (and noted) by storedItemScalars.
    source: oneOf(SOURCES, r.source, "manual", "source"),
    dedupe_key: scalars.dedupe_key,
    evidence_refs: normalizeEvidence(r.evidence_refs),
    tags: asStringArray(r.tags),
    meta: asRecord(r.meta),
  });
}

export function normalizeStoredEvent(raw: unknown, note?: StoredValueNote): BacklogEvent | null {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== "string" || typeof r.item_id !== "string") return null;
  let type: EventType;
  try {
    type = oneOf(EVENT_TYPES, r.type, "comment", "type", note);
  } catch (error) {
    if (error === UNKNOWN) return null;
    throw error;
  }
  return {
    id: r.id,
    item_id: r.item_id,
    ts: normalizeTimestamp(r.ts, "1970-01-01T00:00:00.000Z"),
    type,
    message: asString(r.message, ""),
    actor: asString(r.actor, ""),
    meta: asRecord(r.meta),
  };
}

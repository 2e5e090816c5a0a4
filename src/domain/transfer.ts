/**
 * The export format (one JSON object per line: `{"item":{…}}` or `{"event":{…}}`) and the plan
 * of an import: what is new, what is already there, what conflicts. Pure.
 */
import { type BacklogEvent, type BacklogItem, canonicalItem, normalizeStoredEvent, normalizeStoredItem } from "./item.js";
import { stableJson } from "./upsert.js";

export function exportLines(items: readonly BacklogItem[], events: readonly BacklogEvent[]): string {
  const out: string[] = [];
  for (const item of items) out.push(JSON.stringify({ item: canonicalItem(item) }));
  for (const event of events) out.push(JSON.stringify({ event }));
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** An import's record and the line of the file it came from (1-based), for messages. */
export interface Numbered<T> {
  line: number;
  value: T;
}

export interface ParsedExport {
  items: Array<Numbered<BacklogItem>>;
  events: Array<Numbered<BacklogEvent>>;
  /** `line N: …`, in line order. */
  errors: string[];
}

/**
 * How a record is validated: the rules `create` applies (schema, sizes, policy names) plus those
 * of stored records (ids, timestamps). Passed in, so that this module stays pure and the rules
 * stay in one place; each returns `field: problem` lines, none when the record is valid.
 */
export interface RecordChecks {
  item(raw: unknown): string[];
  event(raw: unknown): string[];
}

const idOf = (raw: unknown): string | null => {
  const id = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>).id : undefined;
  return typeof id === "string" ? id : null;
};

/** The lines of an export: each call reads them again from the start (an import reads its file twice). */
export type LineSource = () => Iterable<string>;

/** One record of an export and the line it came from (1-based). */
export type ExportRecord = ({ kind: "item" } & Numbered<BacklogItem>) | ({ kind: "event" } & Numbered<BacklogEvent>);

const NOT_A_RECORD = 'expected {"item":{…}} or {"event":{…}}';

/** A line's record as JSON, its kind and the raw value; a string says why it is none; null for a blank line. */
function rawRecord(line: string): { kind: "item" | "event"; raw: unknown } | string | null {
  if (line.trim() === "") return null;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  const r = record !== null && typeof record === "object" && !Array.isArray(record) ? (record as Record<string, unknown>) : {};
  const keys = Object.keys(r);
  if (keys.length !== 1 || (keys[0] !== "item" && keys[0] !== "event")) return NOT_A_RECORD;
  return { kind: keys[0], raw: r[keys[0]] };
}

/**
 * Reads an export a line at a time: each record checked (the caller's rules), read, and unique by
 * id among its kind and by dedupe key among items; what fails is listed in `errors` (`line N: …`,
 * in line order), never imported in part. Keeps only the line of each id and key it met.
 */
export class ExportReader {
  readonly errors: string[] = [];
  /** The line of each item id read so far. */
  readonly itemLines = new Map<string, number>();
  private readonly keyLines = new Map<string, number>();
  private readonly eventLines = new Map<string, number>();
  private lineNo = 0;

  constructor(private readonly checks: RecordChecks) {}

  read(text: string): ExportRecord | null {
    this.lineNo += 1;
    const lineNo = this.lineNo;
    const fail = (what: string) => {
      this.errors.push(`line ${lineNo}: ${what}`);
      return null;
    };
    // A file saved by an editor may start with a UTF-8 byte-order mark: it is not part of the JSON.
    const found = rawRecord(lineNo === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    if (found === null) return null;
    if (typeof found === "string") return fail(found);
    const { kind, raw } = found;
    const problems = kind === "item" ? this.checks.item(raw) : this.checks.event(raw);
    const value = problems.length === 0 ? (kind === "item" ? normalizeStoredItem(raw) : normalizeStoredEvent(raw)) : null;
    const label = `${kind} ${idOf(raw) ?? "(no id)"}`;
    if (!value) return fail(`${label}: ${problems.join("; ") || `not an ${kind}`}`);
    const lines = kind === "item" ? this.itemLines : this.eventLines;
    const twin = lines.get(value.id);
    if (twin !== undefined) return fail(`${label} appears twice (also line ${twin})`);
    lines.set(value.id, lineNo);
    if (!("dedupe_key" in value)) return { kind: "event", line: lineNo, value };
    const keyTwin = this.keyLines.get(value.dedupe_key);
    if (keyTwin !== undefined) {
      lines.delete(value.id);
      return fail(`${label}: dedupe key "${value.dedupe_key}" is also the key of line ${keyTwin}`);
    }
    this.keyLines.set(value.dedupe_key, lineNo);
    return { kind: "item", line: lineNo, value };
  }
}

/**
 * A line of an export that an ExportReader has already passed (the same bytes read again), read
 * without its checks; null for a blank line, and an Error when it is no longer a record (the file
 * changed since).
 */
export function readCheckedRecord(text: string, lineNo: number): ExportRecord | null | Error {
  const found = rawRecord(lineNo === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (found === null) return null;
  const value = typeof found === "string" ? null : found.kind === "item" ? normalizeStoredItem(found.raw) : normalizeStoredEvent(found.raw);
  if (value === null || typeof found === "string") return new Error(`line ${lineNo} is no longer a record`);
  return found.kind === "item" ? { kind: "item", line: lineNo, value: value as BacklogItem } : { kind: "event", line: lineNo, value: value as BacklogEvent };
}

/** Parses and validates every line (of the text, or of `source`); a record that fails is listed, never imported in part. */
export function parseExport(source: string | LineSource, checks: RecordChecks): ParsedExport {
  const parsed: ParsedExport = { items: [], events: [], errors: [] };
  const reader = new ExportReader(checks);
  for (const line of typeof source === "string" ? source.split("\n") : source()) {
    const record = reader.read(line);
    if (record?.kind === "item") parsed.items.push({ line: record.line, value: record.value });
    else if (record?.kind === "event") parsed.events.push({ line: record.line, value: record.value });
  }
  parsed.errors = reader.errors;
  return parsed;
}

export interface ImportPlan {
  items: BacklogItem[];
  events: BacklogEvent[];
  /** Already stored, identical: skipped, which makes re-imports change nothing. */
  unchanged: number;
  conflicts: string[];
}

const same = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

/** What an import does with an item: "new" (written), "unchanged" (stored, identical: skipped), or the conflict to report. */
export function planItem(line: number, item: BacklogItem, current: BacklogItem | undefined, keyOwner: BacklogItem | undefined): "new" | "unchanged" | { conflict: string } {
  if (keyOwner && keyOwner.id !== item.id) return { conflict: `line ${line}: item ${item.id}: dedupe key "${item.dedupe_key}" is taken by ${keyOwner.id}` };
  if (current && !same(canonicalItem(current), canonicalItem(item))) {
    return { conflict: `line ${line}: item ${item.id}: differs from the stored version (updated_at ${current.updated_at} here, ${item.updated_at} in the file)` };
  }
  return current ? "unchanged" : "new";
}

/** The same for an event; `itemKnown`: its item is stored or in the file. */
export function planEvent(line: number, event: BacklogEvent, current: BacklogEvent | undefined, itemKnown: boolean): "new" | "unchanged" | { conflict: string } {
  if (current && !same(current, event)) return { conflict: `line ${line}: event ${event.id}: differs from the stored event` };
  if (current) return "unchanged";
  if (!itemKnown) return { conflict: `line ${line}: event ${event.id}: its item ${event.item_id} is neither stored nor in the file` };
  return "new";
}

export function planImport(
  incoming: ParsedExport,
  stored: { byId: Map<string, BacklogItem>; byKey: Map<string, BacklogItem>; events: Map<string, BacklogEvent> },
): ImportPlan {
  const plan: ImportPlan = { items: [], events: [], unchanged: 0, conflicts: [] };
  const known = new Set(stored.byId.keys());
  for (const { line, value: item } of incoming.items) {
    const outcome = planItem(line, item, stored.byId.get(item.id), stored.byKey.get(item.dedupe_key));
    if (outcome === "new") plan.items.push(item);
    else if (outcome === "unchanged") plan.unchanged += 1;
    else plan.conflicts.push(outcome.conflict);
    known.add(item.id);
  }
  for (const { line, value: event } of incoming.events) {
    const outcome = planEvent(line, event, stored.events.get(event.id), known.has(event.item_id));
    if (outcome === "new") plan.events.push(event);
    else if (outcome === "unchanged") plan.unchanged += 1;
    else plan.conflicts.push(outcome.conflict);
  }
  return plan;
}

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

/** The lines of an export, handed to `each` in order (a file read a chunk at a time). */
export type LineSource = (each: (line: string) => void) => void;

/** Parses and validates every line (of the text, or as `source` hands them); a record that fails is listed, never imported in part. */
export function parseExport(source: string | LineSource, checks: RecordChecks): ParsedExport {
  const parsed: ParsedExport = { items: [], events: [], errors: [] };
  const itemLines = new Map<string, number>();
  const keyLines = new Map<string, number>();
  const eventLines = new Map<string, number>();
  const eachLine: LineSource = typeof source === "string" ? (each) => source.split("\n").forEach((line) => each(line)) : source;
  let lineNo = 0;
  eachLine((text) => {
    lineNo += 1;
    // A file saved by an editor may start with a UTF-8 byte-order mark: it is not part of the JSON.
    const line = lineNo === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const fail = (what: string) => parsed.errors.push(`line ${lineNo}: ${what}`);
    if (line.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      fail("not JSON");
      return;
    }
    const r = record !== null && typeof record === "object" && !Array.isArray(record) ? (record as Record<string, unknown>) : {};
    const keys = Object.keys(r);
    if (keys.length !== 1 || (keys[0] !== "item" && keys[0] !== "event")) {
      fail('expected {"item":{…}} or {"event":{…}}');
      return;
    }
    // Each record is checked (the caller's rules), read, and unique by id among its kind.
    const kind = keys[0];
    const raw = r[kind];
    const problems = kind === "item" ? checks.item(raw) : checks.event(raw);
    const value = problems.length === 0 ? (kind === "item" ? normalizeStoredItem(raw) : normalizeStoredEvent(raw)) : null;
    const label = `${kind} ${idOf(raw) ?? "(no id)"}`;
    if (!value) return fail(`${label}: ${problems.join("; ") || `not an ${kind}`}`);
    const lines = kind === "item" ? itemLines : eventLines;
    const twin = lines.get(value.id);
    if (twin !== undefined) return fail(`${label} appears twice (also line ${twin})`);
    if ("dedupe_key" in value) {
      const keyTwin = keyLines.get(value.dedupe_key);
      if (keyTwin !== undefined) return fail(`${label}: dedupe key "${value.dedupe_key}" is also the key of line ${keyTwin}`);
      keyLines.set(value.dedupe_key, lineNo);
      parsed.items.push({ line: lineNo, value });
    } else {
      parsed.events.push({ line: lineNo, value });
    }
    lines.set(value.id, lineNo);
  });
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

export function planImport(
  incoming: ParsedExport,
  stored: { byId: Map<string, BacklogItem>; byKey: Map<string, BacklogItem>; events: Map<string, BacklogEvent> },
): ImportPlan {
  const plan: ImportPlan = { items: [], events: [], unchanged: 0, conflicts: [] };
  const known = new Set(stored.byId.keys());
  for (const { line, value: item } of incoming.items) {
    const current = stored.byId.get(item.id);
    const keyOwner = stored.byKey.get(item.dedupe_key);
    if (keyOwner && keyOwner.id !== item.id) {
      plan.conflicts.push(`line ${line}: item ${item.id}: dedupe key "${item.dedupe_key}" is taken by ${keyOwner.id}`);
    } else if (current && !same(canonicalItem(current), canonicalItem(item))) {
      plan.conflicts.push(`line ${line}: item ${item.id}: differs from the stored version (updated_at ${current.updated_at} here, ${item.updated_at} in the file)`);
    } else if (current) {
      plan.unchanged += 1;
    } else {
      plan.items.push(item);
    }
    known.add(item.id);
  }
  for (const { line, value: event } of incoming.events) {
    const current = stored.events.get(event.id);
    if (current && !same(current, event)) plan.conflicts.push(`line ${line}: event ${event.id}: differs from the stored event`);
    else if (current) plan.unchanged += 1;
    else if (!known.has(event.item_id)) plan.conflicts.push(`line ${line}: event ${event.id}: its item ${event.item_id} is neither stored nor in the file`);
    else plan.events.push(event);
  }
  return plan;
}

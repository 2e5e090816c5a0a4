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

export interface ParsedExport {
  items: BacklogItem[];
  events: BacklogEvent[];
  errors: string[];
}

export function parseExport(text: string): ParsedExport {
  const parsed: ParsedExport = { items: [], events: [], errors: [] };
  const itemIds = new Set<string>();
  const eventIds = new Set<string>();
  text.split("\n").forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      parsed.errors.push(`${where}: not JSON`);
      return;
    }
    const r = (record ?? {}) as Record<string, unknown>;
    if ("item" in r && !("event" in r)) {
      const item = normalizeStoredItem(r.item);
      if (!item || item.service === "" || item.category === "") parsed.errors.push(`${where}: item needs id, service and category`);
      else if (itemIds.has(item.id)) parsed.errors.push(`${where}: item ${item.id} appears twice`);
      else {
        itemIds.add(item.id);
        parsed.items.push(item);
      }
    } else if ("event" in r && !("item" in r)) {
      const event = normalizeStoredEvent(r.event);
      if (!event) parsed.errors.push(`${where}: event needs id and item_id`);
      else if (eventIds.has(event.id)) parsed.errors.push(`${where}: event ${event.id} appears twice`);
      else {
        eventIds.add(event.id);
        parsed.events.push(event);
      }
    } else {
      parsed.errors.push(`${where}: expected {"item":{…}} or {"event":{…}}`);
    }
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
  for (const item of incoming.items) {
    const current = stored.byId.get(item.id);
    const keyOwner = stored.byKey.get(item.dedupe_key);
    if (keyOwner && keyOwner.id !== item.id) {
      plan.conflicts.push(`item ${item.id}: dedupe key "${item.dedupe_key}" is taken by ${keyOwner.id}`);
    } else if (current && !same(canonicalItem(current), canonicalItem(item))) {
      plan.conflicts.push(`item ${item.id}: differs from the stored version (updated_at ${current.updated_at} here, ${item.updated_at} in the file)`);
    } else if (current) {
      plan.unchanged += 1;
    } else {
      plan.items.push(item);
    }
    known.add(item.id);
  }
  for (const event of incoming.events) {
    const current = stored.events.get(event.id);
    if (current && !same(current, event)) plan.conflicts.push(`event ${event.id}: differs from the stored event`);
    else if (current) plan.unchanged += 1;
    else if (!known.has(event.item_id)) plan.conflicts.push(`event ${event.id}: its item ${event.item_id} is neither stored nor in the file`);
    else plan.events.push(event);
  }
  return plan;
}

/** The two indexes of a JSONL store: the latest version of each item, and each item's events. */
import { normalizeStoredEvent, normalizeStoredItem } from "../domain/item.js";
import type { ItemFields } from "../domain/query.js";
import type { IndexKind } from "./jsonl-index.js";

/** Enough of an item to filter, sort, aggregate and find it, and where its latest line is. */
export interface ItemEntry extends ItemFields {
  updated_at: string;
  dedupe_key: string;
  off: number;
  len: number;
}

const ENTRY_FIELDS = ["id", "env", "service", "category", "priority", "status", "owner", "due_date", "created_at", "updated_at", "dedupe_key", "off", "len"] as const;

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

export const itemsIndex: IndexKind<Map<string, ItemEntry>> = {
  name: "items",
  empty: () => new Map(),
  add(state, line, off, len) {
    // The same reading as a full read (defaults of the reference store included): the entry
    // cannot disagree with the item it points to.
    const item = normalizeStoredItem(parse(line));
    if (!item) return false;
    state.set(item.id, {
      id: item.id,
      env: item.env,
      service: item.service,
      category: item.category,
      priority: item.priority,
      status: item.status,
      owner: item.owner,
      due_date: item.due_date,
      created_at: item.created_at,
      updated_at: item.updated_at,
      dedupe_key: item.dedupe_key,
      off,
      len,
    });
    return true;
  },
  // Rows of values, not objects: a third of the size, and quicker to parse back.
  toJson: (state) => [...state.values()].map((e) => ENTRY_FIELDS.map((f) => e[f])),
  fromJson(json) {
    if (!Array.isArray(json)) return null;
    const state = new Map<string, ItemEntry>();
    for (const row of json as unknown[]) {
      if (!Array.isArray(row) || row.length !== ENTRY_FIELDS.length) return null;
      const [id, env, service, category, priority, status, owner, due_date, created_at, updated_at, dedupe_key, off, len] = row;
      // A literal, in ENTRY_FIELDS order: one hidden class for all entries, built fast.
      state.set(id, { id, env, service, category, priority, status, owner, due_date, created_at, updated_at, dedupe_key, off, len });
    }
    return state;
  },
};

/** item_id → offsets and lengths of its event lines, flat: [off, len, off, len, …]. */
export const eventsIndex: IndexKind<Map<string, number[]>> = {
  name: "events",
  empty: () => new Map(),
  add(state, line, off, len) {
    const event = normalizeStoredEvent(parse(line));
    if (!event) return false;
    const positions = state.get(event.item_id);
    if (positions) positions.push(off, len);
    else state.set(event.item_id, [off, len]);
    return true;
  },
  toJson: (state) => Object.fromEntries(state),
  fromJson(json) {
    if (json === null || typeof json !== "object" || Array.isArray(json)) return null;
    return new Map(Object.entries(json as Record<string, number[]>));
  },
};

/** The two indexes of a JSONL store: the latest version of each item, and each item's events. */
import { normalizeStoredEvent, storedItemScalars } from "../domain/item.js";
import type { ItemFields } from "../domain/query.js";
import { IndexFileError, StringTable, stringAt } from "./index-codec.js";
import { tryParse } from "./jsonl-file.js";
import type { IndexKind } from "./jsonl-index.js";

/** Enough of an item to filter, sort, aggregate and find it, and where its latest line is. */
export interface ItemEntry extends ItemFields {
  updated_at: string;
  dedupe_key: string;
  off: number;
  len: number;
}

const ENTRY_FIELDS = ["id", "env", "service", "category", "priority", "status", "owner", "due_date", "created_at", "updated_at", "dedupe_key", "off", "len"] as const;
/** The string fields of an entry: all but off and len. */
const TEXT_FIELDS = ENTRY_FIELDS.length - 2;
const isPosition = (n: number) => Number.isSafeInteger(n) && n >= 0;

/**
 * One string instance per distinct value of the low-cardinality fields: entries share them, so a
 * long log leaves far fewer surviving strings for the garbage collector to move.
 */
const interned = new Map<string, string>();
function intern(value: string): string {
  const known = interned.get(value);
  if (known !== undefined) return known;
  if (interned.size < 100_000) interned.set(value, value);
  return value;
}

export const itemsIndex: IndexKind<Map<string, ItemEntry>> = {
  name: "items",
  empty: () => new Map(),
  add(state, line, off, len, note) {
    // The same reading as a full read (defaults of the reference store included): the entry
    // cannot disagree with the item it points to.
    const f = storedItemScalars(tryParse(line), note);
    if (!f) return false;
    const entry = state.get(f.id);
    if (entry) {
      // A newer version: updated in place, no new entry (most lines of a long log are these).
      entry.env = intern(f.env);
      entry.service = intern(f.service);
      entry.category = intern(f.category);
      entry.priority = f.priority;
      entry.status = f.status;
      entry.owner = intern(f.owner);
      entry.due_date = f.due_date;
      entry.created_at = f.created_at;
      entry.updated_at = f.updated_at;
      entry.dedupe_key = f.dedupe_key;
      entry.off = off;
      entry.len = len;
    } else {
      const { id, priority, status, due_date, created_at, updated_at, dedupe_key } = f;
      const [env, service, category, owner] = [intern(f.env), intern(f.service), intern(f.category), intern(f.owner)];
      state.set(id, { id, env, service, category, priority, status, owner, due_date, created_at, updated_at, dedupe_key, off, len });
    }
    return true;
  },
  // One flat array of values, ENTRY_FIELDS.length per entry: a third of the size of objects, and
  // the quickest shape to write and to parse back.
  toJson(state) {
    const flat: unknown[] = [];
    for (const e of state.values()) {
      flat.push(e.id, e.env, e.service, e.category, e.priority, e.status, e.owner, e.due_date, e.created_at, e.updated_at, e.dedupe_key, e.off, e.len);
    }
    return flat;
  },
  merge(into, later) {
    for (const [id, entry] of later) into.set(id, entry);
  },
  // Rows of string numbers, ENTRY_FIELDS.length - 2 per entry, then offsets and lengths.
  encode(state, out) {
    const table = new StringTable();
    const rows = new Uint32Array(state.size * TEXT_FIELDS);
    const offs = new Float64Array(state.size);
    const lens = new Uint32Array(state.size);
    let r = 0;
    for (const e of state.values()) {
      let b = r * TEXT_FIELDS;
      for (const text of [e.id, e.env, e.service, e.category, e.priority, e.status, e.owner, e.due_date, e.created_at, e.updated_at, e.dedupe_key]) rows[b++] = table.number(text);
      offs[r] = e.off;
      lens[r] = e.len;
      r += 1;
    }
    out.strings(table);
    out.u32s(rows);
    out.f64s(offs);
    out.u32s(lens);
  },
  decode(input) {
    const strings = input.strings();
    const rows = input.u32s();
    const offs = input.f64s();
    const lens = input.u32s();
    if (rows.length !== offs.length * TEXT_FIELDS || lens.length !== offs.length) throw new IndexFileError("unreadable saved index: column lengths");
    // Every string number checked once, here: the loop below then indexes the table directly.
    for (let i = 0; i < rows.length; i += 1) if (rows[i] >= strings.length) throw new IndexFileError("unreadable saved index: string number");
    const state = new Map<string, ItemEntry>();
    const s = strings;
    for (let r = 0, b = 0; r < offs.length; r += 1, b += TEXT_FIELDS) {
      if (!isPosition(offs[r])) throw new IndexFileError("unreadable saved index: offset");
      const id = s[rows[b]];
      // A literal, in ENTRY_FIELDS order: one hidden class for all entries, built fast.
      state.set(id, {
        id, env: s[rows[b + 1]], service: s[rows[b + 2]], category: s[rows[b + 3]], priority: s[rows[b + 4]], status: s[rows[b + 5]], owner: s[rows[b + 6]],
        due_date: s[rows[b + 7]], created_at: s[rows[b + 8]], updated_at: s[rows[b + 9]], dedupe_key: s[rows[b + 10]], off: offs[r], len: lens[r],
      } as ItemEntry);
    }
    return state;
  },
  fromJson(json) {
    const width = ENTRY_FIELDS.length;
    if (!Array.isArray(json) || json.length % width !== 0) return null;
    const v = json as Array<string & number>;
    const state = new Map<string, ItemEntry>();
    for (let i = 0; i < v.length; i += width) {
      // A literal, in ENTRY_FIELDS order: one hidden class for all entries, built fast.
      state.set(v[i], {
        id: v[i], env: v[i + 1], service: v[i + 2], category: v[i + 3], priority: v[i + 4], status: v[i + 5], owner: v[i + 6],
        due_date: v[i + 7], created_at: v[i + 8], updated_at: v[i + 9], dedupe_key: v[i + 10], off: v[i + 11], len: v[i + 12],
      } as ItemEntry);
    }
    return state;
  },
};

/** item_id → offsets and lengths of its event lines, flat: [off, len, off, len, …]. */
export const eventsIndex: IndexKind<Map<string, number[]>> = {
  name: "events",
  empty: () => new Map(),
  add(state, line, off, len, note) {
    const event = normalizeStoredEvent(tryParse(line), note);
    if (!event) return false;
    const positions = state.get(event.item_id);
    if (positions) positions.push(off, len);
    else state.set(event.item_id, [off, len]);
    return true;
  },
  toJson: (state) => Object.fromEntries(state),
  // Item ids, how many numbers each has, then all the numbers.
  encode(state, out) {
    const table = new StringTable();
    const ids = new Uint32Array(state.size);
    const counts = new Uint32Array(state.size);
    let total = 0;
    for (const positions of state.values()) total += positions.length;
    const all = new Float64Array(total);
    let k = 0;
    let at = 0;
    for (const [itemId, positions] of state) {
      ids[k] = table.number(itemId);
      counts[k] = positions.length;
      all.set(positions, at);
      at += positions.length;
      k += 1;
    }
    out.strings(table);
    out.u32s(ids);
    out.u32s(counts);
    out.f64s(all);
  },
  decode(input) {
    const strings = input.strings();
    const ids = input.u32s();
    const counts = input.u32s();
    const all = input.f64s();
    if (counts.length !== ids.length) throw new IndexFileError("unreadable saved index: column lengths");
    for (let i = 0; i < all.length; i += 1) if (!isPosition(all[i])) throw new IndexFileError("unreadable saved index: offset");
    const state = new Map<string, number[]>();
    let at = 0;
    for (let k = 0; k < ids.length; k += 1) {
      const count = counts[k];
      if (count % 2 !== 0 || at + count > all.length) throw new IndexFileError("unreadable saved index: positions");
      const positions = new Array<number>(count);
      for (let i = 0; i < count; i += 1) positions[i] = all[at + i];
      state.set(stringAt(strings, ids[k]), positions);
      at += count;
    }
    if (at !== all.length) throw new IndexFileError("unreadable saved index: positions");
    return state;
  },
  merge(into, later) {
    for (const [itemId, positions] of later) {
      const mine = into.get(itemId);
      // A loop, not push(...positions): an item with a very long timeline would overflow the stack.
      if (mine) for (const p of positions) mine.push(p);
      else into.set(itemId, positions);
    }
  },
  fromJson(json) {
    if (json === null || typeof json !== "object" || Array.isArray(json)) return null;
    return new Map(Object.entries(json as Record<string, number[]>));
  },
};

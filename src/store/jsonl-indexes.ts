/** The two indexes of a JSONL store: the latest version of each item, and each item's events. */
import { normalizeStoredEvent, storedItemScalars } from "../domain/item.js";
import type { ItemFields } from "../domain/query.js";
import { type ColumnReader, IndexFileError, StringTable, stringAt } from "./index-codec.js";
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

/** The string fields of an entry but its id, in the order of a saved row. */
const ROW_FIELDS = TEXT_FIELDS - 1;

/**
 * The columns of a saved items index after its ids: offsets and lengths (`count` of each), the
 * table of the other strings, and the rows of their numbers; every number and offset checked.
 */
function itemColumns(input: ColumnReader, count: number): { offs: Float64Array; lens: Uint32Array; strings: string[]; rows: Uint32Array } {
  const offs = input.f64s();
  const lens = input.u32s();
  const strings = input.strings();
  const rows = input.u32s();
  if (offs.length !== count || lens.length !== count || rows.length !== count * ROW_FIELDS) throw new IndexFileError("unreadable saved index: column lengths");
  // Every string number checked once, here: entryOfRow then indexes the table directly.
  for (let i = 0; i < rows.length; i += 1) if (rows[i] >= strings.length) throw new IndexFileError("unreadable saved index: string number");
  for (let r = 0; r < count; r += 1) if (!isPosition(offs[r])) throw new IndexFileError("unreadable saved index: offset");
  return { offs, lens, strings, rows };
}

/** The entry of row `r` (its id `id`), its other strings numbered in `s` (checked by itemColumns). */
function entryOfRow(id: string, s: readonly string[], rows: Uint32Array, offs: Float64Array, lens: Uint32Array, r: number): ItemEntry {
  const b = r * ROW_FIELDS;
  // A literal, in ENTRY_FIELDS order: one hidden class for all entries, built fast.
  return {
    id, env: s[rows[b]], service: s[rows[b + 1]], category: s[rows[b + 2]], priority: s[rows[b + 3]], status: s[rows[b + 4]], owner: s[rows[b + 5]],
    due_date: s[rows[b + 6]], created_at: s[rows[b + 7]], updated_at: s[rows[b + 8]], dedupe_key: s[rows[b + 9]], off: offs[r], len: lens[r],
  } as ItemEntry;
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
  merge(into, later) {
    for (const [id, entry] of later) into.set(id, entry);
  },
  // The ids (a table of their own, in entry order), their lines' offsets and lengths: all that a
  // lookup reads. Then the other strings, and rows of their numbers, ROW_FIELDS per entry.
  encode(state, out) {
    const table = new StringTable();
    const ids: string[] = [];
    const rows = new Uint32Array(state.size * ROW_FIELDS);
    const offs = new Float64Array(state.size);
    const lens = new Uint32Array(state.size);
    let r = 0;
    for (const e of state.values()) {
      let b = r * ROW_FIELDS;
      ids.push(e.id);
      for (const text of [e.env, e.service, e.category, e.priority, e.status, e.owner, e.due_date, e.created_at, e.updated_at, e.dedupe_key]) rows[b++] = table.number(text);
      offs[r] = e.off;
      lens[r] = e.len;
      r += 1;
    }
    out.strings(ids);
    out.f64s(offs);
    out.u32s(lens);
    out.strings(table);
    out.u32s(rows);
  },
  decode(input) {
    const ids = input.strings();
    const { offs, lens, strings, rows } = itemColumns(input, ids.length);
    const state = new Map<string, ItemEntry>();
    for (let r = 0; r < ids.length; r += 1) state.set(ids[r], entryOfRow(ids[r], strings, rows, offs, lens, r));
    return state;
  },
  decodeSome(input, wanted, line) {
    const ids = input.stringTable();
    const offs = input.f64s();
    const lens = input.u32s();
    if (offs.length !== ids.count || lens.length !== ids.count) throw new IndexFileError("unreadable saved index: column lengths");
    // The other strings and the rows are not read: the entry is read again from its line, by the
    // reading that made it (the line is what the saved entry was made from, or the log changed).
    input.skipStrings();
    input.skip();
    const state = new Map<string, ItemEntry>();
    for (const id of new Set(wanted)) {
      // The last of an id, as in a whole decode.
      const r = ids.numbersOf(id).pop();
      if (r === undefined) continue;
      if (!isPosition(offs[r])) throw new IndexFileError("unreadable saved index: offset");
      const one = new Map<string, ItemEntry>();
      if (!this.add(one, line(offs[r], lens[r]), offs[r], lens[r], () => undefined) || !one.has(id)) {
        throw new IndexFileError(`unreadable saved index: the line of ${id} is not its line`);
      }
      state.set(id, one.get(id) as ItemEntry);
    }
    return state;
  },
};

/**
 * The columns of a saved events index, every count checked; with `strings` (how many the table
 * has), every string number and position too. A lookup checks the positions it uses.
 */
function eventColumns(input: ColumnReader, strings: number | null): { ids: Uint32Array; counts: Uint32Array; all: Float64Array } {
  const ids = input.u32s();
  const counts = input.u32s();
  const all = input.f64s();
  if (counts.length !== ids.length) throw new IndexFileError("unreadable saved index: column lengths");
  if (strings !== null) for (let i = 0; i < all.length; i += 1) if (!isPosition(all[i])) throw new IndexFileError("unreadable saved index: offset");
  let at = 0;
  for (let k = 0; k < ids.length; k += 1) {
    if (strings !== null && ids[k] >= strings) throw new IndexFileError("unreadable saved index: string number");
    if (counts[k] % 2 !== 0 || at + counts[k] > all.length) throw new IndexFileError("unreadable saved index: positions");
    at += counts[k];
  }
  if (at !== all.length) throw new IndexFileError("unreadable saved index: positions");
  return { ids, counts, all };
}

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
    const { ids, counts, all } = eventColumns(input, strings.length);
    const state = new Map<string, number[]>();
    for (let k = 0, at = 0; k < ids.length; at += counts[k], k += 1) state.set(stringAt(strings, ids[k]), Array.from(all.subarray(at, at + counts[k])));
    return state;
  },
  decodeSome(input, itemIds) {
    const strings = input.stringTable();
    const { ids, counts, all } = eventColumns(input, null);
    const wanted = new Set(itemIds.flatMap((id) => strings.numbersOf(id)));
    const state = new Map<string, number[]>();
    // The last record of an item wins, as in a whole decode.
    for (let k = 0, at = 0; k < ids.length && wanted.size > 0; at += counts[k], k += 1) {
      if (!wanted.has(ids[k])) continue;
      const positions = Array.from(all.subarray(at, at + counts[k]));
      if (!positions.every(isPosition)) throw new IndexFileError("unreadable saved index: offset");
      state.set(strings.at(ids[k]), positions);
    }
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
};

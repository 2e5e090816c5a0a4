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

/** From how many ids a lookup reads the whole id table rather than searching it for each (a search costs about a pass). */
const MANY_KEYS = 16;

/** The rows of each of `keys` in `ids`, in order (a whole decode keeps the last, in the place of the first). */
function rowsOfIds(ids: readonly string[], keys: ReadonlySet<string>): (id: string) => number[] {
  const rows = new Map<string, number[]>();
  for (let r = 0; r < ids.length; r += 1) {
    if (!keys.has(ids[r])) continue;
    const known = rows.get(ids[r]);
    if (known) known.push(r);
    else rows.set(ids[r], [r]);
  }
  return (id) => rows.get(id) ?? [];
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
      // An equal value keeps the string the entry holds: the entry lives long, so the line's copy
      // would be promoted to the old generation and be garbage there at the next version.
      if (entry.due_date !== f.due_date) entry.due_date = f.due_date;
      if (entry.created_at !== f.created_at) entry.created_at = f.created_at;
      entry.updated_at = f.updated_at;
      if (entry.dedupe_key !== f.dedupe_key) entry.dedupe_key = f.dedupe_key;
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
    const keys = new Set(wanted);
    // A few ids are searched for in the table; many (the fresh ids of a batch) are found in one pass over it.
    const rowsOf = keys.size <= MANY_KEYS ? (id: string) => ids.numbersOf(id) : rowsOfIds(ids.all(), keys);
    for (const id of keys) {
      // The last of an id, as in a whole decode.
      const r = rowsOf(id).pop();
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

/** The fields a lookup by value (itemsWhere) is asked about, before the rest of an entry is made. */
export interface RowFields {
  env: string;
  status: string;
  dedupe_key: string;
}

/**
 * What decode would give for the entries whose env, status and dedupe key `where` accepts (a
 * lookup by dedupe key, or of the active generated items of an env): every column is read (each
 * section checked by its CRC) but only those entries are made, and each string is decoded only
 * when a row asks for it, so the other entries cost no memory. Every number and offset of a row
 * used is checked as decode checks them.
 */
export function itemsWhere(input: ColumnReader, where: (row: RowFields) => boolean): Map<string, ItemEntry> {
  const ids = input.stringTable();
  const offs = input.f64s();
  const lens = input.u32s();
  const strings = input.stringTable();
  const rows = input.u32s();
  const count = ids.count;
  if (offs.length !== count || lens.length !== count || rows.length !== count * ROW_FIELDS) throw new IndexFileError("unreadable saved index: column lengths");
  // The few values of env, service, category, priority, status, owner and due date are decoded
  // once each; timestamps and dedupe keys (one per item) each time they are read.
  const known = new Map<number, string>();
  const text = (n: number) => {
    let s = known.get(n);
    if (s === undefined) {
      s = strings.at(n);
      if (known.size < 1000) known.set(n, s);
    }
    return s;
  };
  // Each field of the row at `b` decoded only if `where` asks for it (a dedupe key only after its env and status matched).
  let b = 0;
  const row: RowFields = {
    get env() {
      return text(rows[b]);
    },
    get status() {
      return text(rows[b + 4]);
    },
    get dedupe_key() {
      return strings.at(rows[b + 9]);
    },
  };
  const matched: number[] = [];
  for (let r = 0; r < count; r += 1) {
    b = r * ROW_FIELDS;
    if (where(row)) matched.push(r);
  }
  // Only the last row of an id is its entry, as in a whole decode (an id saved twice, its later
  // row not matching, is left out: it is not about the question).
  const all = matched.length > MANY_KEYS ? ids.all() : null;
  const rowsOf = all ? rowsOfIds(all, new Set(matched.map((r) => all[r]))) : (id: string) => ids.numbersOf(id);
  // Each id in the place of its first row, as in a whole decode's map.
  const kept: Array<{ r: number; id: string; first: number }> = [];
  for (const r of matched) {
    const id = all ? all[r] : ids.at(r);
    const its = rowsOf(id);
    if (its[its.length - 1] === r) kept.push({ r, id, first: its[0] });
  }
  kept.sort((x, y) => x.first - y.first);
  const state = new Map<string, ItemEntry>();
  for (const { r, id } of kept) {
    if (!isPosition(offs[r])) throw new IndexFileError("unreadable saved index: offset");
    b = r * ROW_FIELDS;
    const t = (f: number) => text(rows[b + f]);
    // A literal, in ENTRY_FIELDS order, as entryOfRow makes it.
    state.set(id, {
      id, env: row.env, service: t(1), category: t(2), priority: t(3), status: row.status, owner: t(5),
      due_date: t(6), created_at: strings.at(rows[b + 7]), updated_at: strings.at(rows[b + 8]), dedupe_key: row.dedupe_key, off: offs[r], len: lens[r],
    } as ItemEntry);
  }
  return state;
}

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

/** Up to this many positions (half as many events), an item's array is replaced rather than grown. */
const COPIED_POSITIONS = 64;

/** item_id → offsets and lengths of its event lines, flat: [off, len, off, len, …]. */
export const eventsIndex: IndexKind<Map<string, number[]>> = {
  name: "events",
  empty: () => new Map(),
  add(state, line, off, len, note) {
    const event = normalizeStoredEvent(tryParse(line), note);
    if (!event) return false;
    const positions = state.get(event.item_id);
    if (!positions) state.set(event.item_id, [off, len]);
    // A short timeline is copied into an array of its exact size: push would leave room for about
    // half as many again plus 16 (100k items of two events each: 31 → 17 MB of heap). A long one
    // grows in place, with proportionally little room to spare.
    else if (positions.length < COPIED_POSITIONS) state.set(event.item_id, positions.concat(off, len));
    else positions.push(off, len);
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

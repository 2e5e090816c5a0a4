/**
 * The text index of the items log (`.items.jsonl.text`): per item, what search, tags and title sort
 * look at, for its latest version, so that `list --search`, `--tag` and `--sort title` read no item
 * lines. Built only when such a query comes, kept and validated like the items index (jsonl-index.ts:
 * the same log file, only appended to, head and tail hashes; extended from the appended tail) and
 * saved by the same successful read-only commands. The saved file is binary, each section with its
 * CRC; a file that is missing, unreadable, a link, corrupt or stale is ignored and the index rebuilt
 * from the latest line of each item. Saved records are in the order of the items index's entries (the order in which
 * items first appear in the log), so record k goes with entry k without looking anything up, and
 * each names the line it was read from: it is used only while entry k points at that very line.
 * Anything else is read from the log as before.
 */
import { closeSync, fstatSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { normalizeStoredItem } from "../domain/item.js";
import { hasTags, type ItemFilter, matchesFilter, titleOrder, type Page, type QueryFields, type QueryResult, queryItems, searchNeedle, searchText } from "../domain/query.js";
import { OPEN, openStoreFile, readAt, tryParse, writeFileAtomically } from "./jsonl-file.js";
import { type IndexKind, type LogIndex, NO_PARALLELISM, refreshIndex } from "./jsonl-index.js";
import { describesLog } from "./log-identity.js";
import type { ItemEntry } from "./jsonl-indexes.js";

const FORMAT = 1;
const KIND = "text";

export const textPathOf = (logPath: string) => join(dirname(logPath), `.${basename(logPath)}.text`);

/** One item's texts, read from the line at `off`; `text` is its searchText, null when it cannot be searched as bytes. */
interface TextRecord {
  off: number;
  title: string;
  tags: readonly string[];
  text: string | null;
}

/**
 * The records of a saved file, one per entry of the items index it was saved with, in its order
 * (an entry without a record has offset -1): the offsets of their lines read on load, the other
 * sections (search texts, titles in order, tags) each read and checked when a query first needs it.
 */
interface SavedTexts {
  path: string;
  /** The file's header line, which names the sizes and CRCs of the sections: re-read and compared. */
  header: Buffer;
  sizes: number[];
  crcs: number[];
  count: number;
  offs: Float64Array;
  /** Loaded sections, by name; null when it could not be read or was not valid. */
  loaded: Map<string, unknown>;
}

export interface TextState {
  saved: SavedTexts | null;
  /** Records read from the log since the saved ones (all of them when built anew), by item id. */
  recent: Map<string, TextRecord>;
}

/** Lone surrogates do not survive UTF-8: such a text is matched from its line instead. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The record of an item line, read as a full read reads it (hydrate): it cannot disagree with the item shown. */
function recordOf(line: string, off: number): [string, TextRecord] | null {
  const item = normalizeStoredItem(tryParse(line));
  if (!item) return null;
  const text = searchText(item);
  return [item.id, { off, title: item.title, tags: item.tags, text: LONE_SURROGATE.test(text) ? null : text }];
}

export const textIndex: IndexKind<TextState> = {
  name: KIND,
  empty: () => ({ saved: null, recent: new Map() }),
  add(state, line, off) {
    const record = recordOf(line, off);
    if (record) state.recent.set(...record);
    return record !== null;
  },
  // Saved in its own binary format (saveTextIndex), never as JSON or through saveIndex's columns,
  // and never built on a worker.
  encode() {
    throw new Error("the text index is saved by saveTextIndex");
  },
  decode() {
    throw new Error("the text index is loaded by loadTextIndex");
  },
  decodeSome() {
    throw new Error("the text index is loaded by loadTextIndex");
  },
  merge(into, later) {
    for (const [id, record] of later.recent) into.recent.set(id, record);
  },
};

/** A JSON list of `count` values (any number when null), each valid; null otherwise. */
function parsedList<T>(json: Buffer, count: number | null, valid: (v: unknown) => boolean): T[] | null {
  try {
    const list = JSON.parse(json.toString("utf8")) as unknown;
    return Array.isArray(list) && (count === null || list.length === count) && list.every(valid) ? (list as T[]) : null;
  } catch {
    return null;
  }
}
const isString = (v: unknown) => typeof v === "string";

const LITTLE_ENDIAN = endianness() === "LE";

function float64s(buffer: Buffer, count: number): Float64Array | null {
  if (buffer.length !== count * 8) return null;
  const copy = new Uint8Array(buffer.length);
  copy.set(buffer);
  return new Float64Array(copy.buffer);
}

/** The sections of a file, in order. */
const SECTIONS = ["offs", "starts", "texts", "titleStarts", "titles", "byTitle", "tagNames", "tagStarts", "tagIds"] as const;
type Section = (typeof SECTIONS)[number];
const at = (name: Section) => SECTIONS.indexOf(name);

/** Reads [from, from + length) of an open file, whole. */
function readRange(fd: number, from: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  for (let done = 0; done < length; ) {
    const read = readSync(fd, buffer, done, length - done, from + done);
    if (read === 0) throw new Error("the text index is shorter than its header says");
    done += read;
  }
  return buffer;
}

/** Sections of the saved file, read at once after checking the header is still the one loaded. */
function readSections(s: SavedTexts, names: readonly Section[]): Buffer[] | null {
  try {
    const fd = openStoreFile(s.path, OPEN.read);
    try {
      if (!readRange(fd, 0, s.header.length).equals(s.header)) return null;
      return names.map((name) => {
        const i = at(name);
        const from = s.header.length + s.sizes.slice(0, i).reduce((a, b) => a + b, 0);
        const bytes = readRange(fd, from, s.sizes[i]);
        if (crc32(bytes) !== s.crcs[i]) throw new Error(`the ${name} of the text index are corrupt`);
        return bytes;
      });
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** A section of the saved file, parsed and checked, read on first use; null when it cannot be used. */
function loaded<T>(s: SavedTexts, name: string, read: () => T | null): T | null {
  if (!s.loaded.has(name)) s.loaded.set(name, read());
  return s.loaded.get(name) as T | null;
}

interface SearchTexts {
  starts: Float64Array;
  texts: Buffer;
}
const searchTextsOf = (s: SavedTexts) =>
  loaded<SearchTexts>(s, "texts", () => {
    const parts = readSections(s, ["starts", "texts"]);
    const starts = parts && float64s(parts[0], s.count + 1);
    if (!parts || !starts || starts[0] !== 0 || starts[s.count] !== parts[1].length) return null;
    for (let k = 0; k < s.count; k += 1) if (!(starts[k] <= starts[k + 1])) return null;
    return { starts, texts: parts[1] };
  });

/** Titles as UTF-8, record k's at [starts[k], starts[k + 1]), decoded only when a query needs them. */
interface Titles {
  starts: Float64Array;
  bytes: Buffer;
  /** Record numbers in title order (titleOrder). */
  byTitle: Float64Array;
}
const titlesOf = (s: SavedTexts) =>
  loaded<Titles>(s, "titles", () => {
    const parts = readSections(s, ["titleStarts", "titles", "byTitle"]);
    const n = s.count;
    const starts = parts && float64s(parts[0], n + 1);
    const byTitle = parts && float64s(parts[2], n);
    if (!parts || !starts || !byTitle || starts[0] !== 0 || starts[n] !== parts[1].length) return null;
    for (let k = 0; k < n; k += 1) if (!(starts[k] <= starts[k + 1])) return null;
    const seen = new Uint8Array(n);
    for (const k of byTitle) {
      if (!(k >= 0 && k < n) || seen[k] === 1) return null;
      seen[k] = 1;
    }
    return { starts, bytes: parts[1], byTitle };
  });
const titleAt = (t: Titles, k: number) => t.bytes.toString("utf8", t.starts[k], t.starts[k + 1]);

/**
 * Tags as numbers: each distinct tag once (`names`), and per record its tags' numbers, those of
 * record k at [starts[k], starts[k + 1]) of `ids`. Few distinct tags, many items: nothing to parse.
 */
interface Tags {
  names: string[];
  starts: Float64Array;
  ids: Float64Array;
}
const tagsOf = (s: SavedTexts) =>
  loaded<Tags>(s, "tags", () => {
    const parts = readSections(s, ["tagNames", "tagStarts", "tagIds"]);
    const names = parts && parsedList<string>(parts[0], null, isString);
    const starts = parts && float64s(parts[1], s.count + 1);
    const ids = parts && float64s(parts[2], parts[2].length / 8);
    if (!names || new Set(names).size !== names.length || !starts || !ids || starts[0] !== 0 || starts[s.count] !== ids.length) return null;
    for (let k = 0; k < s.count; k += 1) if (!(starts[k] <= starts[k + 1])) return null;
    for (const id of ids) if (!(Number.isInteger(id) && id >= 0 && id < names.length)) return null;
    return { names, starts, ids };
  });

/** The tags of saved record k. */
function tagsAt(t: Tags, k: number): string[] {
  const tags: string[] = [];
  for (let i = t.starts[k]; i < t.starts[k + 1]; i += 1) tags.push(t.names[t.ids[i]]);
  return tags;
}

/** Marks the saved records whose text holds `needle`; null when that cannot be told from the file. */
function savedHits(s: SavedTexts, needle: string): Uint8Array | null {
  const search = searchTextsOf(s);
  if (search === null || LONE_SURROGATE.test(needle)) return null;
  const { starts, texts } = search;
  const count = s.count;
  const hits = new Uint8Array(count);
  if (needle === "") return hits.fill(1);
  const bytes = Buffer.from(needle, "utf8");
  // UTF-8 is self-synchronising: a byte match of a whole needle is a match of its characters.
  for (let found = texts.indexOf(bytes); found !== -1; ) {
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= found) lo = mid;
      else hi = mid - 1;
    }
    const end = starts[lo + 1];
    // Within one record: a hit, and the search goes on from the next record. Across two: none.
    const within = found + bytes.length <= end;
    if (within) hits[lo] = 1;
    found = texts.indexOf(bytes, within ? end : found + 1);
  }
  return hits;
}

/**
 * Entries the text index answered (with their title for a title sort), those it holds nothing
 * current for, and how many more matched beyond a page's reach (see answerFromTexts).
 */
interface TextAnswer {
  matched: ItemEntry[];
  unknown: ItemEntry[];
  beyond: number;
}

/** An entry with its title, for a title sort (a copy: entries are the index's own). */
const titled = (e: ItemEntry, title: string): ItemEntry => ({ ...e, title }) as ItemEntry;

/**
 * The saved records are visited in title order when the sort starts with the title. Then, once
 * a page's worth (offset + limit) matched and the title changes, every later match sorts after a
 * whole page of them: such matches are only counted (`beyond`), never handed to the sort, and
 * their titles never decoded. Recent records and unknown entries always go to the sort.
 */
function answerFromTexts(state: TextState, entries: Map<string, ItemEntry>, filter: ItemFilter, page: Page): TextAnswer | null {
  const needle = filter.search === undefined ? undefined : searchNeedle(filter.search);
  if (needle === null) return null;
  const sort = page.sort ?? [];
  const withTitle = sort.some((s) => s.key === "title");
  const wantsTags = filter.tags !== undefined && filter.tags.length > 0;
  const matched: ItemEntry[] = [];
  // Which entries a current record answered: saved ones by position in `entries`, recent ones by
  // identity (few), and how many in all (when all, nothing is left to read from the log).
  const savedCovered = new Uint8Array(entries.size);
  const recentCovered = new Set<ItemEntry>();
  let coveredCount = 0;
  let beyond = 0;
  const s = state.saved;
  if (s !== null) {
    const hits = needle === undefined ? null : savedHits(s, needle);
    const titles = withTitle ? titlesOf(s) : null;
    const tags = wantsTags ? tagsOf(s) : null;
    if ((needle !== undefined && hits === null) || (withTitle && titles === null) || (wantsTags && tags === null)) return null;
    // The wanted tags by number (-1: no saved record has it), looked for among record k's numbers.
    const wanted = tags === null ? [] : (filter.tags ?? []).map((t) => tags.names.indexOf(t));
    const tagsOfRecord = {
      k: 0,
      includes(tag: number) {
        if (tags === null) return false;
        for (let i = tags.starts[this.k]; i < tags.starts[this.k + 1]; i += 1) if (tags.ids[i] === tag) return true;
        return false;
      },
    };
    const order = sort[0]?.key === "title" && titles !== null ? titles.byTitle : null;
    const desc = sort[0]?.desc === true;
    const reach = order === null || page.limit === null ? Number.POSITIVE_INFINITY : page.offset + page.limit;
    let last: string | null = null;
    const visit = (k: number, e: ItemEntry): boolean => {
      // Entry k's record, while the entry still points at the line the record was read from.
      if (e.off !== s.offs[k]) return true;
      savedCovered[k] = 1;
      coveredCount += 1;
      if ((hits !== null && hits[k] === 0) || !matchesFilter(e, filter)) return true;
      tagsOfRecord.k = k;
      if (tags !== null && !hasTags(tagsOfRecord, wanted)) return true;
      if (beyond > 0) {
        beyond += 1;
        return true;
      }
      const title = titles === null ? "" : titleAt(titles, k);
      if (last !== null && order !== null) {
        const step = titleOrder(last, title);
        // Out of order: not a file this code wrote. The items answer instead.
        if (desc ? step < 0 : step > 0) return false;
        if (matched.length >= reach && step !== 0) {
          beyond = 1;
          return true;
        }
      }
      last = title;
      matched.push(withTitle ? titled(e, title) : e);
      return true;
    };
    const n = s.count;
    if (order === null) {
      let k = 0;
      for (const e of entries.values()) {
        if (k === n) break;
        visit(k, e);
        k += 1;
      }
    } else {
      const list = [...entries.values()];
      for (let i = 0; i < n; i += 1) {
        const k = order[desc ? n - 1 - i : i];
        if (k < list.length && !visit(k, list[k])) return null;
      }
    }
  }
  for (const [id, r] of state.recent) {
    const e = entries.get(id);
    if (e === undefined || e.off !== r.off || r.text === null) continue;
    recentCovered.add(e);
    coveredCount += 1;
    if (needle !== undefined && !r.text.includes(needle)) continue;
    if (matchesFilter(e, filter) && (!wantsTags || hasTags(r.tags, filter.tags))) matched.push(withTitle ? titled(e, r.title) : e);
  }
  if (coveredCount === entries.size) return { matched, unknown: [], beyond };
  return { matched, unknown: [...entries.values()].filter((e, k) => savedCovered[k] === 0 && !recentCovered.has(e)), beyond };
}

/**
 * A list query that needs item texts, answered from the text index; entries it holds nothing
 * current for go through `full` (their line). Null when the index cannot answer this search.
 */
export function queryWithTexts<F extends QueryFields>(
  state: TextState,
  entries: Map<string, ItemEntry>,
  filter: ItemFilter,
  page: Page,
  full: (e: ItemEntry) => F | null,
): QueryResult<ItemEntry | F> | null {
  const answer = answerFromTexts(state, entries, filter, page);
  if (answer === null) return null;
  // With the sort's keys, so that a title sort reads their items too (it needs their titles).
  const rest = answer.unknown.length === 0 ? [] : queryItems(answer.unknown, filter, { limit: null, offset: 0, sort: page.sort }, full).items;
  // Tags and search are decided: what is left is the order and the page.
  const { items, total } = queryItems<ItemEntry | F>([...answer.matched, ...(rest as F[])], { ...filter, tags: undefined, search: undefined }, page);
  return { items, total: total + answer.beyond };
}

/** The first bytes read of a saved file: its header line is much shorter. */
const HEADER_MAX = 64 << 10;

/** The saved text index (its header and line offsets), or null when there is none or it cannot be trusted. */
export function loadTextIndex(path: string): LogIndex<TextState> | null {
  try {
    // Never through a link: a planted one is ignored (and replaced on save).
    const fd = openStoreFile(path, OPEN.read);
    try {
      const first = Buffer.allocUnsafe(HEADER_MAX);
      const nl = first.subarray(0, readSync(fd, first, 0, HEADER_MAX, 0)).indexOf(0x0a);
      if (nl < 0) return null;
      const header = Buffer.from(first.subarray(0, nl + 1));
      const h = JSON.parse(header.toString("utf8")) as Record<string, unknown>;
      if (h.format !== FORMAT || h.kind !== KIND || h.littleEndian !== LITTLE_ENDIAN) return null;
      const { sizes, crcs, count } = h;
      const sizesOk = (list: unknown): list is number[] => Array.isArray(list) && list.length === SECTIONS.length && list.every((n) => Number.isSafeInteger(n) && n >= 0);
      if (!sizesOk(sizes) || !sizesOk(crcs) || typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) return null;
      if (typeof h.covered !== "number" || typeof h.lines !== "number" || typeof h.crc !== "number" || typeof h.head !== "string" || typeof h.tail !== "string") return null;
      if (h.identity === null || typeof h.identity !== "object") return null;
      if (fstatSync(fd).size !== header.length + sizes.reduce((a, b) => a + b, 0)) return null;
      const s: SavedTexts = { path, header, sizes, crcs, count, offs: new Float64Array(0), loaded: new Map() };
      const parts = readSections(s, ["offs"]);
      const offs = parts && float64s(parts[0], count);
      if (!offs) return null;
      s.offs = offs;
      return {
        state: { saved: s, recent: new Map() },
        bad: [],
        notes: [],
        lines: h.lines,
        covered: h.covered,
        identity: h.identity as LogIndex<TextState>["identity"],
        head: h.head,
        tail: h.tail,
        crc: h.crc,
        unsaved: 0,
      };
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

interface Row {
  off: number;
  title: string;
  tags: readonly string[];
  text: Buffer;
}

const NO_ROW: Row = { off: -1, title: "", tags: [], text: Buffer.alloc(0) };

/**
 * Saves whole or not at all (exclusive temp file, rename), one record per entry of `entries` in
 * their order. Failure is harmless: the next search rebuilds it.
 */
export function saveTextIndex(path: string, index: LogIndex<TextState>, entries: Map<string, ItemEntry>): void {
  try {
    const { saved, recent } = index.state;
    const search = saved && searchTextsOf(saved);
    const titles = saved && titlesOf(saved);
    const tags = saved && tagsOf(saved);
    if (saved !== null && (search === null || titles === null || tags === null)) return;
    const rows: Row[] = [];
    let k = 0;
    for (const e of entries.values()) {
      const r = recent.get(e.id);
      if (r !== undefined && r.off === e.off && r.text !== null) rows.push({ off: r.off, title: r.title, tags: r.tags, text: Buffer.from(r.text, "utf8") });
      else if (saved !== null && search && titles && tags && k < saved.count && saved.offs[k] === e.off) {
        rows.push({ off: e.off, title: titleAt(titles, k), tags: tagsAt(tags, k), text: search.texts.subarray(search.starts[k], search.starts[k + 1]) });
      } else rows.push(NO_ROW);
      k += 1;
    }
    const starts = new Float64Array(rows.length + 1);
    rows.forEach((r, k) => (starts[k + 1] = starts[k] + r.text.length));
    const byTitle = Float64Array.from(rows.keys()).sort((a, b) => titleOrder(rows[a].title, rows[b].title) || a - b);
    const titleBytes = rows.map((r) => Buffer.from(r.title, "utf8"));
    const titleStarts = new Float64Array(rows.length + 1);
    titleBytes.forEach((b, k) => (titleStarts[k + 1] = titleStarts[k] + b.length));
    const f64 = (values: Float64Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const tagNumbers = new Map<string, number>();
    const tagIds: number[] = [];
    const tagStarts = new Float64Array(rows.length + 1);
    rows.forEach((r, k) => {
      for (const tag of r.tags) {
        if (!tagNumbers.has(tag)) tagNumbers.set(tag, tagNumbers.size);
        tagIds.push(tagNumbers.get(tag) as number);
      }
      tagStarts[k + 1] = tagIds.length;
    });
    const sections: Record<Section, Buffer> = {
      offs: f64(Float64Array.from(rows, (r) => r.off)),
      starts: f64(starts),
      texts: Buffer.concat(rows.map((r) => r.text)),
      titleStarts: f64(titleStarts),
      titles: Buffer.concat(titleBytes),
      byTitle: f64(byTitle),
      tagNames: Buffer.from(JSON.stringify([...tagNumbers.keys()])),
      tagStarts: f64(tagStarts),
      tagIds: f64(Float64Array.from(tagIds)),
    };
    const parts = SECTIONS.map((name) => sections[name]);
    const { state: _state, unsaved: _unsaved, bad: _bad, notes: _notes, ...validity } = index;
    const header = {
      format: FORMAT, kind: KIND, littleEndian: LITTLE_ENDIAN, ...validity, count: rows.length,
      sizes: parts.map((p) => p.length), crcs: parts.map((p) => crc32(p)),
    };
    writeFileAtomically(path, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...parts]));
  } catch {
    // A read-only data directory, a full disk: the next search rebuilds the index instead.
  }
}

/**
 * The text index of the bytes `items` covers, from the line of each of its entries: one read and
 * parse per item rather than per line of the log (most lines of a long log are older versions).
 */
function fromItems(fd: number, items: LogIndex<Map<string, ItemEntry>>): LogIndex<TextState> {
  const recent = new Map<string, TextRecord>();
  for (const e of items.state.values()) {
    const record = recordOf(readAt(fd, e.off, e.len), e.off);
    // A line that is not this item's (the log changed under the index): nothing recorded, read when asked.
    if (record && record[0] === e.id) recent.set(...record);
  }
  const { state: _state, bad: _bad, notes: _notes, unsaved: _unsaved, ...validity } = items;
  return { state: { saved: null, recent }, bad: [], notes: [], ...validity, unsaved: Number.POSITIVE_INFINITY };
}

/**
 * The text index of one items log for a store: loaded from its file on first use (if saved
 * indexes are on), brought up to the log's committed end on every use, saved on request.
 */
export class TextIndex {
  private index: LogIndex<TextState> | null = null;
  private loaded: boolean;
  private pending: Promise<unknown> | null = null;

  constructor(
    private readonly logPath: string,
    private readonly savedIndexes: boolean,
  ) {
    this.loaded = !savedIndexes;
  }

  /** The texts of the log open as `fd`, up to `end`, whose items index (up to `end` too) is `items`. */
  async current(fd: number, end: number, items: LogIndex<Map<string, ItemEntry>>): Promise<TextState> {
    // Concurrent queries of a long-lived process wait for one refresh rather than each doing it.
    while (this.pending) await this.pending.catch(() => undefined);
    const work = this.refresh(fd, end, items);
    this.pending = work;
    try {
      return (await work).state;
    } finally {
      this.pending = null;
    }
  }

  private async refresh(fd: number, end: number, items: LogIndex<Map<string, ItemEntry>>): Promise<LogIndex<TextState>> {
    if (!this.loaded) {
      this.loaded = true;
      this.index = loadTextIndex(textPathOf(this.logPath));
    }
    try {
      // Nothing to extend: built from the latest line of each item, not from every line of the log.
      if (this.index === null || !describesLog(this.index, fd, end)) this.index = fromItems(fd, items);
      this.index = await refreshIndex(textIndex, fd, this.index, NO_PARALLELISM, end);
    } catch (error) {
      this.index = null;
      throw error;
    }
    return this.index;
  }

  /** Saves the index, its records in the order of `entries` (the items index as it is now). */
  save(worthSaving: (index: LogIndex<TextState>) => boolean, entries: Map<string, ItemEntry> | undefined): void {
    if (this.savedIndexes && this.index !== null && entries !== undefined && worthSaving(this.index)) saveTextIndex(textPathOf(this.logPath), this.index, entries);
  }
}

/**
 * The text index of the items log (`.items.jsonl.text`): per item, what search, tags and title sort
 * look at, for its latest version, so that `list --search`, `--tag` and `--sort title` read no item
 * lines. Built only when such a query comes, kept and validated like the items index (jsonl-index.ts:
 * the same log file, only appended to, head and tail hashes; extended from the appended tail) and
 * saved by the same successful read-only commands. The saved file is binary, each section with its
 * CRC; a file that is missing, unreadable, a link, corrupt or stale is ignored and the index rebuilt
 * from the latest line of each item. Records are in the order of the items index's entries (the order in which
 * items first appear in the log), so record k goes with entry k without looking anything up, and
 * each names the line it was read from: it is used only while entry k points at that very line.
 * Anything else is read from the log as before.
 *
 * Built or saved, the records are packed columns (offsets, UTF-8 bytes in parts of about a MiB,
 * tag numbers), never an object or string per item: on the 100k-item store the search texts
 * alone are 27 MB, and as 100k records they held 330 MB at the peak of a build and save. A saved
 * file's search texts are never held whole: a search reads them a part at a time. Nor are a first
 * build's in a one-command process: it is packed into an unnamed file of its own, as it would be
 * saved, and read from there; saving copies that file into place.
 */
import { closeSync, fstatSync, readSync, writeSync } from "node:fs";
import { endianness } from "node:os";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { normalizeStoredItem } from "../domain/item.js";
import { hasTags, type ItemFilter, matchesFilter, titleOrder, type Page, type QueryFields, type QueryResult, queryItems, searchNeedle, searchText } from "../domain/query.js";
import { createSpoolFile, OPEN, openStoreFile, readAt, tryParse, writeFileAtomicallyWith } from "./jsonl-file.js";
import { collectGarbage, type IndexKind, keepYoungGenerationSmall, letYoungGenerationGrow, type LogIndex, NO_PARALLELISM, refreshIndex } from "./jsonl-index.js";
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

/** The bytes a column is held in (or read in) at a time; a longer record has a part of its own. */
const PART = 1 << 20;

/** Whole records [first, end) of a column: their bytes, which start at byte `from` of the column. */
interface Part {
  first: number;
  end: number;
  from: number;
  bytes: Buffer;
}

/** A column of byte strings: record k's at [starts[k], starts[k + 1]), in parts of whole records. */
interface Column {
  starts: Float64Array;
  parts: Part[];
}

/** Record k's bytes (k < the column's count). */
function bytesAt(column: Column, k: number): Buffer {
  const { parts, starts } = column;
  let lo = 0;
  let hi = parts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (parts[mid].first <= k) lo = mid;
    else hi = mid - 1;
  }
  const part = parts[lo];
  return part.bytes.subarray(starts[k] - part.from, starts[k + 1] - part.from);
}

/**
 * Packs records one after another into parts, each handed to `sink` once full: kept (a column in
 * memory) or written at once (`reuse`: the part's buffer is then filled again).
 */
class ColumnBuilder {
  readonly starts: Float64Array;
  private count = 0;
  private first = 0;
  private used = 0;
  private part = Buffer.allocUnsafeSlow(PART);

  constructor(
    size: number,
    private readonly sink: (part: Part) => void,
    private readonly reuse = false,
  ) {
    this.starts = new Float64Array(size + 1);
  }

  /** The next record. */
  add(value: string | Uint8Array): void {
    const length = typeof value === "string" ? Buffer.byteLength(value, "utf8") : value.byteLength;
    if (this.used + length > this.part.length) {
      this.flush();
      if (length > this.part.length) this.part = Buffer.allocUnsafeSlow(length);
    }
    if (typeof value === "string") this.part.write(value, this.used, "utf8");
    else this.part.set(value, this.used);
    this.used += length;
    this.starts[this.count + 1] = this.starts[this.count] + length;
    this.count += 1;
  }

  /** Hands over the last part; every record must have been added. */
  finish(): Float64Array {
    if (this.count !== this.starts.length - 1) throw new Error("a record of the text index is missing");
    this.flush();
    return this.starts;
  }

  private flush(): void {
    if (this.count > this.first) this.sink({ first: this.first, end: this.count, from: this.starts[this.first], bytes: this.part.subarray(0, this.used) });
    this.first = this.count;
    this.used = 0;
    if (!this.reuse || this.part.length !== PART) this.part = Buffer.allocUnsafeSlow(PART);
  }
}

/**
 * Tags as numbers: each distinct tag once (`names`), and per record its tags' numbers, those of
 * record k at [starts[k], starts[k + 1]) of `ids`. Few distinct tags, many items: nothing to parse.
 */
interface Tags {
  names: string[];
  starts: Float64Array;
  ids: Float64Array;
}

/** Titles, record k's as UTF-8 in `column`, decoded only when a query needs them. */
interface Titles {
  column: Column;
  /** Record numbers in title order (titleOrder); computed when first needed for a built index. */
  byTitle: Float64Array | null;
}

/** Where the sections of a saved index are read from, each when first needed. */
interface SavedFile {
  path: string;
  /**
   * Instead of `path` (where it is to be saved), this process's own unnamed file (a first build's,
   * see createSpoolFile), read through its descriptor: nothing else can replace it, and it is gone
   * with the process.
   */
  spool?: number;
  /** The file's header line, which names the sizes and CRCs of the sections: re-read and compared. */
  header: Buffer;
  sizes: number[];
  crcs: number[];
}

/**
 * Records for every entry of the items index as it was when they were saved or built, in its
 * order (an entry without a record has offset -1). A saved file's other sections are read, and
 * checked, when a query first needs them; a built index holds them all.
 */
interface Texts {
  count: number;
  offs: Float64Array;
  /** Null when built in memory. */
  file: SavedFile | null;
  /** Sections by name ("texts", "starts", "titles", "tags"); null when it could not be read or was not valid. */
  loaded: Map<string, unknown>;
}

/** The sections a query reads (see sectionsFor); a base built for a query alone may hold only those. */
interface TextSections {
  texts: boolean;
  titles: boolean;
  tags: boolean;
}
const ALL_SECTIONS: TextSections = { texts: true, titles: true, tags: true };

const sectionsFor = (filter: ItemFilter, page: Page): TextSections => ({
  texts: filter.search !== undefined,
  titles: (page.sort ?? []).some((s) => s.key === "title"),
  tags: filter.tags !== undefined && filter.tags.length > 0,
});

/** Whether `base` can answer a query reading `sections` (a saved file holds every section). */
const holds = (base: Texts, sections: TextSections) =>
  base.file !== null || (Object.keys(sections) as Array<keyof TextSections>).every((name) => !sections[name] || base.loaded.has(name));

export interface TextState {
  /** The saved or built records; null before either. */
  base: Texts | null;
  /** Records read from the log since (lines appended after the base's), by item id. */
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
  empty: () => ({ base: null, recent: new Map() }),
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

/** Whether `starts` are those of a column of `count` records and `size` bytes. */
function validStarts(starts: Float64Array | null, count: number, size: number): starts is Float64Array {
  if (starts === null || starts.length !== count + 1 || starts[0] !== 0 || starts[count] !== size) return false;
  for (let k = 0; k < count; k += 1) if (!(starts[k] <= starts[k + 1])) return false;
  return true;
}

/** The sections of a file, in order. */
const SECTIONS = ["offs", "starts", "texts", "titleStarts", "titles", "byTitle", "tagNames", "tagStarts", "tagIds"] as const;
type Section = (typeof SECTIONS)[number];
const at = (name: Section) => SECTIONS.indexOf(name);
const sectionStart = (f: SavedFile, name: Section) => f.header.length + f.sizes.slice(0, at(name)).reduce((a, b) => a + b, 0);

/** Reads [from, from + length) of an open file into `buffer`, whole. */
function readRange(fd: number, from: number, length: number, buffer = Buffer.allocUnsafe(length)): Buffer {
  for (let done = 0; done < length; ) {
    const read = readSync(fd, buffer, done, length - done, from + done);
    if (read === 0) throw new Error("the text index is shorter than its header says");
    done += read;
  }
  return buffer.subarray(0, length);
}

/** Runs `read` on the saved file open, once its header is checked to be still the one loaded; null on any failure. */
function withFile<T>(f: SavedFile, read: (fd: number) => T | null): T | null {
  try {
    if (f.spool !== undefined) return read(f.spool);
    const fd = openStoreFile(f.path, OPEN.read);
    try {
      return readRange(fd, 0, f.header.length).equals(f.header) ? read(fd) : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Sections of the saved file, read at once, each checked by its CRC. */
function readSections(f: SavedFile, names: readonly Section[]): Buffer[] | null {
  return withFile(f, (fd) =>
    names.map((name) => {
      const bytes = readRange(fd, sectionStart(f, name), f.sizes[at(name)]);
      if (crc32(bytes) !== f.crcs[at(name)]) throw new Error(`the ${name} of the text index are corrupt`);
      return bytes;
    }),
  );
}

/** A section of the index: built, or else read from the file, parsed and checked on first use; null when it cannot be used. */
function loaded<T>(s: Texts, name: string, read: (f: SavedFile) => T | null): T | null {
  if (s.file !== null && !s.loaded.has(name)) s.loaded.set(name, read(s.file));
  return (s.loaded.get(name) as T | null | undefined) ?? null;
}

/** Where the search texts of each record start (saved ones are read a part at a time). */
function searchStartsOf(s: Texts): Float64Array | null {
  if (s.file === null) return (s.loaded.get("texts") as Column | undefined)?.starts ?? null;
  return loaded<Float64Array>(s, "starts", (f) => {
    const parts = readSections(f, ["starts"]);
    const starts = parts && float64s(parts[0], s.count + 1);
    return validStarts(starts, s.count, f.sizes[at("texts")]) ? starts : null;
  });
}

/**
 * Hands the search texts to `each`, a part at a time in record order: those built, or those of
 * the saved file read into one reused buffer (`each` must not keep a part). False when the saved
 * ones cannot be used: then whatever `each` made of them must be dropped (the CRC is checked last).
 */
function eachSearchPart(s: Texts, each: (part: Part) => void): boolean {
  const built = s.loaded.get("texts") as Column | undefined;
  if (built !== undefined) {
    for (const part of built.parts) each(part);
    return true;
  }
  const starts = searchStartsOf(s);
  const f = s.file;
  if (starts === null || f === null) return false;
  const read = withFile(f, (fd) => {
    const from = sectionStart(f, "texts");
    let buffer = Buffer.allocUnsafeSlow(PART);
    let crc = 0;
    for (let first = 0; first < s.count; ) {
      let end = first + 1;
      while (end < s.count && starts[end + 1] - starts[first] <= PART) end += 1;
      const length = starts[end] - starts[first];
      if (length > buffer.length) buffer = Buffer.allocUnsafeSlow(length);
      const bytes = readRange(fd, from + starts[first], length, buffer);
      crc = crc32(bytes, crc);
      each({ first, end, from: starts[first], bytes });
      first = end;
    }
    return crc === f.crcs[at("texts")];
  });
  return read === true;
}

const titlesOf = (s: Texts) =>
  loaded<Titles>(s, "titles", (f) => {
    const parts = readSections(f, ["titleStarts", "titles", "byTitle"]);
    const n = s.count;
    const starts = parts && float64s(parts[0], n + 1);
    const byTitle = parts && float64s(parts[2], n);
    if (!parts || !byTitle || !validStarts(starts, n, parts[1].length)) return null;
    const seen = new Uint8Array(n);
    for (const k of byTitle) {
      if (!(k >= 0 && k < n) || seen[k] === 1) return null;
      seen[k] = 1;
    }
    return { column: { starts, parts: [{ first: 0, end: n, from: 0, bytes: parts[1] }] }, byTitle };
  });
const titleAt = (t: Titles, k: number) => bytesAt(t.column, k).toString("utf8");

/** Record numbers in title order, then in record order. */
function titleOrderOf(t: Titles, count: number): Float64Array {
  if (t.byTitle === null) t.byTitle = sortedByTitle(t.column, count);
  return t.byTitle;
}

/**
 * titleOrder compares UTF-16 code units. UTF-8 bytes sort as code points: the same order unless a
 * title holds a character beyond the BMP (a 4-byte sequence, lead byte 0xF0 or above). Without
 * one, the titles are compared as bytes, never decoded (100k titles as strings: 18 MB of heap).
 */
function sortedByTitle(column: Column, count: number): Float64Array {
  const { starts, parts } = column;
  const order = Float64Array.from({ length: count }, (_, k) => k);
  let beyondBmp = false;
  for (const { bytes } of parts) for (let i = 0; i < bytes.length && !beyondBmp; i += 1) beyondBmp = bytes[i] >= 0xf0;
  if (beyondBmp) {
    const titles = Array.from({ length: count }, (_, k) => bytesAt(column, k).toString("utf8"));
    return order.sort((a, b) => titleOrder(titles[a], titles[b]) || a - b);
  }
  // The part of each record, by number (there are few parts).
  const partOf = new Uint32Array(count);
  parts.forEach((p, n) => partOf.fill(n, p.first, p.end));
  return order.sort((a, b) => {
    const pa = parts[partOf[a]];
    const pb = parts[partOf[b]];
    const aFrom = starts[a] - pa.from;
    const aLength = starts[a + 1] - starts[a];
    const bFrom = starts[b] - pb.from;
    const bLength = starts[b + 1] - starts[b];
    for (let i = 0; i < aLength && i < bLength; i += 1) if (pa.bytes[aFrom + i] !== pb.bytes[bFrom + i]) return pa.bytes[aFrom + i] - pb.bytes[bFrom + i];
    return aLength - bLength || a - b;
  });
}

const tagsOf = (s: Texts) =>
  loaded<Tags>(s, "tags", (f) => {
    const parts = readSections(f, ["tagNames", "tagStarts", "tagIds"]);
    const names = parts && parsedList<string>(parts[0], null, isString);
    const starts = parts && float64s(parts[1], s.count + 1);
    const ids = parts && float64s(parts[2], parts[2].length / 8);
    if (!names || new Set(names).size !== names.length || !ids || !validStarts(starts, s.count, ids.length)) return null;
    for (const id of ids) if (!(Number.isInteger(id) && id >= 0 && id < names.length)) return null;
    return { names, starts, ids };
  });

/** Marks the records of `part` whose text holds `needle`. */
function markHits(part: Part, starts: Float64Array, needle: Buffer, hits: Uint8Array): void {
  const { bytes, from } = part;
  // UTF-8 is self-synchronising: a byte match of a whole needle is a match of its characters.
  for (let found = bytes.indexOf(needle); found !== -1; ) {
    const byte = from + found;
    let lo = part.first;
    let hi = part.end - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= byte) lo = mid;
      else hi = mid - 1;
    }
    const end = starts[lo + 1];
    // Within one record: a hit, and the search goes on from the next record. Across two: none.
    const within = byte + needle.length <= end;
    if (within) hits[lo] = 1;
    found = bytes.indexOf(needle, within ? end - from : found + 1);
  }
}

/** Marks the records whose text holds `needle`; null when that cannot be told from the index. */
function baseHits(s: Texts, needle: string): Uint8Array | null {
  if (LONE_SURROGATE.test(needle)) return null;
  const hits = new Uint8Array(s.count);
  const starts = searchStartsOf(s);
  if (starts === null) return null;
  if (needle === "") return hits.fill(1);
  const bytes = Buffer.from(needle, "utf8");
  return eachSearchPart(s, (part) => markHits(part, starts, bytes, hits)) ? hits : null;
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
 * The base records are visited in title order when the sort starts with the title. Then, once
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
  // Which entries a current record answered: base ones by position in `entries`, recent ones by
  // identity (few), and how many in all (when all, nothing is left to read from the log).
  const baseCovered = new Uint8Array(entries.size);
  const recentCovered = new Set<ItemEntry>();
  let coveredCount = 0;
  let beyond = 0;
  const s = state.base;
  if (s !== null) {
    const hits = needle === undefined ? null : baseHits(s, needle);
    const titles = withTitle ? titlesOf(s) : null;
    const tags = wantsTags ? tagsOf(s) : null;
    if ((needle !== undefined && hits === null) || (withTitle && titles === null) || (wantsTags && tags === null)) return null;
    // The wanted tags by number (-1: no base record has it), looked for among record k's numbers.
    const wanted = tags === null ? [] : (filter.tags ?? []).map((t) => tags.names.indexOf(t));
    const tagsOfRecord = {
      k: 0,
      includes(tag: number) {
        if (tags === null) return false;
        for (let i = tags.starts[this.k]; i < tags.starts[this.k + 1]; i += 1) if (tags.ids[i] === tag) return true;
        return false;
      },
    };
    const order = sort[0]?.key === "title" && titles !== null ? titleOrderOf(titles, s.count) : null;
    const desc = sort[0]?.desc === true;
    const reach = order === null || page.limit === null ? Number.POSITIVE_INFINITY : page.offset + page.limit;
    let last: string | null = null;
    const visit = (k: number, e: ItemEntry): boolean => {
      // Entry k's record, while the entry still points at the line the record was read from.
      if (e.off !== s.offs[k]) return true;
      baseCovered[k] = 1;
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
  return { matched, unknown: [...entries.values()].filter((e, k) => baseCovered[k] === 0 && !recentCovered.has(e)), beyond };
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
      const file: SavedFile = { path, header, sizes, crcs };
      const parts = readSections(file, ["offs"]);
      const offs = parts && float64s(parts[0], count);
      if (!offs) return null;
      return {
        state: { base: { count, offs, file, loaded: new Map() }, recent: new Map() },
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

/**
 * Packs records, one per entry in order, into the sections of a text index (those of `sections`):
 * the search texts go to `textSink` a part at a time, titles and tags are kept.
 */
class TextsBuilder {
  readonly offs: Float64Array;
  private readonly texts: ColumnBuilder | null;
  private readonly titleParts: Part[] = [];
  private readonly titles: ColumnBuilder | null;
  private readonly tagNumbers = new Map<string, number>();
  private readonly tagIds: number[] = [];
  private readonly tagStarts: Float64Array | null;
  private count = 0;

  constructor(size: number, sections: TextSections, textSink: (part: Part) => void, reuse: boolean) {
    this.offs = new Float64Array(size);
    this.texts = sections.texts ? new ColumnBuilder(size, textSink, reuse) : null;
    this.titles = sections.titles ? new ColumnBuilder(size, (part) => this.titleParts.push(part)) : null;
    this.tagStarts = sections.tags ? new Float64Array(size + 1) : null;
  }

  /** The next record: `off` -1 and nothing else for none. */
  add(off: number, text: string | Uint8Array, title: string | Uint8Array, tags: Iterable<string>): void {
    const k = this.count;
    this.offs[k] = off;
    this.texts?.add(text);
    this.titles?.add(title);
    if (this.tagStarts !== null) {
      for (const tag of tags) {
        let n = this.tagNumbers.get(tag);
        if (n === undefined) {
          n = this.tagNumbers.size;
          this.tagNumbers.set(tag, n);
        }
        this.tagIds.push(n);
      }
      this.tagStarts[k + 1] = this.tagIds.length;
    }
    this.count = k + 1;
  }

  none(): void {
    this.add(-1, "", "", []);
  }

  /** Once every record was added: the texts' starts, the titles and the tags (those packed). */
  finish(): { textStarts: Float64Array | null; titles: Titles | null; tags: Tags | null } {
    const textStarts = this.texts === null ? null : this.texts.finish();
    const starts = this.titles === null ? null : this.titles.finish();
    return {
      textStarts,
      titles: starts === null ? null : { column: { starts, parts: this.titleParts }, byTitle: null },
      tags: this.tagStarts === null ? null : { names: [...this.tagNumbers.keys()], starts: this.tagStarts, ids: Float64Array.from(this.tagIds) },
    };
  }
}

/** The sections of an index to save, but for the search texts' bytes. */
interface Packed {
  offs: Float64Array;
  textStarts: Float64Array;
  titles: Titles;
  tags: Tags;
}

/** A base built in memory whole for these very `entries`, nothing read since: saved as it is. */
function builtAsIs(state: TextState, entries: Map<string, ItemEntry>): (Packed & { texts: Column }) | null {
  const { base, recent } = state;
  if (base === null || base.file !== null || base.count !== entries.size || recent.size > 0 || !holds(base, ALL_SECTIONS)) return null;
  const texts = base.loaded.get("texts") as Column;
  return { offs: base.offs, textStarts: texts.starts, titles: base.loaded.get("titles") as Titles, tags: base.loaded.get("tags") as Tags, texts };
}

/**
 * Packs one record per entry of `entries` in their order, from the recent records or else the
 * base's, its search texts handed to `writeText` a part at a time. Null when the base cannot be read.
 */
function repack(state: TextState, entries: Map<string, ItemEntry>, writeText: (part: Part) => void): Packed | null {
  const { base, recent } = state;
  const titles = base && titlesOf(base);
  const tags = base && tagsOf(base);
  if (base !== null && (titles === null || tags === null)) return null;
  const list = [...entries.values()];
  const n = list.length;
  const builder = new TextsBuilder(n, ALL_SECTIONS, writeText, true);
  const add = (k: number, baseText: Buffer | null) => {
    const e = list[k];
    const r = recent.get(e.id);
    if (r !== undefined && r.off === e.off && r.text !== null) builder.add(r.off, r.text, r.title, r.tags);
    else if (baseText !== null && base && titles && tags && base.offs[k] === e.off) {
      const tagNames = Array.from(tags.ids.subarray(tags.starts[k], tags.starts[k + 1]), (id) => tags.names[id]);
      builder.add(e.off, baseText, bytesAt(titles.column, k), tagNames);
    } else builder.none();
  };
  let k = 0;
  if (base !== null) {
    const starts = searchStartsOf(base);
    const whole =
      starts !== null &&
      eachSearchPart(base, (part) => {
        for (; k < part.end && k < n; k += 1) add(k, part.bytes.subarray(starts[k] - part.from, starts[k + 1] - part.from));
      });
    if (!whole) return null;
  }
  for (; k < n; k += 1) add(k, null);
  const { textStarts, titles: packedTitles, tags: packedTags } = builder.finish();
  return textStarts && packedTitles && packedTags && { offs: builder.offs, textStarts, titles: packedTitles, tags: packedTags };
}

/**
 * Header line, padded to this length: it is written last, at the start of the file, once the
 * sections after it have been written and their CRCs are known.
 */
const HEADER_ROOM = 4096;

/** Writes all of `bytes` at `position` of `fd`. */
function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
}

const f64 = (values: Float64Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/** The validity of an index (what it covers of which log), as its file's header names it. */
type Validity = Omit<LogIndex<unknown>, "state" | "unsaved" | "bad" | "notes">;
const validityOf = <S>({ state: _state, unsaved: _unsaved, bad: _bad, notes: _notes, ...validity }: LogIndex<S>): Validity => validity;

/**
 * Writes the sections of a file of `n` records after its search texts, which are written already
 * (`textBytes` of them, their CRC `textCrc`): their sizes and CRCs, for the header.
 */
function writeSections(fd: number, n: number, packed: Packed, textBytes: number, textCrc: number): { sizes: number[]; crcs: number[] } {
  // Each section as its parts.
  const sections: Record<Section, Buffer[] | null> = {
    offs: [f64(packed.offs)],
    starts: [f64(packed.textStarts)],
    texts: null,
    titleStarts: [f64(packed.titles.column.starts)],
    titles: packed.titles.column.parts.map((p) => p.bytes),
    byTitle: [f64(titleOrderOf(packed.titles, n))],
    tagNames: [Buffer.from(JSON.stringify(packed.tags.names))],
    tagStarts: [f64(packed.tags.starts)],
    tagIds: [f64(packed.tags.ids)],
  };
  let position = HEADER_ROOM;
  const sizes: number[] = [];
  const crcs: number[] = [];
  for (const name of SECTIONS) {
    let size = textBytes;
    let crc = textCrc;
    const parts = sections[name];
    if (parts !== null) {
      size = 0;
      crc = 0;
      for (const bytes of parts) {
        writeAt(fd, bytes, position + size);
        size += bytes.length;
        crc = crc32(bytes, crc);
      }
    }
    sizes.push(size);
    crcs.push(crc);
    position += size;
  }
  return { sizes, crcs };
}

/** The header line of a file, padded to HEADER_ROOM. */
function headerOf(validity: Validity, count: number, sizes: number[], crcs: number[]): Buffer {
  const header = JSON.stringify({ format: FORMAT, kind: KIND, littleEndian: LITTLE_ENDIAN, ...validity, count, sizes, crcs });
  const room = HEADER_ROOM - 1 - Buffer.byteLength(header, "utf8");
  if (room < 0) throw new Error("the text index's header is too long");
  return Buffer.from(`${header}${" ".repeat(room)}\n`, "utf8");
}

/**
 * Writes search texts, a part at a time, to their place in a file of `n` records (after its
 * header, offsets and their starts, all of a known size), and keeps their size and CRC.
 */
function textsWriter(fd: number, n: number): { bytes: number; crc: number; write: (part: Part) => void } {
  const at = HEADER_ROOM + 8 * n + 8 * (n + 1);
  const texts = {
    bytes: 0,
    crc: 0,
    write(part: Part) {
      writeAt(fd, part.bytes, at + part.from);
      texts.crc = crc32(part.bytes, texts.crc);
      texts.bytes += part.bytes.length;
    },
  };
  return texts;
}

type Spooled = SavedFile & { spool: number };

/** A base spooled whole for these very `entries`, nothing read since: its file is the index to save. */
function spooledAsIs(state: TextState, entries: Map<string, ItemEntry>): Spooled | null {
  const { base, recent } = state;
  const file = base?.file ?? null;
  return file !== null && file.spool !== undefined && base?.count === entries.size && recent.size === 0 ? (file as Spooled) : null;
}

/** Copies the sections of a spooled file into `fd` (the same places), a MiB at a time. */
function copySections(f: Spooled, fd: number): void {
  const end = f.header.length + f.sizes.reduce((a, b) => a + b, 0);
  const buffer = Buffer.allocUnsafeSlow(PART);
  for (let position = f.header.length; position < end; ) {
    const bytes = readRange(f.spool, position, Math.min(PART, end - position), buffer);
    writeAt(fd, bytes, position);
    position += bytes.length;
  }
}

/**
 * Saves whole or not at all (exclusive temp file, rename), one record per entry of `entries` in
 * their order. The search texts are written a part at a time, as built or as packed, never
 * copied whole (a spooled build's file is copied a part at a time). Failure is harmless: the next
 * search rebuilds it.
 */
export function saveTextIndex(path: string, index: LogIndex<TextState>, entries: Map<string, ItemEntry>): void {
  try {
    writeFileAtomicallyWith(path, (fd) => {
      const n = entries.size;
      const spooled = spooledAsIs(index.state, entries);
      if (spooled !== null) {
        copySections(spooled, fd);
        writeAt(fd, headerOf(validityOf(index), n, spooled.sizes, spooled.crcs), 0);
        return;
      }
      const texts = textsWriter(fd, n);
      const asIs = builtAsIs(index.state, entries);
      if (asIs !== null) for (const part of asIs.texts.parts) texts.write(part);
      const packed = asIs ?? repack(index.state, entries, texts.write);
      if (packed === null) throw new Error("the text index cannot be read");
      const { sizes, crcs } = writeSections(fd, n, packed, texts.bytes, texts.crc);
      writeAt(fd, headerOf(validityOf(index), n, sizes, crcs), 0);
    });
  } catch {
    // A read-only data directory, a full disk: the next search rebuilds the index instead.
  }
}

/** From this many items, a build starts with a full collection (collectGarbage). */
const LARGE_BUILD = 10_000;

/** A first build's own file (createSpoolFile), and where it is to be saved. */
interface Spool {
  fd: number;
  path: string;
}

/**
 * The text index of the bytes `items` covers, from the line of each of its entries: one read and
 * parse per item rather than per line of the log (most lines of a long log are older versions).
 * With `spool` (a one-command process that will save it), built into that file as it would be
 * saved, its search texts never held (see packItems).
 */
function fromItems(fd: number, items: LogIndex<Map<string, ItemEntry>>, sections: TextSections, longLived: boolean, spool: Spool | null): LogIndex<TextState> {
  // Each line parsed is garbage at once: V8 would otherwise grow its young generation for it
  // (build and save of the 100k-item store's index: 139-142 → 131-136 MB at the peak, ~10% more
  // time). A long-lived process gets V8's defaults back once the index is built.
  keepYoungGenerationSmall();
  try {
    // What came before a large build is often garbage not collected yet (the buffer a saved items
    // index was decoded from: 13 MB at 100k items), and the build's columns, allocated on top of
    // it, set the command's peak: 151-157 MB at the peak of a build and save on the 100k-item
    // store, 131-136 MB with this collection first (about 10 ms).
    if (items.state.size >= LARGE_BUILD) collectGarbage();
    if (spool === null) return packItems(fd, items, sections, null);
    try {
      return packItems(fd, items, sections, spool);
    } catch {
      // The file could not be written (a full disk): the build is held in memory instead.
      closeSync(spool.fd);
      return packItems(fd, items, sections, null);
    }
  } finally {
    if (longLived) letYoungGenerationGrow();
  }
}

/**
 * fromItems' records, packed: the search texts, titles and tags of `sections`. Into `spool`, the
 * search texts go to their place in the file a part at a time (one buffer, filled again), then the
 * other sections and the header follow: the base reads them from there as from a saved file.
 * Without, they are held in memory (27 MB of the 100k-item store).
 */
function packItems(fd: number, items: LogIndex<Map<string, ItemEntry>>, sections: TextSections, spool: Spool | null): LogIndex<TextState> {
  const n = items.state.size;
  const parts: Part[] = [];
  const texts = spool === null ? null : textsWriter(spool.fd, n);
  const builder = new TextsBuilder(n, spool === null ? sections : ALL_SECTIONS, texts === null ? (part) => parts.push(part) : texts.write, texts !== null);
  for (const e of items.state.values()) {
    const record = recordOf(readAt(fd, e.off, e.len), e.off);
    // A line that is not this item's (the log changed under the index), or a text that cannot be
    // matched as bytes: nothing recorded, read when asked.
    if (record && record[0] === e.id && record[1].text !== null) builder.add(e.off, record[1].text, record[1].title, record[1].tags);
    else builder.none();
  }
  const { textStarts, titles, tags } = builder.finish();
  const validity = validityOf(items);
  const loadedSections = new Map<string, unknown>();
  if (titles !== null) loadedSections.set("titles", titles);
  if (tags !== null) loadedSections.set("tags", tags);
  let file: SavedFile | null = null;
  if (spool !== null && texts !== null && textStarts !== null && titles !== null && tags !== null) {
    const { sizes, crcs } = writeSections(spool.fd, n, { offs: builder.offs, textStarts, titles, tags }, texts.bytes, texts.crc);
    const header = headerOf(validity, n, sizes, crcs);
    writeAt(spool.fd, header, 0);
    file = { path: spool.path, header, sizes, crcs, spool: spool.fd };
    loadedSections.set("starts", textStarts);
  } else if (textStarts !== null) loadedSections.set("texts", { starts: textStarts, parts } satisfies Column);
  const base: Texts = { count: n, offs: builder.offs, file, loaded: loadedSections };
  return { state: { base, recent: new Map() }, bad: [], notes: [], ...validity, unsaved: Number.POSITIVE_INFINITY };
}

/**
 * The text index of one items log for a store: loaded from its file on first use (if saved
 * indexes are on), brought up to the log's committed end on every use, saved on request.
 */
export class TextIndex {
  private index: LogIndex<TextState> | null = null;
  private loaded: boolean;
  /** Set by a long-lived process (JsonlStore.keepOpen): V8's defaults are given back after a build. */
  longLived = false;
  private pending: Promise<unknown> | null = null;

  constructor(
    private readonly logPath: string,
    private readonly savedIndexes: boolean,
  ) {
    this.loaded = !savedIndexes;
  }

  /**
   * The texts of the log open as `fd`, up to `end`, whose items index (up to `end` too) is
   * `items`, for a list query with this filter and page.
   */
  async current(fd: number, end: number, items: LogIndex<Map<string, ItemEntry>>, filter: ItemFilter, page: Page): Promise<TextState> {
    // Concurrent queries of a long-lived process wait for one refresh rather than each doing it.
    while (this.pending) await this.pending.catch(() => undefined);
    const work = this.refresh(fd, end, items, sectionsFor(filter, page));
    this.pending = work;
    try {
      return (await work).state;
    } finally {
      this.pending = null;
    }
  }

  private async refresh(fd: number, end: number, items: LogIndex<Map<string, ItemEntry>>, needs: TextSections): Promise<LogIndex<TextState>> {
    if (!this.loaded) {
      this.loaded = true;
      this.index = loadTextIndex(textPathOf(this.logPath));
    }
    try {
      // Nothing to extend: built from the latest line of each item, not from every line of the log.
      // Built whole when it is to be saved; else only what the queries so far read (an uncached
      // `list --sort title` holds no search texts: 28 MB of the 100k-item store).
      const base = this.index?.state.base ?? null;
      if (this.index === null || !describesLog(this.index, fd, end) || (base !== null && !holds(base, needs))) {
        const held = base === null || base.file !== null ? needs : { texts: needs.texts || base.loaded.has("texts"), titles: needs.titles || base.loaded.has("titles"), tags: needs.tags || base.loaded.has("tags") };
        this.releaseSpool();
        this.index = fromItems(fd, items, this.savedIndexes ? ALL_SECTIONS : held, this.longLived, this.newSpool());
      }
      // With saved indexes off, the items index has no CRC to continue (nor need the texts one).
      this.index = await refreshIndex(textIndex, fd, this.index, NO_PARALLELISM, end, this.savedIndexes);
    } catch (error) {
      this.releaseSpool();
      this.index = null;
      throw error;
    }
    return this.index;
  }

  /**
   * The file a first build of a one-command process that saves indexes is packed into (see
   * packItems); null when there is no such build, or the file cannot be made (a read-only data
   * directory: the build is held in memory, as it would be anyway).
   */
  private newSpool(): Spool | null {
    if (!this.savedIndexes || this.longLived) return null;
    const path = textPathOf(this.logPath);
    try {
      return { fd: createSpoolFile(path), path };
    } catch {
      return null;
    }
  }

  /** Closes the spool of the index held, if it has one. */
  private releaseSpool(): void {
    const spool = this.index?.state.base?.file?.spool;
    if (spool === undefined) return;
    this.index = null;
    closeSync(spool);
  }

  /**
   * Saves the index, its records in the order of `entries` (the items index as it is now), then
   * lets go of it (the store is closing; a later query reads it again): a large one is collected
   * at once, before the items index is encoded (no saved index at all, 100k items: `list
   * --search latency` 159-164 → 143-156 MB at the peak).
   */
  saveAndRelease(worthSaving: (index: LogIndex<TextState>) => boolean, entries: Map<string, ItemEntry> | undefined): void {
    if (this.index === null) return;
    const large = (this.index.state.base?.count ?? 0) >= LARGE_BUILD;
    this.save(worthSaving, entries);
    // No reference to the index is left here: the collection frees it.
    this.releaseSpool();
    this.index = null;
    this.loaded = !this.savedIndexes;
    if (!large) return;
    collectGarbage();
    if (this.longLived) letYoungGenerationGrow();
  }

  private save(worthSaving: (index: LogIndex<TextState>) => boolean, entries: Map<string, ItemEntry> | undefined): void {
    if (this.savedIndexes && this.index !== null && entries !== undefined && worthSaving(this.index)) saveTextIndex(textPathOf(this.logPath), this.index, entries);
  }
}

/**
 * The text index of the items log (`.items.jsonl.text`): per item, what search, tags and title sort
 * look at, for its latest version, so that `list --search`, `--tag` and `--sort title` read no item
 * lines. Built only when such a query comes, kept and validated like the items index (jsonl-index.ts:
 * the same log file, only appended to, head and tail hashes; extended from the appended tail) and
 * saved by the same successful read-only commands. The saved file is binary and carries a CRC of its
 * body; a file that is missing, unreadable, a link, corrupt or stale is ignored and the index rebuilt
 * from the log. Each record names the line it was read from and is used only for the index entry
 * that points at that very line: anything else is read from the log as before.
 */
import { closeSync, readFileSync } from "node:fs";
import { endianness } from "node:os";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { normalizeStoredItem } from "../domain/item.js";
import { hasTags, type ItemFilter, matchesFilter, type Page, type QueryFields, type QueryResult, queryItems, searchNeedle, searchText } from "../domain/query.js";
import { OPEN, openStoreFile, tryParse, writeFileAtomically } from "./jsonl-file.js";
import { type IndexKind, type LogIndex, NO_PARALLELISM, refreshIndex } from "./jsonl-index.js";
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

/** Records of a saved file: search texts as one UTF-8 blob, titles and tags parsed when first asked for. */
interface SavedTexts {
  ids: string[];
  offs: Float64Array;
  /** Where each record's text starts in `blob`, and the blob's end last. */
  starts: Float64Array;
  blob: Buffer;
  titlesJson: Buffer;
  tagsJson: Buffer;
  titles?: string[] | null;
  tags?: string[][] | null;
}

export interface TextState {
  saved: SavedTexts | null;
  /** Records read from the log since (all of them when built from the log); they supersede saved ones. */
  recent: Map<string, TextRecord>;
}

/** Lone surrogates do not survive UTF-8: such a text is matched from its line instead. */
const LONE_SURROGATE = /\p{Cs}/u;

export const textIndex: IndexKind<TextState> = {
  name: KIND,
  empty: () => ({ saved: null, recent: new Map() }),
  add(state, line, off) {
    // Read as a full read reads it (hydrate): the record cannot disagree with the item shown.
    const item = normalizeStoredItem(tryParse(line));
    if (!item) return false;
    const text = searchText(item);
    state.recent.set(item.id, { off, title: item.title, tags: item.tags, text: LONE_SURROGATE.test(text) ? null : text });
    return true;
  },
  // Saved in its own binary format (saveTextIndex), never as JSON, and never built on a worker.
  toJson: () => null,
  fromJson: () => null,
  merge(into, later) {
    for (const [id, record] of later.recent) into.recent.set(id, record);
  },
};

function parsedList<T>(json: Buffer, count: number, valid: (v: unknown) => boolean): T[] | null {
  try {
    const list = JSON.parse(json.toString("utf8")) as unknown;
    return Array.isArray(list) && list.length === count && list.every(valid) ? (list as T[]) : null;
  } catch {
    return null;
  }
}
const isString = (v: unknown) => typeof v === "string";
const titlesOf = (s: SavedTexts) => (s.titles === undefined ? (s.titles = parsedList<string>(s.titlesJson, s.ids.length, isString)) : s.titles);
const tagsOf = (s: SavedTexts) =>
  s.tags === undefined ? (s.tags = parsedList<string[]>(s.tagsJson, s.ids.length, (v) => Array.isArray(v) && v.every(isString))) : s.tags;

/** Marks the saved records whose text holds `needle`; null when the needle cannot be looked for as bytes. */
function savedHits(s: SavedTexts, needle: string): Uint8Array | null {
  if (LONE_SURROGATE.test(needle)) return null;
  const count = s.ids.length;
  const hits = new Uint8Array(count);
  if (needle === "") return hits.fill(1);
  const bytes = Buffer.from(needle, "utf8");
  // UTF-8 is self-synchronising: a byte match of a whole needle is a match of its characters.
  for (let at = s.blob.indexOf(bytes); at !== -1; ) {
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s.starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    const end = s.starts[lo + 1];
    // Within one record: counted, and the search goes on from the next one. Across two: no match.
    if (at + bytes.length <= end) hits[lo] = 1;
    at = s.blob.indexOf(bytes, at + bytes.length <= end ? end : at + 1);
  }
  return hits;
}

/** Entries the text index answered (with their title for a title sort), and those it holds nothing current for. */
interface TextAnswer {
  matched: ItemEntry[];
  unknown: ItemEntry[];
}

function answerFromTexts(state: TextState, entries: Map<string, ItemEntry>, filter: ItemFilter, withTitle: boolean): TextAnswer | null {
  const needle = filter.search === undefined ? undefined : searchNeedle(filter.search);
  if (needle === null) return null;
  const wantsTags = filter.tags !== undefined && filter.tags.length > 0;
  const matched: ItemEntry[] = [];
  const covered = new Set<ItemEntry>();
  const keep = (e: ItemEntry, title: string, tags: () => readonly string[]) => {
    if (!matchesFilter(e, filter) || (wantsTags && !hasTags(tags(), filter.tags))) return;
    matched.push(withTitle ? { ...e, title } as ItemEntry : e);
  };
  const s = state.saved;
  if (s !== null) {
    const hits = needle === undefined ? null : savedHits(s, needle);
    const titles = withTitle ? titlesOf(s) : [];
    const tags = wantsTags ? tagsOf(s) : [];
    if ((needle !== undefined && hits === null) || titles === null || tags === null) return null;
    for (let k = 0; k < s.ids.length; k += 1) {
      const e = entries.get(s.ids[k]);
      if (e === undefined || e.off !== s.offs[k]) continue;
      covered.add(e);
      if (hits === null || hits[k] === 1) keep(e, titles[k], () => tags[k]);
    }
  }
  for (const [id, r] of state.recent) {
    const e = entries.get(id);
    if (e === undefined || e.off !== r.off || r.text === null) continue;
    covered.add(e);
    if (needle === undefined || r.text.includes(needle)) keep(e, r.title, () => r.tags);
  }
  const unknown = covered.size === entries.size ? [] : [...entries.values()].filter((e) => !covered.has(e));
  return { matched, unknown };
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
  const answer = answerFromTexts(state, entries, filter, (page.sort ?? []).some((s) => s.key === "title"));
  if (answer === null) return null;
  const rest = answer.unknown.length === 0 ? [] : queryItems(answer.unknown, filter, { limit: null, offset: 0 }, full).items;
  // Tags and search are decided: what is left is the order and the page.
  return queryItems<ItemEntry | F>([...answer.matched, ...(rest as F[])], { ...filter, tags: undefined, search: undefined }, page);
}

const LITTLE_ENDIAN = endianness() === "LE";

function float64s(buffer: Buffer): Float64Array {
  const copy = new Uint8Array(buffer.length);
  copy.set(buffer);
  return new Float64Array(copy.buffer);
}

/** The saved text index, or null when there is none or it cannot be trusted (then it is rebuilt). */
export function loadTextIndex(path: string): LogIndex<TextState> | null {
  try {
    // Never through a link: a planted one is ignored (and replaced on save).
    const fd = openStoreFile(path, OPEN.read);
    let file: Buffer;
    try {
      file = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
    const nl = file.indexOf(0x0a);
    if (nl < 0) return null;
    const h = JSON.parse(file.toString("utf8", 0, nl)) as Record<string, unknown>;
    if (h.format !== FORMAT || h.kind !== KIND || h.littleEndian !== LITTLE_ENDIAN) return null;
    const sizes = h.sizes;
    const count = h.count;
    if (!Array.isArray(sizes) || sizes.length !== 6 || !sizes.every((n) => Number.isSafeInteger(n) && n >= 0)) return null;
    if (!Number.isSafeInteger(count) || (count as number) < 0) return null;
    if (typeof h.covered !== "number" || typeof h.lines !== "number" || typeof h.crc !== "number" || typeof h.head !== "string" || typeof h.tail !== "string") return null;
    if (h.identity === null || typeof h.identity !== "object") return null;
    const body = file.subarray(nl + 1);
    if ((sizes as number[]).reduce((a, b) => a + b, 0) !== body.length || crc32(body) !== h.bodyCrc) return null;
    const parts: Buffer[] = [];
    let at = 0;
    for (const size of sizes as number[]) {
      parts.push(body.subarray(at, at + size));
      at += size;
    }
    const [idsJson, offsBytes, startsBytes, titlesJson, tagsJson, blob] = parts;
    const n = count as number;
    const ids = parsedList<string>(idsJson, n, isString);
    if (ids === null || offsBytes.length !== n * 8 || startsBytes.length !== (n + 1) * 8) return null;
    const starts = float64s(startsBytes);
    if (starts[0] !== 0 || starts[n] !== blob.length) return null;
    for (let k = 0; k < n; k += 1) if (!(starts[k] <= starts[k + 1])) return null;
    // One record per item, or an entry could be answered twice.
    if (new Set(ids).size !== n) return null;
    return {
      state: { saved: { ids, offs: float64s(offsBytes), starts, blob, titlesJson, tagsJson }, recent: new Map() },
      bad: [],
      notes: [],
      lines: h.lines as number,
      covered: h.covered,
      identity: h.identity as LogIndex<TextState>["identity"],
      head: h.head,
      tail: h.tail,
      crc: h.crc,
      unsaved: 0,
    };
  } catch {
    return null;
  }
}

/** Saves whole or not at all (exclusive temp file, rename). Failure is harmless: the next search rebuilds it. */
export function saveTextIndex(path: string, index: LogIndex<TextState>): void {
  try {
    const { saved, recent } = index.state;
    const ids: string[] = [];
    const offs: number[] = [];
    const titles: string[] = [];
    const tags: Array<readonly string[]> = [];
    const texts: Buffer[] = [];
    if (saved !== null) {
      const savedTitles = titlesOf(saved);
      const savedTags = tagsOf(saved);
      if (savedTitles === null || savedTags === null) return;
      for (let k = 0; k < saved.ids.length; k += 1) {
        if (recent.has(saved.ids[k])) continue;
        ids.push(saved.ids[k]);
        offs.push(saved.offs[k]);
        titles.push(savedTitles[k]);
        tags.push(savedTags[k]);
        texts.push(saved.blob.subarray(saved.starts[k], saved.starts[k + 1]));
      }
    }
    for (const [id, r] of recent) {
      if (r.text === null) continue;
      ids.push(id);
      offs.push(r.off);
      titles.push(r.title);
      tags.push(r.tags);
      texts.push(Buffer.from(r.text, "utf8"));
    }
    const starts = new Float64Array(ids.length + 1);
    for (let k = 0; k < texts.length; k += 1) starts[k + 1] = starts[k] + texts[k].length;
    const parts = [
      Buffer.from(JSON.stringify(ids)),
      Buffer.from(new Float64Array(offs).buffer),
      Buffer.from(starts.buffer),
      Buffer.from(JSON.stringify(titles)),
      Buffer.from(JSON.stringify(tags)),
      Buffer.concat(texts),
    ];
    const body = Buffer.concat(parts);
    const { state: _state, unsaved: _unsaved, bad: _bad, notes: _notes, ...validity } = index;
    const header = { format: FORMAT, kind: KIND, littleEndian: LITTLE_ENDIAN, ...validity, count: ids.length, sizes: parts.map((p) => p.length), bodyCrc: crc32(body) };
    writeFileAtomically(path, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]));
  } catch {
    // A read-only data directory, a full disk: the next search rebuilds the index instead.
  }
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

  /** The texts of the log open as `fd`, up to `end`. */
  async current(fd: number, end: number): Promise<TextState> {
    // Concurrent queries of a long-lived process wait for one refresh rather than each doing it.
    while (this.pending) await this.pending.catch(() => undefined);
    const work = this.refresh(fd, end);
    this.pending = work;
    try {
      return (await work).state;
    } finally {
      this.pending = null;
    }
  }

  private async refresh(fd: number, end: number): Promise<LogIndex<TextState>> {
    if (!this.loaded) {
      this.loaded = true;
      this.index = loadTextIndex(textPathOf(this.logPath));
    }
    try {
      this.index = await refreshIndex(textIndex, fd, this.index, NO_PARALLELISM, end);
    } catch (error) {
      this.index = null;
      throw error;
    }
    return this.index;
  }

  save(worthSaving: (index: LogIndex<TextState>) => boolean): void {
    if (this.savedIndexes && this.index !== null && worthSaving(this.index)) saveTextIndex(textPathOf(this.logPath), this.index);
  }
}

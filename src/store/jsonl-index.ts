/**
 * Indexes of an append-only log, so that reads parse only what was appended since the last read.
 *
 * An index covers the log's complete lines up to a byte offset. It is valid for a file only while
 * that file is the same one (device, inode, birth time) and was only appended to: its size has not
 * shrunk, its length and mtime are unchanged or it grew, and the bytes at its head and just before
 * the covered offset hash as they did. Anything else (the log replaced by compaction, truncated,
 * rewritten in place) rebuilds the index from the log. The log is the only source of truth; a
 * saved index is a cache that is never trusted over it, and deleting it is always safe.
 */
import { closeSync, fstatSync, readFileSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { crc32 } from "node:zlib";
import { ColumnReader, ColumnWriter, IndexFileError } from "./index-codec.js";
import { nextLineStart, OPEN, openStoreFile, readAt, scanFd, writeFileAtomically } from "./jsonl-file.js";
import { type Identity, identityOf, stillValid, windowsOf } from "./log-identity.js";

// 3: notes about stored values (case variants, values outside their enum) and a CRC-32 of the
// covered bytes (checked by writers) are kept. 5: binary, typed columns and a string table
// (index-codec.ts), and the head and tail windows checked by CRC-32 (no node:crypto on a read; the
// identity and size checks come first, and whoever could forge one could forge a SHA-256 as
// easily: both are computed from the log). 6: each section with its own CRC, and the ids of the
// items index in a table of their own before their lines' offsets and lengths, so that a lookup
// reads only those (lookupSaved). Files of earlier formats are simply rebuilt.
const FORMAT = 6;

export interface IndexKind<S> {
  /** Identifies the kind in saved files, so an index of one kind is never read as another. */
  name: string;
  empty(): S;
  /** Adds one complete line; false when the line is unreadable. `note` receives what it found about a field. */
  add(state: S, line: string, offset: number, bytes: number, note: (field: string, message: string) => void): boolean;
  /** For the saved file: the state as columns. */
  encode(state: S, out: ColumnWriter): void;
  /** What encode wrote; throws when it is not that. */
  decode(input: ColumnReader): S;
  /**
   * What decode would give for `keys` alone (a state holding at most those keys), reading only
   * what it needs (for items, the ids and where their lines are: `line` reads a line of the log,
   * from which the entry is made again, as add made it), and checking what it uses as decode
   * checks everything.
   */
  decodeSome(input: ColumnReader, keys: readonly string[], line: (off: number, len: number) => string): S;
  /** Folds `later` (the index of the lines after those of `into`) into `into`. */
  merge(into: S, later: S): void;
}

/** Where the indexing worker is, and from what size a log is indexed by two threads. */
export interface Parallelism {
  workerUrl: URL | null;
  minBytes: number;
  /**
   * A long-lived process (serve): the young generation may grow again once a build is done, so
   * that answering requests does not collect garbage in a young generation kept small.
   */
  growAfterBuild?: boolean;
}

export const NO_PARALLELISM: Parallelism = { workerUrl: null, minBytes: Number.POSITIVE_INFINITY };

/** Something a line's reading noted about one of its fields, `[line number, "field: message"]`. */
export type LineNote = [number, string];

export interface RangeIndex<S> {
  state: S;
  bad: number[];
  notes: LineNote[];
  /** Line number of the last line seen. */
  lines: number;
  /** End of the last complete line indexed. */
  covered: number;
}

/** Indexes the complete lines of [from, to) into `state`; line numbers continue `linesBefore`. */
export function indexRange<S>(kind: IndexKind<S>, fd: number, state: S, from: number, to: number, linesBefore: number): RangeIndex<S> {
  const bad: number[] = [];
  const notes: LineNote[] = [];
  let current = 0;
  const note = (field: string, message: string) => notes.push([current, `${field}: ${message}`]);
  let covered = from;
  const scan = scanFd(
    fd,
    (line, lineNo, offset, bytes) => {
      covered = offset + bytes + 1;
      current = lineNo;
      if (line.trim() !== "" && !kind.add(state, line, offset, bytes, note)) bad.push(lineNo);
    },
    from,
    linesBefore,
    to,
  );
  return { state, bad, notes, lines: scan.lines, covered };
}

/**
 * The worker's young generation, in MiB: parsing makes short-lived garbage, and V8's default
 * lets the worker's heap grow by tens of MiB beside this thread's; measured on a 222 MB log, 4 MiB
 * costs no time and takes ~15 MB off the peak RSS of the process.
 */
const WORKER_YOUNG_MB = 4;

/**
 * A range's index as the worker sends it: the columns of a saved index (one buffer, moved to the
 * other thread, not copied), its line numbers and notes in the header.
 */
export function encodeRange<S>(kind: IndexKind<S>, r: RangeIndex<S>): Buffer {
  const out = new ColumnWriter();
  kind.encode(r.state, out);
  return out.file(FORMAT, { kind: kind.name, bad: r.bad, notes: r.notes, lines: r.lines, covered: r.covered });
}

/** What encodeRange wrote, checked as a saved file is; throws when it is not that. */
function decodeRange<S>(kind: IndexKind<S>, file: Buffer): RangeIndex<S> {
  const input = new ColumnReader(file, FORMAT);
  const h = input.header;
  if (h.kind !== kind.name || !isRangeHeader(h)) return fail("the worker's index");
  const state = kind.decode(input);
  input.done();
  return { state, bad: h.bad, notes: h.notes, lines: h.lines, covered: h.covered };
}

/**
 * Keeps the young generation of every thread at the size it has (for the rest of the process):
 * while two threads index a large log, V8 would grow this thread's to tens of MiB beside the
 * worker's heap (peak RSS of an uncached `list` of a 222 MB log: 167 → 135–137 MB, in the same
 * time). Its maximum is fixed when the heap is set up, and a flag on the command line would make
 * V8 reject the code cache; but the growth factor is read each time a young generation would grow.
 * Setting up a heap (the worker's) puts the factor back to 2: this is called once the worker runs.
 */
export function keepYoungGenerationSmall(): void {
  setGrowth(1, HEAP_GROWING_PERCENT);
}

/** V8's defaults back: for a long-lived process once its build or decode is done. */
export function letYoungGenerationGrow(): void {
  setGrowth(2, 0);
}

/**
 * While the young generation is kept small, the old generation may grow by only 10% of what
 * survived its last collection (V8's default lets it grow by more than half): an entry outlives
 * many collections of the young generation, so each newer version's strings (updated_at at
 * least) are promoted and left there as garbage, in proportion to the log's lines. Read at each
 * collection, as the growth factor is. Measured on the 1M-line store (uncached): list 146-150 →
 * 134 MB, generate-weekly 154-157 → 140-141 MB, for ~20 ms more of collections in ~2.3 s. 0 is V8's default.
 */
const HEAP_GROWING_PERCENT = 10;

/**
 * A full collection of V8's heap, the old generation then held to HEAP_GROWING_PERCENT growth
 * (with the young one kept small: keepYoungGenerationSmall) until letYoungGenerationGrow. V8 sets
 * the old generation's limit at each full collection, to up to four times what survived at a
 * command's sizes; a command that scans a large log beside a large long-lived heap (its items
 * index) then leaves everything its scan promoted there as garbage until that limit, tens of MB.
 * After this call the next full collection comes at about 10% more. A few ms for a 30 MB heap. The
 * flag only lets a new context see `gc`.
 */
export function collectGarbage(): void {
  keepYoungGenerationSmall();
  const require = createRequire(import.meta.url);
  (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--expose-gc");
  ((require("node:vm") as typeof import("node:vm")).runInNewContext("gc") as () => void)();
}

/** Sets the growth factor, and the old generation's growth when given (else it stays as it is). */
function setGrowth(factor: 1 | 2, heapGrowingPercent?: number): void {
  const v8 = createRequire(import.meta.url)("node:v8") as typeof import("node:v8");
  v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  if (heapGrowingPercent !== undefined) v8.setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);
}

/**
 * From this size a saved index is decoded with the young generation kept as it is (a 1k-item
 * items index is about 130 KB, a 100k-item one 13 MB). Decoding makes an object and a few
 * strings per entry, all long-lived: V8 would grow the young generation to its largest (16 MiB
 * semi-spaces) on the way, for nothing, and then keep it for the rest of the command.
 */
const LARGE_SAVED_BYTES = 1 << 20;

/** Runs indexRange on a worker thread for the second half of a large range. */
function indexInWorker<S>(kind: IndexKind<S>, workerUrl: URL, fd: number, from: number, to: number): { started: Promise<unknown>; done: Promise<RangeIndex<S>> } {
  let started: Promise<unknown> = Promise.resolve();
  const done = new Promise<RangeIndex<S>>((resolve, reject) => {
    // The descriptor is shared by the threads of a process: the worker reads this very file.
    // Loaded here, at once (the worker must start before this thread indexes its half): the
    // module costs about a millisecond at every start, and only large ranges use it.
    const { Worker } = createRequire(import.meta.url)("node:worker_threads") as typeof import("node:worker_threads");
    const worker = new Worker(workerUrl, { workerData: { kind: kind.name, fd, from, to }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    started = new Promise((ready) => worker.once("online", ready));
    let result: Uint8Array | null = null;
    worker.once("message", (r: Uint8Array) => {
      result = r;
    });
    worker.once("error", reject);
    // The result is decoded once the worker has exited: its heap is then gone, not beside this one.
    worker.once("exit", (code) => {
      const r = result;
      result = null;
      if (code !== 0 || r === null) reject(new Error(`the indexing worker exited with ${code}`));
      else {
        try {
          resolve(decodeRange(kind, Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
        } catch (error) {
          reject(error);
        }
      }
    });
  });
  // Settled even if this thread throws, so that no rejection goes unhandled.
  done.catch(() => undefined);
  // Started, or failed before it could start.
  return { started: Promise.race([started, done.catch(() => undefined)]), done };
}

/**
 * Indexes [from, to): a large range in two parts at once, the first here, the second on a worker
 * (split at a line start, so no line is cut); its lines are later in the log, so they win.
 */
async function indexLines<S>(kind: IndexKind<S>, fd: number, state: S, from: number, to: number, linesBefore: number, parallel: Parallelism): Promise<RangeIndex<S>> {
  const mid = parallel.workerUrl && to - from >= parallel.minBytes ? nextLineStart(fd, from + Math.floor((to - from) / 2)) : null;
  if (mid === null || mid >= to || !parallel.workerUrl) return indexRange(kind, fd, state, from, to, linesBefore);
  const worker = indexInWorker(kind, parallel.workerUrl, fd, mid, to);
  // Both threads start together, once the worker's heap is set up (which puts V8's growth factor back).
  await worker.started;
  keepYoungGenerationSmall();
  const second = worker.done;
  const first = indexRange(kind, fd, state, from, mid, linesBefore);
  let rest: RangeIndex<S>;
  try {
    rest = await second;
  } catch {
    // No worker to be had: this thread does the second half too.
    rest = indexRange(kind, fd, kind.empty(), mid, to, 0);
  }
  kind.merge(state, rest.state);
  if (parallel.growAfterBuild) letYoungGenerationGrow();
  return {
    state,
    bad: [...first.bad, ...rest.bad.map((n) => n + first.lines)],
    notes: [...first.notes, ...rest.notes.map(([n, text]): LineNote => [n + first.lines, text])],
    lines: first.lines + rest.lines,
    covered: rest.covered,
  };
}

export interface LogIndex<S> {
  state: S;
  /** Line numbers of unreadable lines, to report on every read, not only the first. */
  bad: number[];
  /** What reading noted about values of lines (case variants, values outside their enum), reported likewise. */
  notes: LineNote[];
  lines: number;
  /** Bytes covered: the end of the last complete line indexed. */
  covered: number;
  identity: Identity;
  head: string;
  tail: string;
  /** CRC-32 of every covered byte: what a writer checks before relying on an index it did not build. */
  crc: number;
  /** Bytes parsed since this index was last saved (Infinity when rebuilt from nothing). */
  unsaved: number;
  /**
   * The log's ctime when every covered byte was read (to index it, or to check `crc`) while the
   * log had exactly `identity`; null once extended by appends (see provablyUnchanged).
   */
  verifiedAt?: string | null;
  /** The mtime of the saved file this index was loaded from (never saved itself). */
  savedMtime?: string | null;
}

/** The same file with the same size, mtime and ctime. */
const sameStat = (a: Identity, b: Identity) =>
  a.dev === b.dev && a.ino === b.ino && a.birth === b.birth && a.size === b.size && a.mtime === b.mtime && a.ctime !== undefined && a.ctime === b.ctime;

/**
 * Whether the log open as `fd` provably still holds every byte `index` covers, without reading
 * them. Its ctime moves with any change to its bytes (a write, an edit with its mtime set back, a
 * truncation) and cannot be set by a user; so when the log has the very stat (device, inode, size,
 * mtime, ctime) it had when the covered bytes were read, those bytes are unchanged, except for a
 * change within the same clock tick as that ctime. Git's "racy" rule covers that case: the index
 * file must have been written in a later tick than the ctime (strictly newer); an equal tick proves
 * nothing, and neither does an index extended by appends (their ctime says nothing of the bytes
 * before them). Then the caller reads the covered bytes (indexMatchesLog).
 */
export function provablyUnchanged(fd: number, index: Pick<LogIndex<unknown>, "identity" | "verifiedAt" | "savedMtime">): boolean {
  const { verifiedAt, savedMtime, identity } = index;
  if (typeof verifiedAt !== "string" || typeof savedMtime !== "string" || identity.ctime !== verifiedAt) return false;
  return sameStat(identityOf(fd), identity) && BigInt(savedMtime) > BigInt(verifiedAt);
}

const fail = (what: string): never => {
  throw new IndexFileError(`unreadable saved index: ${what}`);
};

const CRC_CHUNK = 1 << 20;

/** CRC-32 of [from, to) of the file, continuing `seed` (the CRC of the bytes before `from`). */
function crcRange(fd: number, from: number, to: number, seed: number): number {
  const buffer = Buffer.allocUnsafe(Math.min(CRC_CHUNK, Math.max(0, to - from)));
  let crc = seed;
  for (let position = from; position < to; ) {
    const read = readSync(fd, buffer, 0, Math.min(buffer.length, to - position), position);
    if (read === 0) break;
    crc = crc32(buffer.subarray(0, read), crc);
    position += read;
  }
  return crc;
}

/**
 * Whether every byte `index` covers is still what it was indexed from. The head and tail hashes
 * of a refresh catch compaction, truncation and appends; this catches an edit in the middle of the
 * log (same length, then appended to), at the price of reading the whole covered log once.
 */
export const indexMatchesLog = (fd: number, index: LogHeaderWithCrc) => crcRange(fd, 0, index.covered, 0) === index.crc;

/**
 * The index of the log open as `fd`: `prior` (from memory or a saved file) extended by the lines
 * appended since, or rebuilt from the whole log when `prior` no longer describes it.
 */
export async function refreshIndex<S>(
  kind: IndexKind<S>,
  fd: number,
  prior: LogIndex<S> | null,
  parallel: Parallelism = NO_PARALLELISM,
  end = Number.POSITIVE_INFINITY,
  /** False when the index will never be saved: no CRC then (only a saved index needs one: see indexMatchesLog). */
  withCrc = true,
): Promise<LogIndex<S>> {
  const identity = identityOf(fd);
  // Only up to `end`, the log's committed size (see jsonl-commit.ts): an unfinished write is not read.
  const to = Math.min(identity.size, end);
  const base = prior && prior.covered <= to && stillValid(prior, identity, fd) ? prior : null;
  if (base && base.covered === to) return { ...base, identity, verifiedAt: sameStat(identity, base.identity) ? base.verifiedAt : null };
  const from = base ? base.covered : 0;
  const r = await indexLines(kind, fd, base ? base.state : kind.empty(), from, to, base ? base.lines : 0, parallel);
  return {
    state: r.state,
    bad: base ? [...base.bad, ...r.bad] : r.bad,
    notes: base ? [...base.notes, ...r.notes] : r.notes,
    lines: r.lines,
    covered: r.covered,
    identity,
    ...windowsOf(fd, r.covered),
    crc: withCrc ? crcRange(fd, from, r.covered, base ? base.crc : 0) : Number.NaN,
    unsaved: base ? base.unsaved + (r.covered - from) : Number.POSITIVE_INFINITY,
    // Built from the log: every covered byte read, after `identity` was taken.
    verifiedAt: base || !withCrc ? null : (identity.ctime ?? null),
    savedMtime: null,
  };
}

/** A saved file of this kind, checked whole, and its header; null when there is none or it is not one. */
function openSaved<S>(kind: IndexKind<S>, path: string): { input: ColumnReader; header: Header; mtime: string; size: number } | null {
  // Never through a link: a planted one is ignored like any unusable index (and replaced on save).
  const fd = openStoreFile(path, OPEN.read);
  let file: Buffer;
  let mtime: string;
  try {
    mtime = String(fstatSync(fd, { bigint: true }).mtimeNs);
    file = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  // Magic, format, CRC of the whole file and byte order are checked here.
  const input = new ColumnReader(file, FORMAT);
  const header = input.header;
  if (header.kind !== kind.name || !isHeader(header)) return null;
  return { input, header, mtime, size: file.length };
}

/**
 * A saved index, or null when there is none or it cannot be read (then it is simply rebuilt). A
 * large one is decoded with the young generation kept at its size (LARGE_SAVED_BYTES); after it,
 * a `longLived` process gets V8's default back, while a one-command process keeps its young
 * generation as it is: what follows reads and prints a page at a time, and a young generation
 * grown for that only adds to the peak (100k items: `list` 137 → 107 MB, `dashboard` 121 → 104
 * MB, `export` 145 → 111 MB, in about the same time).
 */
export function loadSavedIndex<S>(kind: IndexKind<S>, path: string, longLived = false, describes: (header: Header) => boolean = () => true): LogIndex<S> | null {
  try {
    const saved = openSaved(kind, path);
    // One that no longer describes the log (a restored copy, a log rewritten) is not decoded only
    // to be dropped: its entries would be garbage beside the rebuilt ones (the first report of a
    // copied 100k-item store: 170 MB at the peak, as much as with no saved index after this).
    if (saved === null || !describes(saved.header)) return null;
    const large = saved.size >= LARGE_SAVED_BYTES;
    let state: S;
    // Only the young generation: also holding the old one to 10% growth (keepYoungGenerationSmall)
    // would save some 20 MB more at 100k items but cost ~15% more time in collections.
    if (large) setGrowth(1);
    try {
      state = kind.decode(saved.input);
    } finally {
      if (large && longLived) letYoungGenerationGrow();
    }
    saved.input.done();
    const { bad, notes, lines, covered, identity, head, tail, crc, verifiedAt } = saved.header;
    return { state, bad, notes, lines, covered, identity, head, tail, crc, unsaved: 0, verifiedAt: verifiedAt ?? null, savedMtime: saved.mtime };
  } catch {
    return null;
  }
}

/** Some keys' part of an index: ask its state for those keys only. */
export interface KeyLookup<S> {
  state: S;
  bad: number[];
  notes: LineNote[];
}

/** What a lookup is asked, and when it must give up (see lookupSaved). */
export interface LookupOptions {
  /** False when the appended tail is worth saving an index again: the caller then reads the whole index. */
  small: (tail: number, covered: number) => boolean;
  /** For a writer: whether the covered bytes are still those the index was made from (see indexMatchesLog). */
  verify?: (fd: number, header: LogHeaderWithCrc) => boolean;
}

/**
 * Reads a part of a saved index: a state holding at least every entry a question is about (more
 * entries do no harm: the question is asked of it again), reading only what it needs.
 */
export type PickSaved<S> = (input: ColumnReader, line: (off: number, len: number) => string) => S;

/** The part of a saved index that holds `keys` (kind.decodeSome). */
export const byKeys =
  <S>(kind: IndexKind<S>, keys: readonly string[]): PickSaved<S> =>
  (input, line) =>
    kind.decodeSome(input, keys, line);

export type LogHeaderWithCrc = Pick<LogIndex<unknown>, "covered" | "crc" | "identity" | "verifiedAt" | "savedMtime">;

/**
 * What the index of the log open as `fd` (up to `end`) holds for what `pick` asks (some keys:
 * byKeys; or some values), read from the saved
 * index without decoding its other entries, and from the lines appended since it was saved. The
 * saved file passes the same checks as for a whole read (its CRC, its header, the log still the
 * file it describes, only appended to), and `verify` if given. Null when there is no usable saved
 * index, or when `small` says the appended tail is worth saving an index again: then the caller
 * reads the whole index (and saves it). The state is not an index of the log: never saved, never
 * asked for other keys.
 */
export function lookupSaved<S>(kind: IndexKind<S>, path: string, fd: number, end: number, pick: PickSaved<S>, options: LookupOptions): KeyLookup<S> | null {
  let found: { state: S; header: LogHeaderWithCrc & Header; to: number };
  try {
    // Never through a link, as for a whole read; only the header and the sections used are read.
    const file = openStoreFile(path, OPEN.read);
    try {
      const st = fstatSync(file, { bigint: true });
      const input = ColumnReader.partial(file, Number(st.size), FORMAT);
      const header = input.header;
      if (header.kind !== kind.name || !isHeader(header)) return null;
      const identity = identityOf(fd);
      const to = Math.min(identity.size, end);
      if (header.covered > to || !stillValid(header, identity, fd) || !options.small(to - header.covered, to)) return null;
      // A line is read only within the bytes the index covers (a planted length allocates nothing).
      const line = (off: number, len: number) => (off + len <= header.covered ? readAt(fd, off, len) : fail("a line past the covered bytes"));
      const state = pick(input, line);
      input.done();
      found = { state, header: { ...header, savedMtime: String(st.mtimeNs) }, to };
    } finally {
      closeSync(file);
    }
  } catch {
    return null;
  }
  const { state, header, to } = found;
  if (options.verify && !options.verify(fd, header)) return null;
  if (header.covered === to) return { state, bad: header.bad, notes: header.notes };
  const appended = indexRange(kind, fd, kind.empty(), header.covered, to, header.lines);
  kind.merge(state, appended.state);
  return { state, bad: [...header.bad, ...appended.bad], notes: [...header.notes, ...appended.notes] };
}

type Header = Omit<LogIndex<unknown>, "state" | "unsaved" | "savedMtime">;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown): v is string => typeof v === "string";
const isNanoseconds = (v: unknown) => typeof v === "string" && /^\d{1,30}$/.test(v);

/** The fields of a range's index (its lines, what was found in them), of the type they must have. */
const isRangeHeader = (h: Record<string, unknown>): h is Record<string, unknown> & Pick<Header, "bad" | "notes" | "lines" | "covered"> =>
  isCount(h.lines) && isCount(h.covered) &&
  Array.isArray(h.bad) && h.bad.every(isCount) &&
  Array.isArray(h.notes) && h.notes.every((n) => Array.isArray(n) && n.length === 2 && isCount(n[0]) && isText(n[1]));

/** Every field of a saved header, of the type it must have. */
function isHeader(h: Record<string, unknown>): h is Record<string, unknown> & Header {
  const id = h.identity as Record<string, unknown> | null;
  return (
    isRangeHeader(h) && isCount(h.crc) && isText(h.head) && isText(h.tail) &&
    id !== null && typeof id === "object" && isText(id.dev) && isText(id.ino) && isText(id.birth) && isCount(id.size) && isText(id.mtime) &&
    (id.ctime === undefined || isNanoseconds(id.ctime)) && (h.verifiedAt === undefined || h.verifiedAt === null || isNanoseconds(h.verifiedAt))
  );
}

/** Saves whole or not at all, so a reader never sees half an index. Failure is harmless. */
export function saveIndex<S>(kind: IndexKind<S>, path: string, index: LogIndex<S>): void {
  const { state, unsaved: _unsaved, savedMtime: _savedMtime, ...header } = index;
  try {
    const out = new ColumnWriter();
    kind.encode(state, out);
    writeFileAtomically(path, out.parts(FORMAT, { kind: kind.name, ...header }));
  } catch {
    // A read-only data directory, a full disk: the next read rebuilds the index instead.
  }
}

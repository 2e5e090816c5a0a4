/**
 * Line-level I/O on an append-only JSONL log: streamed scanning, durable appends that repair a torn
 * tail first, and the quarantine file where unreadable bytes are kept aside instead of destroyed.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname } from "node:path";
import { storageUnavailable } from "../errors.js";
import { nodeCrypto } from "../node-crypto.js";

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = constants;

/** How store files are opened; every mode adds O_NOFOLLOW (see openStoreFile). */
export const OPEN = {
  read: O_RDONLY,
  append: O_WRONLY | O_APPEND | O_CREAT,
  appendRead: O_RDWR | O_APPEND | O_CREAT,
  update: O_RDWR,
  lock: O_RDWR | O_CREAT,
} as const;

/** Marks temp files beside a store file: `<file>.tmp-<random>`. */
export const TMP_MARK = ".tmp-";

/**
 * Opens a file of the store without ever following a symbolic link: someone who can write the data
 * directory must not be able to make another user's command read or write a file of their choice.
 * A link is refused (exit 6) with its name.
 */
export function openStoreFile(path: string, flags: number, mode = 0o666): number {
  try {
    return openSync(path, flags | O_NOFOLLOW, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      throw storageUnavailable(
        `${path} is a symbolic link: backlog never follows links for its store files`,
        "Replace the link with the real file, or point --dir ($BACKLOG_DIR) at the real data directory.",
        "store_file_is_link",
      );
    }
    throw error;
  }
}

/**
 * A new temp file beside `path`, created exclusively (O_EXCL) under an unpredictable name, so that
 * nothing planted in the directory can be written through.
 */
export function createTmpFile(path: string, mode = 0o644, access = O_WRONLY): { tmp: string; fd: number } {
  const tmp = `${path}${TMP_MARK}${nodeCrypto().randomBytes(8).toString("hex")}`;
  return { tmp, fd: openStoreFile(tmp, access | O_CREAT | O_EXCL, mode) };
}

/**
 * A scratch file beside `path`, read and written through the descriptor returned: created as a
 * temp file would be, then unlinked at once, so that it is gone with the process however it ends.
 */
export function createSpoolFile(path: string): number {
  const { tmp, fd } = createTmpFile(path, 0o600, O_RDWR);
  try {
    // A cleanup removing stale tmp files meanwhile may have unlinked it already.
    rmSync(tmp, { force: true });
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

const CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

export interface ScanResult {
  /** Complete (newline-terminated) lines seen. */
  lines: number;
  bytes: number;
  /** Bytes after the last newline: a write that died mid-line, never acknowledged. */
  tornTail: { offset: number; text: string } | null;
}

/** The parsed JSON of a line, or undefined when it is not JSON. */
export function tryParse(line: string): unknown {
  try {
    // A file saved by an editor may start with a UTF-8 byte-order mark: it is not part of the JSON.
    return JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
  } catch {
    return undefined;
  }
}

export const isBlank = (line: string) => line.trim() === "";

/**
 * Writes a whole file or nothing: a tmp file beside it, fsync'd (unless not `durable`: a cache that
 * a crash may lose or tear, as its checks then reject it), then renamed over it. `data` is the
 * text, the bytes, or the file's parts in order.
 */
export function writeFileAtomically(path: string, data: string | Uint8Array | readonly Uint8Array[], durable = true): void {
  writeFileAtomicallyWith(
    path,
    (fd) => {
      if (typeof data === "string") writeAll(fd, Buffer.from(data, "utf8"));
      // Parts written one after another: a file made of several buffers need not be copied into one.
      else if (Array.isArray(data)) for (const part of data as readonly Uint8Array[]) writeAll(fd, part);
      else writeAll(fd, data as Uint8Array);
    },
    durable,
  );
}

/**
 * writeFileAtomically for content that `fill` writes into the open temp file, where it chooses
 * (a header written last at its start, for one); if `fill` throws, nothing appears.
 */
export function writeFileAtomicallyWith(path: string, fill: (fd: number) => void, durable = true): void {
  const file = createTmpFile(path);
  try {
    fill(file.fd);
  } catch (error) {
    discardTmpFile(file);
    throw error;
  }
  placeTmpFile(file, path, durable);
}

/**
 * writeFileAtomically for content too long to hold: `fill` writes it a part at a time into the
 * temp file, renamed into place once whole and fsync'd; if `fill` throws, nothing appears.
 */
export async function writeFileAtomicallyFrom(path: string, fill: (write: (text: string) => void) => Promise<void>): Promise<void> {
  const file = createTmpFile(path);
  try {
    await fill((text) => writeAll(file.fd, Buffer.from(text, "utf8")));
  } catch (error) {
    discardTmpFile(file);
    throw error;
  }
  placeTmpFile(file, path, true);
}

/** A written temp file of createTmpFile: fsync'd when `durable`, closed, renamed over `path`; removed if that fails. */
function placeTmpFile({ tmp, fd }: { tmp: string; fd: number }, path: string, durable: boolean): void {
  try {
    try {
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

function discardTmpFile({ tmp, fd }: { tmp: string; fd: number }): void {
  closeSync(fd);
  rmSync(tmp, { force: true });
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";

/** Opens for reading; null when the file does not exist yet (an empty store). */
export function openForRead(path: string): number | null {
  try {
    return openStoreFile(path, OPEN.read);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * A small record file of the store (`.backlog.pending`, `.backlog.compacting`): null when there is
 * none, "malformed" when it is larger than `maxBytes` or not JSON, else its JSON.
 */
export function readRecordFile(path: string, maxBytes: number, open: (path: string) => number | null = openForRead): { json: unknown } | "malformed" | null {
  const fd = open(path);
  if (fd === null) return null;
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return read > maxBytes ? "malformed" : { json: JSON.parse(buffer.toString("utf8", 0, read)) as unknown };
  } catch {
    return "malformed";
  } finally {
    closeSync(fd);
  }
}

/** Writes a record file exclusively (nothing planted is written through) and durably. */
export function writeRecordFile(path: string, record: unknown): void {
  const fd = openStoreFile(path, O_WRONLY | O_CREAT | O_EXCL, 0o644);
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(path));
}

/** Removes a record file durably: the step it records is over. */
export function removeRecordFile(path: string): void {
  unlinkSync(path);
  fsyncDir(dirname(path));
}

/** Receives a complete line, its 1-based number, and where its bytes are in the file. */
export type LineVisitor = (line: string, lineNo: number, offset: number, bytes: number) => void;

/**
 * Calls `onLine` for every complete line, reading in fixed-size chunks so memory does not grow
 * with the file. A final fragment without a newline is returned, not visited.
 */
export function scanLines(path: string, onLine: LineVisitor): ScanResult {
  const fd = openForRead(path);
  if (fd === null) return { lines: 0, bytes: 0, tornTail: null };
  try {
    return scanFd(fd, onLine);
  } finally {
    closeSync(fd);
  }
}

/**
 * Scans from byte `from` (a line start) up to byte `to` (end of file by default), numbering
 * lines after `linesBefore`.
 */
export function scanFd(fd: number, onLine: LineVisitor, from = 0, linesBefore = 0, to = Number.POSITIVE_INFINITY): ScanResult {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let carry: Buffer | null = null;
  let lineNo = linesBefore;
  let position = from;
  for (;;) {
    const want = Math.min(CHUNK_BYTES, to - position);
    if (want <= 0) break;
    const read = readSync(fd, chunk, 0, want, position);
    if (read === 0) break;
    const chunkStart = position;
    position += read;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, 0); nl !== -1 && nl < read; nl = chunk.indexOf(NEWLINE, start)) {
      lineNo += 1;
      if (carry) {
        const line = Buffer.concat([carry, chunk.subarray(start, nl)]);
        onLine(line.toString("utf8"), lineNo, chunkStart - carry.length, line.length);
        carry = null;
      } else {
        onLine(chunk.toString("utf8", start, nl), lineNo, chunkStart + start, nl - start);
      }
      start = nl + 1;
    }
    if (start < read) {
      const rest = Buffer.from(chunk.subarray(start, read));
      carry = carry ? Buffer.concat([carry, rest]) : rest;
    }
  }
  const tornTail = carry && carry.length > 0 ? { offset: position - carry.length, text: carry.toString("utf8") } : null;
  return { lines: lineNo, bytes: position, tornTail };
}

/** The offset just past the first newline at or after `from`, or null when there is none. */
export function nextLineStart(fd: number, from: number): number | null {
  const block = Buffer.allocUnsafe(64 * 1024);
  for (let position = from; ; position += block.length) {
    const read = readSync(fd, block, 0, block.length, position);
    if (read === 0) return null;
    const nl = block.subarray(0, read).indexOf(NEWLINE);
    if (nl !== -1) return position + nl + 1;
  }
}

/** Reads `length` bytes (all of `buffer`) from the file at `offset`, short only at its end; how many bytes were read. */
export function readFully(fd: number, buffer: Buffer, offset: number, length = buffer.length): number {
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, offset + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

/** Reads `bytes` bytes at `offset`: one stored line, found through an index. */
export function readAt(fd: number, offset: number, bytes: number): string {
  const buffer = Buffer.allocUnsafe(bytes);
  return buffer.toString("utf8", 0, readFully(fd, buffer, offset));
}

/**
 * Many `[offset, bytes]` spans of one file, each as `readAt` gives it. Spans close together (the
 * range they cover at most 1 MiB, or 4× what they hold, and at most 16 MiB) are read in one
 * call rather than one system call each.
 */
export function readManyAt(fd: number, spans: ReadonlyArray<readonly [number, number]>): string[] {
  if (spans.length < 2) return spans.map(([offset, bytes]) => readAt(fd, offset, bytes));
  let start = Infinity;
  let end = 0;
  let held = 0;
  for (const [offset, bytes] of spans) {
    start = Math.min(start, offset);
    end = Math.max(end, offset + bytes);
    held += bytes;
  }
  const range = end - start;
  if (range > 16 * 2 ** 20 || (range > 2 ** 20 && range > 4 * held)) return spans.map(([offset, bytes]) => readAt(fd, offset, bytes));
  const buffer = Buffer.allocUnsafe(range);
  const done = readFully(fd, buffer, start);
  return spans.map(([offset, bytes]) => buffer.toString("utf8", Math.min(offset - start, done), Math.min(offset - start + bytes, done)));
}

export const quarantinePathOf = (path: string) => `${path}.quarantine`;

export interface QuarantineRecord {
  reason: "torn_write" | "unparseable" | "uncommitted_write";
  line: number | null;
  offset: number | null;
  raw: string;
}

/** Appends records to `<file>.quarantine`, durably, before the bytes they hold are removed anywhere. */
export function quarantine(path: string, records: readonly QuarantineRecord[], nowIso: string): void {
  if (records.length === 0) return;
  const file = basename(path);
  const text = records
    .map((r) => JSON.stringify({ quarantined_at: nowIso, file, line: r.line, offset: r.offset, reason: r.reason, raw: r.raw }))
    .join("\n");
  appendDurably(quarantinePathOf(path), `${text}\n`);
}

function writeAll(fd: number, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written);
}

/** fsync of a directory makes a created or renamed entry in it durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function appendDurably(path: string, text: string): void {
  const fd = openStoreFile(path, OPEN.append);
  try {
    const created = fstatSync(fd).size === 0;
    writeAll(fd, Buffer.from(text, "utf8"));
    fsyncSync(fd);
    if (created) fsyncDir(dirname(path));
  } finally {
    closeSync(fd);
  }
}

/** Offset just past the last newline before `size`, or 0 when there is none. */
function endOfLastLine(fd: number, size: number): number {
  const block = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const read = readSync(fd, block, 0, end - start, start);
    const nl = block.subarray(0, read).lastIndexOf(NEWLINE);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

/** About how many characters of lines an Appender makes and writes at a time. */
const APPEND_CHUNK_CHARS = 1 << 20;

/**
 * Lines appended to one log, made and written about APPEND_CHUNK_CHARS at a time (a large write,
 * an import, is never held as one string nor as one buffer). `finish` fsyncs them; `abort` (after
 * any failure, idempotent) cuts the log back to where they began, so a failed append leaves
 * nothing behind.
 */
export interface Appender {
  add(line: string): void;
  finish(): void;
  abort(): void;
}

/**
 * Opens a log to append complete lines; the caller holds the store lock. When the file does not
 * end in a newline, a writer died mid-line: that fragment was never acknowledged, so it is moved
 * to the quarantine file and cut off before the append.
 */
export function openAppender(path: string, nowIso: string): Appender {
  const fd = openStoreFile(path, OPEN.appendRead);
  let size: number;
  let start: number;
  try {
    size = fstatSync(fd).size;
    start = repairTail(fd, path, size, nowIso);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let chunk: string[] = [];
  let chars = 0;
  let open = true;
  const flush = () => {
    if (chunk.length === 0) return;
    writeAll(fd, Buffer.from(`${chunk.join("\n")}\n`, "utf8"));
    chunk = [];
    chars = 0;
  };
  return {
    add(line) {
      chunk.push(line);
      chars += line.length + 1;
      if (chars >= APPEND_CHUNK_CHARS) flush();
    },
    finish() {
      flush();
      fsyncSync(fd);
      open = false;
      closeSync(fd);
      if (size === 0) fsyncDir(dirname(path));
    },
    abort() {
      if (!open) return;
      open = false;
      try {
        cutBackFd(fd, start);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** The lines of the file open as `fd`, read a chunk at a time from its start; the last needs no newline. */
export function* linesOf(fd: number): Generator<string> {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let carry: Buffer | null = null;
  for (let position = 0; ; ) {
    const read = readSync(fd, chunk, 0, CHUNK_BYTES, position);
    if (read === 0) break;
    position += read;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, 0); nl !== -1 && nl < read; nl = chunk.indexOf(NEWLINE, start)) {
      const line: string = carry ? Buffer.concat([carry, chunk.subarray(start, nl)]).toString("utf8") : chunk.toString("utf8", start, nl);
      carry = null;
      start = nl + 1;
      yield line;
    }
    if (start < read) {
      const rest = Buffer.from(chunk.subarray(start, read));
      carry = carry ? Buffer.concat([carry, rest]) : rest;
    }
  }
  if (carry !== null && carry.length > 0) yield carry.toString("utf8");
}

/** Quarantines and cuts off a fragment after the last newline; returns the size after. */
function repairTail(fd: number, path: string, size: number, nowIso: string): number {
  if (size === 0) return 0;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] === NEWLINE) return size;
  const start = endOfLastLine(fd, size);
  const fragment = Buffer.alloc(size - start);
  readSync(fd, fragment, 0, fragment.length, start);
  quarantine(path, [{ reason: "torn_write", line: null, offset: start, raw: fragment.toString("utf8") }], nowIso);
  ftruncateSync(fd, start);
  return start;
}

/** Under the lock, before a commit record is written: the log ends in a newline (or is empty). */
export function repairTornTail(path: string, nowIso: string): void {
  let fd: number;
  try {
    fd = openStoreFile(path, OPEN.update);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  try {
    repairTail(fd, path, fstatSync(fd).size, nowIso);
  } finally {
    closeSync(fd);
  }
}

function cutBackFd(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } catch {
    // What is left is an unacknowledged tail: readers ignore it, the next writer quarantines it.
  }
}

/** Cuts a log back to `size`: undoes an append of the same locked write that could not finish. */
export function cutBack(path: string, size: number): void {
  const fd = openStoreFile(path, OPEN.update);
  try {
    cutBackFd(fd, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * One commit for an item version and its event. A write appends to two logs; a `kill -9` between
 * the appends would leave one without the other. So, under the lock and before appending, the
 * writer records the two log sizes in `<dir>/.backlog.pending` (fsync'd), appends and fsyncs
 * both logs, then removes the record. While a record exists its sizes are the last committed
 * state: readers read each log only up to them, and the next writer (or `cleanup`) cuts both
 * logs back to them, keeping the cut bytes in quarantine (that write was never acknowledged).
 * The log formats are unchanged: the reference Python store reads the same files.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, lstatSync } from "node:fs";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { storageUnavailable } from "../errors.js";
import { openForRead, OPEN, openStoreFile, quarantine, readAt, readRecordFile, removeRecordFile, writeRecordFile } from "./jsonl-file.js";
import { pathsToRead, readSwapRecord, sameSwapRecord } from "./jsonl-swap.js";

export const COMMIT_FILE = ".backlog.pending";

/** The sizes of both logs before a write began: its committed state. */
export interface CommitRecord {
  items: number;
  events: number;
}

const MAX_RECORD_BYTES = 256;
const isSize = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** The record in `dir`: null when there is none, "malformed" when it is not one of ours. */
export function readCommitRecord(dir: string): CommitRecord | "malformed" | null {
  const file = readRecordFile(join(dir, COMMIT_FILE), MAX_RECORD_BYTES);
  if (file === null || file === "malformed") return file;
  const json = file.json as Record<string, unknown> | null;
  if (json === null || typeof json !== "object" || !isSize(json.items) || !isSize(json.events)) return "malformed";
  return { items: json.items, events: json.events };
}

const sizeOf = (path: string) => {
  try {
    return lstatSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
};

/** Writes the record (exclusively: nothing planted is written through) and makes it durable. */
export function beginCommit(dir: string, itemsPath: string, eventsPath: string): CommitRecord {
  const record = { items: sizeOf(itemsPath), events: sizeOf(eventsPath) };
  writeRecordFile(join(dir, COMMIT_FILE), record);
  return record;
}

/** Both appends are durable: the write is committed. */
export function endCommit(dir: string): void {
  removeRecordFile(join(dir, COMMIT_FILE));
}

/** Cuts `path` back to `size`, its bytes after it kept in quarantine first. */
function cutBackTo(path: string, size: number, nowIso: string): boolean {
  const fd = openForRead(path);
  if (fd === null) return false;
  let extra: string;
  try {
    const now = fstatSync(fd).size;
    if (now <= size) return false;
    extra = readAt(fd, size, now - size);
  } finally {
    closeSync(fd);
  }
  quarantine(path, [{ reason: "uncommitted_write", line: null, offset: size, raw: extra }], nowIso);
  const wfd = openStoreFile(path, OPEN.update);
  try {
    ftruncateSync(wfd, size);
    fsyncSync(wfd);
  } finally {
    closeSync(wfd);
  }
  return true;
}

/**
 * Under the lock: a record left behind is a write that never finished (the writer was killed or
 * failed). Both logs are cut back to its sizes, the cut bytes quarantined, and a warning given. A
 * record that is not ours (malformed, or sizes beyond the files) cuts nothing: it is removed with
 * a warning.
 */
export function recoverUnfinishedCommit(dir: string, itemsPath: string, eventsPath: string, nowIso: string, warn: (m: string) => void): void {
  const record = readCommitRecord(dir);
  if (record === null) return;
  const path = join(dir, COMMIT_FILE);
  if (record === "malformed") {
    warn(`${path}: not a commit record of backlog; removed without changing the logs`);
  } else {
    const cut = [cutBackTo(itemsPath, record.items, nowIso) ? itemsPath : null, cutBackTo(eventsPath, record.events, nowIso) ? eventsPath : null].filter((p) => p !== null);
    if (cut.length > 0) {
      warn(`an unfinished write (its process died before it completed) was undone in ${cut.join(" and ")}; its bytes are kept in ${cut.map((p) => `${p}.quarantine`).join(" and ")}`);
    }
  }
  endCommit(dir);
}

/** Both logs open for reading (null: no such file yet) and how far each is committed. */
export interface CommittedView {
  items: number | null;
  events: number | null;
  itemsEnd: number;
  eventsEnd: number;
}

const fdSize = (fd: number | null) => (fd === null ? 0 : fstatSync(fd).size);

/** Whether `path` still names the file open as `fd` (or is still missing). */
function stillNamed(fd: number | null, path: string): boolean {
  try {
    const named = lstatSync(path);
    if (fd === null) return false;
    const held = fstatSync(fd);
    return held.ino === named.ino && held.dev === named.dev;
  } catch (error) {
    return fd === null && (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

const ATTEMPTS = 2000;

/**
 * Opens both logs and finds a committed state of them without taking the lock: the same pair (a
 * compaction replaces both as one step, jsonl-swap.ts) and each up to its last commit. A record present
 * gives it (a write is in flight or died). With none, sizes that did not move across the moment
 * the record was seen absent are committed (appends happen only while a record exists). Anything
 * else (a write began or ended in between, a log replaced by compaction) is tried again.
 */
export async function openCommitted(dir: string, itemsPath: string, eventsPath: string, open: (path: string) => number | null): Promise<CommittedView> {
  let lastRecord = "";
  const logNames = [basename(itemsPath), basename(eventsPath)];
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    // A compaction between its two renames: read the pair it is making (jsonl-swap.ts).
    const swap = readSwapRecord(dir, logNames, open);
    const [itemsAt, eventsAt] = pathsToRead(dir, swap, [itemsPath, eventsPath]);
    const items = open(itemsAt);
    let events: number | null = null;
    try {
      events = open(eventsAt);
      const before = [fdSize(items), fdSize(events)];
      const record = readCommitRecord(dir);
      const after = [fdSize(items), fdSize(events)];
      const named = stillNamed(items, itemsAt) && stillNamed(events, eventsAt) && sameSwapRecord(swap, readSwapRecord(dir, logNames, open));
      if (named) {
        const stable = before[0] === after[0] && before[1] === after[1];
        if (record === null || record === "malformed") {
          if (stable) return { items, events, itemsEnd: after[0], eventsEnd: after[1] };
        } else if (record.items <= before[0] && record.events <= before[1]) {
          return { items, events, itemsEnd: record.items, eventsEnd: record.events };
        } else {
          // Sizes beyond the files: a write ended and a new one began between our looks, or a
          // record that is not ours. Only the latter stays the same across attempts.
          const key = JSON.stringify([record, after]);
          if (stable && key === lastRecord) {
            return { items, events, itemsEnd: Math.min(record.items, after[0]), eventsEnd: Math.min(record.events, after[1]) };
          }
          lastRecord = key;
        }
      }
    } catch (error) {
      if (items !== null) closeSync(items);
      if (events !== null) closeSync(events);
      throw error;
    }
    if (items !== null) closeSync(items);
    if (events !== null) closeSync(events);
    if (attempt >= 3) await sleep(Math.min(20, attempt));
  }
  throw storageUnavailable(`the logs in ${dir} kept changing while they were read`, "Run the command again when fewer writers are running.");
}

/**
 * Replacing both logs as one step. `cleanup` writes the compacted copies of `items.jsonl` and
 * `events.jsonl` to temp files, but two renames cannot be one: a reader (or a crash) between them
 * would pair the new items with the old events or the other way round, and show an item without
 * its events. So, under the lock and before renaming, `cleanup` records both temp files (name and
 * inode) in `<dir>/.backlog.compacting` (fsync'd), renames `items.jsonl` then `events.jsonl`, and
 * removes the record.
 *
 * While a record exists, a reader that finds any log already replaced reads every log not yet
 * replaced from its temp file: it sees the new pair whole, or the old pair whole. The next process
 * holding the lock finishes the renames (roll forward: the temp files were complete and on disk
 * before the record was written). A record that is not ours is ignored by readers and removed by
 * the next writer; it can name only a temp file of this directory's logs, never another path.
 */
import { lstatSync, renameSync } from "node:fs";
import { basename, join } from "node:path";
import { fsyncDir, openForRead, readRecordFile, removeRecordFile, TMP_MARK, writeRecordFile } from "./jsonl-file.js";

export const SWAP_FILE = ".backlog.compacting";

/** A log and the temp file that replaces it. */
export interface Swap {
  log: string;
  tmp: string;
}

interface RecordedSwap {
  /** The temp file's name in the store directory. */
  tmp: string;
  /** Its inode, decimal (exact beyond 2^53). */
  ino: string;
}

/** Recorded swaps by log name (`items.jsonl`, `events.jsonl`). */
export type SwapRecord = Record<string, RecordedSwap>;

const MAX_RECORD_BYTES = 1024;
const TMP_NAME = /^[a-z]+\.jsonl\.tmp-[0-9a-f]{16}$/;

const inodeOf = (path: string): string | null => {
  try {
    return lstatSync(path, { bigint: true }).ino.toString();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
};

/** The record in `dir`: null when there is none, "malformed" when it is not one of ours. */
export function readSwapRecord(dir: string, logNames: readonly string[], open: (path: string) => number | null = openForRead): SwapRecord | "malformed" | null {
  const file = readRecordFile(join(dir, SWAP_FILE), MAX_RECORD_BYTES, open);
  if (file === null || file === "malformed") return file;
  const json = file.json;
  if (json === null || typeof json !== "object" || Array.isArray(json)) return "malformed";
  const record: SwapRecord = Object.create(null) as SwapRecord;
  for (const [log, value] of Object.entries(json as Record<string, unknown>)) {
    const swap = value as Partial<RecordedSwap> | null;
    if (!logNames.includes(log) || swap === null || typeof swap !== "object") return "malformed";
    if (typeof swap.tmp !== "string" || !TMP_NAME.test(swap.tmp) || !swap.tmp.startsWith(`${log}${TMP_MARK}`)) return "malformed";
    if (typeof swap.ino !== "string" || !/^[0-9]{1,20}$/.test(swap.ino)) return "malformed";
    record[log] = { tmp: swap.tmp, ino: swap.ino };
  }
  return Object.keys(record).length > 0 ? record : "malformed";
}

/** The same record (or none) on both looks: nothing swapped or recorded in between. */
export const sameSwapRecord = (a: SwapRecord | "malformed" | null, b: SwapRecord | "malformed" | null) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Where to read each log (`paths`, by full path) given the record seen: as named, unless a swap is
 * half done, then each log not yet replaced from its temp file.
 */
export function pathsToRead(dir: string, record: SwapRecord | "malformed" | null, paths: readonly string[]): string[] {
  if (record === null || record === "malformed") return [...paths];
  const recorded = paths.map((path) => ({ path, swap: record[basename(path)] }));
  const replaced = recorded.some(({ path, swap }) => swap !== undefined && inodeOf(path) === swap.ino);
  if (!replaced) return [...paths];
  return recorded.map(({ path, swap }) => {
    if (swap === undefined || inodeOf(path) === swap.ino) return path;
    const tmp = join(dir, swap.tmp);
    return inodeOf(tmp) === swap.ino ? tmp : path;
  });
}

/**
 * Under the lock: replaces each log by its temp file (complete and fsync'd by the caller), in the
 * given order, as one step for readers and across a crash.
 */
export function swapLogs(dir: string, swaps: readonly Swap[]): void {
  if (swaps.length === 0) return;
  const record: SwapRecord = {};
  for (const { log, tmp } of swaps) record[basename(log)] = { tmp: basename(tmp), ino: inodeOf(tmp) ?? "0" };
  writeRecordFile(join(dir, SWAP_FILE), record);
  for (const { log, tmp } of swaps) {
    renameSync(tmp, log);
    fsyncDir(dir);
  }
  removeRecordFile(join(dir, SWAP_FILE));
}

/**
 * Under the lock, before anything else is read or written: a record left behind is a compaction
 * that died between its renames (or before them). Its temp files are whole, so the renames are
 * finished. A record that is not ours is removed with a warning and changes no log.
 */
export function finishInterruptedSwap(dir: string, logs: readonly string[], warn: (m: string) => void): void {
  const record = readSwapRecord(dir, logs.map((log) => basename(log)));
  if (record === null) return;
  if (record === "malformed") {
    warn(`${join(dir, SWAP_FILE)}: not a compaction record of backlog; removed without changing the logs`);
    removeRecordFile(join(dir, SWAP_FILE));
    return;
  }
  const finished: string[] = [];
  for (const log of logs) {
    const swap = record[basename(log)];
    if (swap === undefined || inodeOf(log) === swap.ino) continue;
    const tmp = join(dir, swap.tmp);
    if (inodeOf(tmp) !== swap.ino) continue;
    renameSync(tmp, log);
    fsyncDir(dir);
    finished.push(log);
  }
  if (finished.length > 0) {
    warn(`a cleanup that was interrupted before it replaced ${finished.join(" and ")} with the compacted copy was completed`);
  }
  removeRecordFile(join(dir, SWAP_FILE));
}

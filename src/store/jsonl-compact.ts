/**
 * Compaction of a JSONL store (`cleanup`), run under the store lock: each log is streamed into a
 * tmp file in the same directory, fsync'd, and renamed over the log, then the directory fsync'd.
 * A killed compaction leaves the old log whole and a tmp file the next one removes. Unreadable
 * lines are kept aside in quarantine, never dropped.
 */
import { closeSync, existsSync, fchmodSync, fchownSync, fsyncSync, lstatSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CLOSED_STATUSES, normalizeStoredEvent, normalizeStoredItem } from "../domain/item.js";
import { createTmpFile, fsyncDir, TMP_MARK, isBlank, openForRead, quarantine, type QuarantineRecord, readAt, scanFd, scanLines, tryParse } from "./jsonl-file.js";
import type { CleanupReport } from "./types.js";
import { storageUnavailable } from "../errors.js";


export interface CompactionTarget {
  dir: string;
  itemsPath: string;
  eventsPath: string;
  /** When, for quarantine records. */
  now: string;
}


/**
 * Tmp files of the logs exist only while a compaction holds the lock: any found under the lock
 * are dead. Those of saved indexes belong to readers killed mid-save.
 */
export function removeStaleTmpFiles(dir: string, logNames: readonly string[]): void {
  for (const name of readdirSync(dir)) {
    const log = name.replace(/^\./, "");
    if (name.includes(TMP_MARK) && logNames.some((l) => log.startsWith(l))) unlinkSync(join(dir, name));
  }
}

/**
 * Removes done/canceled items last updated before `cutoff` and their events, and leaves one line
 * per item; with `write` false, only reports what it would do. Events go first: a crash between
 * the two renames leaves expired items whose events are gone (the next cleanup deletes them),
 * never orphaned events.
 */
export function compactLogs(target: CompactionTarget, cutoff: string, write: boolean): CleanupReport {
  const fd = openForRead(target.itemsPath);
  try {
    return compactFrom(target, fd, cutoff, write);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Memory holds where each live item's latest line is, not the line: it grows with the number of
 * items, not with the bytes of the log. The lines are copied by offset from the same open file.
 */
function compactFrom(target: CompactionTarget, fd: number | null, cutoff: string, write: boolean): CleanupReport {
  const latest = new Map<string, { off: number; len: number; expired: boolean }>();
  const itemsBad: QuarantineRecord[] = [];
  const visit = (line: string, lineNo: number, off: number, len: number) => {
    if (isBlank(line)) return;
    const item = normalizeStoredItem(tryParse(line));
    if (!item) {
      itemsBad.push({ reason: "unparseable", line: lineNo, offset: off, raw: line });
      return;
    }
    latest.set(item.id, { off, len, expired: CLOSED_STATUSES.has(item.status) && item.updated_at < cutoff });
  };
  const itemScan = fd === null ? { lines: 0, bytes: 0, tornTail: null } : scanFd(fd, visit);
  if (itemScan.tornTail) itemsBad.push({ reason: "torn_write", line: null, offset: itemScan.tornTail.offset, raw: itemScan.tornTail.text });
  const expired = new Set<string>();
  for (const [id, entry] of latest) if (entry.expired) expired.add(id);

  const events = rewriteLog(target, target.eventsPath, write, (line) => {
    const event = normalizeStoredEvent(tryParse(line));
    if (!event) return "bad";
    return expired.has(event.item_id) ? "drop" : event.id;
  });

  let bytesAfter = 0;
  const kept: Array<{ off: number; len: number }> = [];
  for (const entry of latest.values()) {
    if (entry.expired) continue;
    kept.push(entry);
    bytesAfter += entry.len + 1;
  }
  if (write && fd !== null) {
    quarantine(target.itemsPath, itemsBad, target.now);
    replaceLog(target.dir, target.itemsPath, fd, kept);
  }
  return {
    deleted: expired.size,
    events_deleted: events.dropped,
    lines_before: itemScan.lines + (itemScan.tornTail ? 1 : 0),
    lines_after: kept.length,
    bytes_before: itemScan.bytes,
    bytes_after: bytesAfter,
    quarantined: itemsBad.length + events.quarantined,
  };
}

/**
 * Streams a log into its compacted form. `classify` returns a key (kept once: last-write-wins
 * on identical ids), "drop", or "bad" (kept aside in quarantine).
 */
function rewriteLog(target: CompactionTarget, path: string, write: boolean, classify: (line: string) => string): { dropped: number; quarantined: number } {
  const created = write && existsSync(path) ? createLike(path) : null;
  const out = created?.fd ?? null;
  const tmp = created?.tmp ?? "";
  const bad: QuarantineRecord[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  let pending: string[] = [];
  const flush = () => {
    if (out !== null && pending.length > 0) writeSync(out, `${pending.join("\n")}\n`);
    pending = [];
  };
  try {
    const scan = scanLines(path, (line, lineNo) => {
      if (isBlank(line)) return;
      const key = classify(line);
      if (key === "bad") bad.push({ reason: "unparseable", line: lineNo, offset: null, raw: line });
      else if (key === "drop") dropped += 1;
      else if (!seen.has(key)) {
        seen.add(key);
        pending.push(line);
        if (pending.length >= 4096) flush();
      }
    });
    if (scan.tornTail) bad.push({ reason: "torn_write", line: null, offset: scan.tornTail.offset, raw: scan.tornTail.text });
    flush();
    if (out !== null) fsyncSync(out);
  } catch (error) {
    if (out !== null) rmSync(tmp, { force: true });
    throw error;
  } finally {
    if (out !== null) closeSync(out);
  }
  if (out !== null) {
    quarantine(path, bad, target.now);
    renameSync(tmp, path);
    fsyncDir(target.dir);
  }
  return { dropped, quarantined: bad.length };
}

/**
 * The temp file that will replace `path`, with its mode and group: a store shared by a group (people
 * and cron) stays writable by that group after compaction. When the group cannot be kept (this user
 * is not in it), nothing is written: exit 6 naming the fix.
 */
function createLike(path: string): { tmp: string; fd: number } {
  const original = lstatSync(path);
  const { tmp, fd } = createTmpFile(path, 0o600);
  try {
    fchmodSync(fd, original.mode & 0o7777);
    const uid = process.getuid?.() ?? original.uid;
    fchownSync(fd, uid === 0 ? original.uid : uid, original.gid);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw storageUnavailable(
      `cannot keep the mode and group of ${path} (group id ${original.gid}) for its compacted copy: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      "Run cleanup as a member of the store's group (the runbook's \"Shared store\" section), e.g. as the cron user; nothing was changed.",
      "store_permissions",
    );
  }
  return { tmp, fd };
}

/** Writes the lines at `kept` of `source` to a tmp file, fsyncs it, and renames it over `path`. */
function replaceLog(dir: string, path: string, source: number, kept: ReadonlyArray<{ off: number; len: number }>): void {
  const { tmp, fd } = createLike(path);
  try {
    let batch: string[] = [];
    let size = 0;
    for (const { off, len } of kept) {
      batch.push(readAt(source, off, len));
      size += len + 1;
      if (size >= 4 << 20) {
        writeSync(fd, `${batch.join("\n")}\n`);
        batch = [];
        size = 0;
      }
    }
    if (batch.length > 0) writeSync(fd, `${batch.join("\n")}\n`);
    fsyncSync(fd);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

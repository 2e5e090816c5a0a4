/**
 * Compaction of a JSONL store (`cleanup`), run under the store lock: each log is streamed into a
 * tmp file in the same directory and fsync'd, then both tmp files replace the logs as one step
 * (jsonl-swap.ts: a reader never pairs new items with old events, even across a crash). A killed
 * compaction leaves the old logs whole, or a record the next writer uses to finish the renames.
 * Unreadable lines are kept aside in quarantine, never dropped.
 */
import { closeSync, fchmodSync, fchownSync, fsyncSync, lstatSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CLOSED_STATUSES, normalizeStoredEvent, storedItemScalars } from "../domain/item.js";
import { createTmpFile, TMP_MARK, isBlank, quarantine, type QuarantineRecord, readFully, scanFd, tryParse } from "./jsonl-file.js";
import type { CommittedView } from "./jsonl-commit.js";
import { type Swap, swapLogs } from "./jsonl-swap.js";
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
 * (after an interrupted compaction was finished) are dead. Those of saved indexes belong to
 * readers killed mid-save.
 */
export function removeStaleTmpFiles(dir: string, logNames: readonly string[]): void {
  for (const name of readdirSync(dir)) {
    const log = name.replace(/^\./, "");
    // A reader saving an index renames its tmp file into place without the lock: gone by now is fine.
    if (name.includes(TMP_MARK) && logNames.some((l) => log.startsWith(l))) rmSync(join(dir, name), { force: true });
  }
}

/** What the copy of the kept item lines reads and writes at a time. */
const COPY_BYTES = 4 << 20;

/** A compacted copy on disk, not yet in place, and what went to quarantine. */
interface Prepared {
  swap: Swap | null;
  bad: QuarantineRecord[];
}

/**
 * Removes done/canceled items last updated before `cutoff` and their events, and leaves one line
 * per item; with `write` false, only reports what it would do. Reads the committed state of
 * `view` (never a write in flight). Both copies are written and fsync'd before either replaces
 * its log; a failure before then removes them and changes nothing.
 */
export function compactLogs(target: CompactionTarget, view: CommittedView, cutoff: string, write: boolean): CleanupReport {
  const prepared: Prepared[] = [];
  try {
    const report = compactFrom(target, view, cutoff, write, prepared);
    if (write) {
      for (const [path, p] of [[target.eventsPath, prepared[0]], [target.itemsPath, prepared[1]]] as const) quarantine(path, p.bad, target.now);
      // Items first: were the order ever seen half done without the record, the new items would
      // come with extra events of removed items, never with items missing their events.
      swapLogs(target.dir, [prepared[1].swap, prepared[0].swap].filter((s): s is Swap => s !== null));
    }
    return report;
  } catch (error) {
    for (const p of prepared) if (p.swap !== null) rmSync(p.swap.tmp, { force: true });
    throw error;
  }
}

/**
 * Memory holds where each live item's latest line is, not the line: it grows with the number of
 * items, not with the bytes of the log. The lines are copied by offset from the same open file.
 */
function compactFrom(target: CompactionTarget, view: CommittedView, cutoff: string, write: boolean, prepared: Prepared[]): CleanupReport {
  const fd = view.items;
  const latest = new Map<string, { off: number; len: number; expired: boolean }>();
  const itemsBad: QuarantineRecord[] = [];
  const visit = (line: string, lineNo: number, off: number, len: number) => {
    if (isBlank(line)) return;
    // The scalars, as the items index reads them: a line is readable exactly when a full read of it is.
    const item = storedItemScalars(tryParse(line));
    if (!item) {
      itemsBad.push({ reason: "unparseable", line: lineNo, offset: off, raw: line });
      return;
    }
    const expired = CLOSED_STATUSES.has(item.status) && item.updated_at < cutoff;
    const known = latest.get(item.id);
    // A newer version: its entry updated in place (most lines of a long log are these).
    if (known === undefined) latest.set(item.id, { off, len, expired });
    else {
      known.off = off;
      known.len = len;
      known.expired = expired;
    }
  };
  const itemScan = fd === null ? { lines: 0, bytes: 0, tornTail: null } : scanFd(fd, visit, 0, 0, view.itemsEnd);
  if (itemScan.tornTail) itemsBad.push({ reason: "torn_write", line: null, offset: itemScan.tornTail.offset, raw: itemScan.tornTail.text });
  const expired = new Set<string>();
  for (const [id, entry] of latest) if (entry.expired) expired.add(id);

  const events = rewriteLog(target.eventsPath, view.events, view.eventsEnd, write, prepared, (line) => {
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
  prepared.push({ swap: write && fd !== null ? copyLines(target.itemsPath, fd, kept) : null, bad: itemsBad });
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
 * Streams a log (open as `fd`, committed up to `end`) into its compacted form in a temp file.
 * `classify` returns a key (kept once: last-write-wins on identical ids), "drop", or "bad" (kept
 * aside in quarantine).
 */
function rewriteLog(path: string, fd: number | null, end: number, write: boolean, prepared: Prepared[], classify: (line: string) => string): { dropped: number; quarantined: number } {
  const created = write && fd !== null ? createLike(path) : null;
  const entry: Prepared = { swap: created === null ? null : { log: path, tmp: created.tmp }, bad: [] };
  prepared.push(entry);
  const out = created?.fd ?? null;
  const seen = new Set<string>();
  let dropped = 0;
  let pending: string[] = [];
  const flush = () => {
    if (out !== null && pending.length > 0) writeSync(out, `${pending.join("\n")}\n`);
    pending = [];
  };
  try {
    if (fd === null) return { dropped, quarantined: 0 };
    const scan = scanFd(fd, (line, lineNo) => {
      if (isBlank(line)) return;
      const key = classify(line);
      if (key === "bad") entry.bad.push({ reason: "unparseable", line: lineNo, offset: null, raw: line });
      else if (key === "drop") dropped += 1;
      else if (!seen.has(key)) {
        seen.add(key);
        pending.push(line);
        if (pending.length >= 4096) flush();
      }
    }, 0, 0, end);
    if (scan.tornTail) entry.bad.push({ reason: "torn_write", line: null, offset: scan.tornTail.offset, raw: scan.tornTail.text });
    flush();
    if (out !== null) fsyncSync(out);
  } finally {
    if (out !== null) closeSync(out);
  }
  return { dropped, quarantined: entry.bad.length };
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

/**
 * Writes the lines at `kept` of `source` to a temp file beside `path`, fsync'd: its replacement.
 * Bytes are copied as they are, through one buffer (no line is decoded to be written again).
 */
function copyLines(path: string, source: number, kept: ReadonlyArray<{ off: number; len: number }>): Swap {
  const { tmp, fd } = createLike(path);
  try {
    let buffer = Buffer.allocUnsafe(COPY_BYTES);
    let used = 0;
    const flush = () => {
      for (let done = 0; done < used; ) done += writeSync(fd, buffer, done, used - done);
      used = 0;
    };
    for (const { off, len } of kept) {
      if (used + len + 1 > buffer.length) flush();
      // A line longer than the buffer gets a buffer of its own size.
      if (len + 1 > buffer.length) buffer = Buffer.allocUnsafe(len + 1);
      if (readFully(source, buffer.subarray(used, used + len), off) !== len) throw new Error(`${path} ended before a line it indexed`);
      used += len;
      buffer[used++] = 0x0a;
    }
    flush();
    fsyncSync(fd);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  } finally {
    closeSync(fd);
  }
  return { log: path, tmp };
}

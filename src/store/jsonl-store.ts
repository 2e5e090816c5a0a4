/**
 * The default backend: `items.jsonl` and `events.jsonl` in a data directory, append-only and
 * last-write-wins. Reads take no lock; every write holds the directory lock for its whole
 * read-check-append; `cleanup` compacts under the same lock by tmp file, fsync and rename.
 */
import { existsSync, readdirSync, renameSync, unlinkSync, closeSync, openSync, fsyncSync, writeSync } from "node:fs";
import { join } from "node:path";
import { aggregateDashboard, type Dashboard } from "../domain/dashboard.js";
import {
  type BacklogEvent,
  type BacklogItem,
  canonicalItem,
  CLOSED_STATUSES,
  normalizeStoredEvent,
  normalizeStoredItem,
} from "../domain/item.js";
import { compareByCreation, type ItemFilter, type Page, type QueryResult, queryItems } from "../domain/query.js";
import { storageUnavailable } from "../errors.js";
import { BufferedTx, mapSource } from "./buffered-tx.js";
import { appendLines, fsyncDir, quarantine, type QuarantineRecord, scanLines } from "./jsonl-file.js";
import { acquireDirLock, DEFAULT_LOCK_TIMEOUT_MS } from "./lock.js";
import type { CleanupOptions, CleanupReport, MigrationReport, Store, StoreDump, Warn, WriteOptions, WriteTx } from "./types.js";

export const ITEMS_FILE = "items.jsonl";
export const EVENTS_FILE = "events.jsonl";
const TMP_MARK = ".tmp-";
const MAX_WARNINGS = 5;

export interface JsonlStoreOptions {
  dir: string;
  warn: Warn;
  lockTimeoutMs?: number;
  /** The clock, for quarantine records. */
  now: () => Date;
}

function tryParse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

const isBlank = (line: string) => line.trim() === "";

export class JsonlStore implements Store {
  readonly backend = "jsonl";
  readonly itemsPath: string;
  readonly eventsPath: string;

  constructor(private readonly options: JsonlStoreOptions) {
    this.itemsPath = join(options.dir, ITEMS_FILE);
    this.eventsPath = join(options.dir, EVENTS_FILE);
  }

  async listItems(filter: ItemFilter, page: Page): Promise<QueryResult> {
    return queryItems(this.readItems().values(), filter, page);
  }

  async getItem(id: string): Promise<BacklogItem | null> {
    return this.readItems().get(id) ?? null;
  }

  async listEvents(itemId: string): Promise<BacklogEvent[]> {
    const events: BacklogEvent[] = [];
    const seen = new Set<string>();
    this.scan(this.eventsPath, (line) => {
      // Cheap pre-filter: most lines belong to other items and need no parse.
      if (!line.includes(itemId)) return true;
      const event = normalizeStoredEvent(tryParse(line));
      if (!event) return false;
      if (event.item_id === itemId && !seen.has(event.id)) {
        seen.add(event.id);
        events.push(event);
      }
      return true;
    });
    // Appended in time order; the stable sort only matters for files merged by hand.
    return events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  }

  async dashboard(env: string, today: string, categories: readonly string[]): Promise<Dashboard> {
    return aggregateDashboard(this.readItems().values(), env, today, categories);
  }

  async write<T>(fn: (tx: WriteTx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    if (options.dryRun) return fn(this.transaction());
    if (!existsSync(this.options.dir)) {
      // A first command that fails (unknown id, bad input) must not even create the directory.
      await fn(new BufferedTx(mapSource(new Map(), () => [])));
    }
    const lock = await acquireDirLock(this.options.dir, this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      const tx = this.transaction();
      const result = await fn(tx);
      if (!tx.isEmpty) this.append(tx);
      return result;
    } finally {
      lock.release();
    }
  }

  async cleanup({ cutoff, dryRun }: CleanupOptions): Promise<CleanupReport> {
    if (dryRun) return this.compact(cutoff, false);
    const lock = await acquireDirLock(this.options.dir, this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      this.removeStaleTmpFiles();
      return this.compact(cutoff, true);
    } catch (error) {
      if (error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("E")) {
        throw storageUnavailable(
          `compaction of ${this.options.dir} failed: ${error.message}`,
          "Nothing was lost: the files are replaced only once their compacted copy is on disk. Fix the cause (space, permissions) and run cleanup again.",
        );
      }
      throw error;
    } finally {
      lock.release();
    }
  }

  async migrate(): Promise<MigrationReport> {
    return { applied: [], version: null, sql: "" };
  }

  async dump(): Promise<StoreDump> {
    return { items: [...this.readItems().values()].sort(compareByCreation), events: this.readEvents() };
  }

  async close(): Promise<void> {}

  private transaction(): BufferedTx {
    // Events are read only if the transaction asks for them (imports do).
    return new BufferedTx(mapSource(this.readItems(), () => this.readEvents()));
  }

  /** Every event in file order, once per id. */
  private readEvents(): BacklogEvent[] {
    const events: BacklogEvent[] = [];
    const seen = new Set<string>();
    this.scan(this.eventsPath, (line) => {
      const event = normalizeStoredEvent(tryParse(line));
      if (!event) return false;
      if (!seen.has(event.id)) {
        seen.add(event.id);
        events.push(event);
      }
      return true;
    });
    return events;
  }

  /** Latest version of every item, keyed by id, in order of first appearance. */
  readItems(): Map<string, BacklogItem> {
    const items = new Map<string, BacklogItem>();
    this.scan(this.itemsPath, (line) => {
      const item = normalizeStoredItem(tryParse(line));
      if (!item) return false;
      items.set(item.id, item);
      return true;
    });
    return items;
  }

  /** Visits complete lines; `visit` returns false for an unreadable line, which is reported. */
  private scan(path: string, visit: (line: string) => boolean): void {
    const bad: number[] = [];
    try {
      scanLines(path, (line, lineNo) => {
        if (!isBlank(line) && !visit(line)) bad.push(lineNo);
      });
    } catch (error) {
      throw storageUnavailable(
        `cannot read ${path}: ${(error as Error).message}`,
        "Check the data directory (--dir or $BACKLOG_DIR) and its permissions.",
      );
    }
    for (const lineNo of bad.slice(0, MAX_WARNINGS)) {
      this.options.warn(`${path}:${lineNo}: unreadable line skipped; \`backlog cleanup\` moves it to ${path}.quarantine`);
    }
    if (bad.length > MAX_WARNINGS) this.options.warn(`${path}: ${bad.length - MAX_WARNINGS} more unreadable lines skipped`);
  }

  private append(tx: BufferedTx): void {
    const now = this.options.now().toISOString();
    try {
      appendLines(this.itemsPath, tx.items.map((item) => JSON.stringify(canonicalItem(item))), now);
      appendLines(this.eventsPath, tx.events.map((event) => JSON.stringify(event)), now);
    } catch (error) {
      throw storageUnavailable(
        `cannot write to ${this.options.dir}: ${(error as Error).message}`,
        "Check free disk space and that the data directory is writable by this user.",
      );
    }
  }

  /** Tmp files exist only while a compaction holds the lock: any found under the lock are dead. */
  private removeStaleTmpFiles(): void {
    for (const name of readdirSync(this.options.dir)) {
      if (name.startsWith(`${ITEMS_FILE}${TMP_MARK}`) || name.startsWith(`${EVENTS_FILE}${TMP_MARK}`)) {
        unlinkSync(join(this.options.dir, name));
      }
    }
  }

  /**
   * Events go first: a crash between the two renames then leaves expired items whose events are
   * gone (the next cleanup deletes them), never orphaned events.
   */
  private compact(cutoff: string, write: boolean): CleanupReport {
    const latest = new Map<string, { line: string; expired: boolean }>();
    const itemsBad: QuarantineRecord[] = [];
    const itemScan = scanLines(this.itemsPath, (line, lineNo) => {
      if (isBlank(line)) return;
      const item = normalizeStoredItem(tryParse(line));
      if (!item) {
        itemsBad.push({ reason: "unparseable", line: lineNo, offset: null, raw: line });
        return;
      }
      latest.set(item.id, { line, expired: CLOSED_STATUSES.has(item.status) && item.updated_at < cutoff });
    });
    if (itemScan.tornTail) itemsBad.push({ reason: "torn_write", line: null, offset: itemScan.tornTail.offset, raw: itemScan.tornTail.text });
    const expired = new Set<string>();
    for (const [id, entry] of latest) if (entry.expired) expired.add(id);

    const now = this.options.now().toISOString();
    const events = this.rewrite(this.eventsPath, write, now, (line) => {
      const event = normalizeStoredEvent(tryParse(line));
      if (!event) return "bad";
      return expired.has(event.item_id) ? "drop" : event.id;
    });

    let bytesAfter = 0;
    let linesAfter = 0;
    const keptLines: string[] = [];
    for (const [, entry] of latest) {
      if (entry.expired) continue;
      keptLines.push(entry.line);
      bytesAfter += Buffer.byteLength(entry.line) + 1;
      linesAfter += 1;
    }
    if (write) {
      quarantine(this.itemsPath, itemsBad, now);
      this.replaceFile(this.itemsPath, keptLines);
    }
    return {
      deleted: expired.size,
      events_deleted: events.dropped,
      lines_before: itemScan.lines + (itemScan.tornTail ? 1 : 0),
      lines_after: linesAfter,
      bytes_before: itemScan.bytes,
      bytes_after: bytesAfter,
      quarantined: itemsBad.length + events.quarantined,
    };
  }

  /**
   * Streams a log into its compacted form. `classify` returns a key (kept once: last-write-wins
   * on identical ids), "drop", or "bad" (kept aside in quarantine).
   */
  private rewrite(path: string, write: boolean, now: string, classify: (line: string) => string): { dropped: number; quarantined: number } {
    const tmp = `${path}${TMP_MARK}${process.pid}`;
    const fd = write && existsSync(path) ? openSync(tmp, "w") : null;
    const bad: QuarantineRecord[] = [];
    const seen = new Set<string>();
    let dropped = 0;
    let pending: string[] = [];
    const flush = () => {
      if (fd !== null && pending.length > 0) writeSync(fd, `${pending.join("\n")}\n`);
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
      if (fd !== null) {
        fsyncSync(fd);
        closeSync(fd);
        quarantine(path, bad, now);
        renameSync(tmp, path);
        fsyncDir(this.options.dir);
      }
    } catch (error) {
      if (fd !== null) {
        try {
          closeSync(fd);
        } catch {
          // already closed after fsync
        }
      }
      throw error;
    }
    return { dropped, quarantined: bad.length };
  }

  private replaceFile(path: string, lines: readonly string[]): void {
    if (!existsSync(path)) return;
    const tmp = `${path}${TMP_MARK}${process.pid}`;
    const fd = openSync(tmp, "w");
    try {
      for (let i = 0; i < lines.length; i += 4096) writeSync(fd, `${lines.slice(i, i + 4096).join("\n")}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(this.options.dir);
  }
}

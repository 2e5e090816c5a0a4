/**
 * The default backend: `items.jsonl` and `events.jsonl` in a data directory, append-only and
 * last-write-wins. Reads take no lock; every write holds the directory lock for its whole
 * read-check-append; `cleanup` compacts under the same lock by tmp file, fsync and rename.
 */
import { type BigIntStats, closeSync, existsSync, fstatSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { aggregateDashboard, type Dashboard } from "../domain/dashboard.js";
import {
  type BacklogEvent,
  type BacklogItem,
  canonicalItem,
  isClosed,
  normalizeStoredEvent,
  normalizeStoredItem,
  type StoredValueNote,
} from "../domain/item.js";
import { compareByCreation, type ItemFilter, linePrefilter, needsFullItem, type Page, type QueryResult, queryItems } from "../domain/query.js";
import { type LogEvent, type LogQuery, NewestEvents, wantsEvent } from "../domain/event-log.js";
import { aggregateReport, closedAt, type HistoryRow, mayChangeStatus, type Report, type ReportFrame } from "../domain/report.js";
import { BacklogError, storageUnavailable } from "../errors.js";
import { BufferedTx, emptySource, isActiveGenerated, type ItemSource, mapSource } from "./buffered-tx.js";
import { compactLogs, removeStaleTmpFiles } from "./jsonl-compact.js";
import { beginCommit, type CommitRecord, type CommittedView, endCommit, openCommitted, recoverUnfinishedCommit } from "./jsonl-commit.js";
import { finishInterruptedSwap } from "./jsonl-swap.js";
import { findEvents, findItem } from "./jsonl-find.js";
import { type Appender, cutBack, isBlank, openAppender, openForRead, readAt, readManyAt, repairTornTail, scanFd, tryParse } from "./jsonl-file.js";
import { byKeys, collectGarbage, type IndexKind, indexMatchesLog, keepYoungGenerationSmall, letYoungGenerationGrow, type LineNote, type LogHeaderWithCrc, type LogIndex, loadSavedIndex, lookupSaved, NO_PARALLELISM, type PickSaved, provablyUnchanged, type Parallelism, refreshIndex, saveIndex } from "./jsonl-index.js";
import { eventsIndex, type ItemEntry, itemsIndex, itemsWhere, type RowFields } from "./jsonl-indexes.js";
import { saveIdList } from "./jsonl-ids.js";
import { EVENTS_FILE, indexPathOf, ITEMS_FILE } from "./jsonl-paths.js";
import { describesLog } from "./log-identity.js";
import { SeenIds } from "./seen-ids.js";
import { queryWithTexts, TextIndex } from "./jsonl-text.js";
import { acquireDirLock, DEFAULT_LOCK_TIMEOUT_MS, LOCK_FILE } from "./lock.js";
import type { CleanupOptions, CleanupReport, ImportSink, ImportSource, MigrationReport, Store, StoreDump, UnreadableLines, Warn, WriteOptions, WriteTx } from "./types.js";

export { EVENTS_FILE, indexPathOf, ITEMS_FILE } from "./jsonl-paths.js";
const MAX_WARNINGS = 5;

const FOR_WRITING = true;

export interface JsonlStoreOptions {
  dir: string;
  warn: Warn;
  lockTimeoutMs?: number;
  /** The clock, for quarantine records. */
  now: () => Date;
  /** Load and save indexes beside the logs (default true); in-memory indexing is always on. */
  savedIndexes?: boolean;
  /** Two-thread indexing of large logs (off by default: needs the built worker). */
  parallelism?: Parallelism;
}


const readFailed = (path: string, error: unknown) =>
  storageUnavailable(`cannot read ${path}: ${(error as Error).message}`, "Check the data directory (--dir or $BACKLOG_DIR) and its permissions.");

/** The full item an index entry points to, read from the same open file the index describes. */
function hydrate(fd: number, entry: ItemEntry, path: string, line = readAt(fd, entry.off, entry.len)): BacklogItem {
  const item = normalizeStoredItem(tryParse(line));
  if (!item || item.id !== entry.id) {
    throw storageUnavailable(`${path} changed while it was read (item ${entry.id})`, "Run the command again.");
  }
  return item;
}

/** What an index covers of which file: equal versions describe the same bytes. */
const indexVersion = (index: LogIndex<unknown>) =>
  `${index.identity.dev}:${index.identity.ino}:${index.identity.birth}:${index.identity.size}:${index.identity.mtime}:${index.covered}`;

/** A value read from a log, with what tells whether it is still the latest (an offset, a count). */
interface Cached<V> {
  count: number;
  value: V;
}

/** Items and timelines kept by a long-lived process: enough for the hot ones, bounded in memory. */
const MAX_CACHED = 4096;
function remember<V>(cache: Map<string, Cached<V>>, id: string, value: Cached<V>): void {
  cache.delete(id);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(id, value);
}

/** One log's index: what kind, its log, the index in memory, and whether the saved one was read. */
interface IndexSlot<S> {
  kind: IndexKind<S>;
  path: string;
  index: LogIndex<S> | null;
  savedLoaded: boolean;
  /**
   * Whether the index in memory is known to describe the log byte for byte: built from it by this
   * process, or checked against it. A saved index is not until a writer checks it (see forWriting).
   */
  checked: boolean;
  /** The refresh under way, if any: concurrent requests of one process wait for it, not redo it. */
  pending: Promise<unknown> | null;
  /** Long-lived: the held view the index was last brought up to date from, whole (see keepOpen). */
  freshAt: HeldView | null;
  /** Whether a large log may be indexed by two threads (see the store's `parallelism`). */
  parallel: boolean;
}

/**
 * A long-lived process's open logs (see keepOpen): reused while a stat of both paths shows the
 * same files with the same size, mtime and ctime, and closed once replaced and no read uses them.
 */
interface HeldView {
  view: CommittedView;
  items: Stat;
  events: Stat;
  users: number;
}

/** What the stat of a log says about its bytes; null when there is no such file. */
type Stat = BigIntStats | null;

/**
 * The same file (device, inode), the same size, and no write since: mtime, and ctime, which no
 * one can set back.
 */
const sameBytes = (a: Stat, b: Stat) =>
  a === null || b === null ? a === b : a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

function pathStat(path: string): Stat {
  try {
    return lstatSync(path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * Below this many unsaved bytes an index is not worth rewriting: parsing them is quicker. A small
 * log saves sooner (an eighth of it, at least 64 KiB), or it would be reparsed whole on every read.
 */
const SAVE_AFTER_BYTES = 4 << 20;
const SAVE_AT_LEAST_BYTES = 64 << 10;
const worthSavingAt = (unsaved: number, covered: number) => unsaved > Math.min(SAVE_AFTER_BYTES, Math.max(SAVE_AT_LEAST_BYTES, covered / 8));
const worthSaving = (index: LogIndex<unknown>) => worthSavingAt(index.unsaved, index.covered);
/** A write waiting for its group commit (see commitQueued), and how it ended. */
interface QueuedWrite {
  run: (tx: WriteTx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
/** The most writes one group commit takes: later ones wait for the next. */
const MAX_GROUP = 128;

/** The lock file was deleted or replaced while held: another writer may hold the new one. */
const lockLost = (dir: string) =>
  storageUnavailable(
    `the store lock ${LOCK_FILE} in ${dir} was removed or replaced while this command held it; nothing was written`,
    "Never delete the lock file by hand (the kernel frees it when its holder exits); run the command again.",
    "lock_lost",
  );

/** How many items' events eachItemsEvents reads at a time. */
const EVENTS_BATCH = 500;
/** From this size of events log (a 10k-item store's is about 3 MB), `log` collects garbage around its scan. */
const LARGE_SCAN_BYTES = 8 * 2 ** 20;

/** Where a line is in its log. */
interface LinePosition {
  off: number;
  len: number;
}

/** Remembered answers per index version (list queries, dashboards): a few dozen kinds of question. */
const MAX_ANSWERS = 64;

export class JsonlStore implements Store {
  readonly backend = "jsonl";
  get location(): string {
    return this.options.dir;
  }
  readonly itemsPath: string;
  readonly eventsPath: string;
  private readonly itemsSlot: IndexSlot<Map<string, ItemEntry>>;
  private readonly eventsSlot: IndexSlot<Map<string, number[]>>;
  /** Titles, tags and search texts, built only once a list query needs them (jsonl-text.ts). */
  private readonly texts: TextIndex;
  /** Set by anything that writes or plans writes: such commands never touch the saved indexes. */
  private mutated = false;
  /** Set once a write committed and its index was brought past its own lines: it may save them. */
  private committed = false;
  /** Unreadable lines seen by reads so far, by file. */
  private readonly unreadableCounts = new Map<string, number>();
  /** Answers computed from the items index, valid while it describes the same bytes (see memo()). */
  private answers: { version: string; state: Map<string, ItemEntry>; byQuestion: Map<string, unknown> } | null = null;
  /** See keepOpen. */
  private longLived = false;
  /** While set, indexes are built on this thread alone (see importInOneCommit). */
  private oneThread = false;
  /** Long-lived: items by id with their line offset, timelines by item id with their event count (see full). */
  private readonly items: { state: unknown; byId: Map<string, Cached<BacklogItem>> } = { state: null, byId: new Map() };
  private readonly timelines: { state: unknown; byId: Map<string, Cached<BacklogEvent[]>> } = { state: null, byId: new Map() };
  private held: HeldView | null = null;
  /** The covered length and CRC of the saved items index a writer's lookup found to match the log (see matchesLog). */
  private checkedSaved: string | null = null;
  /** The logs a lookup has read the saved index of (and reported the unreadable lines of). */
  private readonly lookedUp = new Set<string>();
  /** Writes waiting for the group commit in progress, and whether one is (see commitQueued). */
  private readonly queued: QueuedWrite[] = [];
  private committing = false;
  /** Held views replaced while reads still used them: closed by the last one. */
  private readonly retired = new Set<HeldView>();

  constructor(private readonly options: JsonlStoreOptions) {
    this.itemsPath = join(options.dir, ITEMS_FILE);
    this.eventsPath = join(options.dir, EVENTS_FILE);
    // With saved indexes off, they count as already looked at: never read.
    const savedLoaded = options.savedIndexes === false;
    this.itemsSlot = { kind: itemsIndex, path: this.itemsPath, index: null, savedLoaded, checked: false, pending: null, freshAt: null, parallel: true };
    // The events index is read beside the items index, once that is in memory: a worker's heap
    // beside both would set the peak (the first `get` of the 100k-item store, no saved index:
    // 148-155 → 136-142 MB), and it would save some 0.1 s of a 1.6 s command.
    this.eventsSlot = { kind: eventsIndex, path: this.eventsPath, index: null, savedLoaded, checked: false, pending: null, freshAt: null, parallel: false };
    this.texts = new TextIndex(this.itemsPath, options.savedIndexes !== false);
  }

  /**
   * For a long-lived process (serve): the logs stay open between reads, and a read whose stat of
   * both logs shows nothing changed (same files, size, mtime and ctime) reuses them and their
   * indexes without reopening, hashing or parsing anything. Any change, by this process or
   * another (an append, a compaction, an edit in place, a write in flight), is seen by the stat and
   * read as before. Held only while no write is in flight, so an unchanged stat means committed bytes.
   */
  keepOpen(): void {
    this.longLived = true;
    this.texts.longLived = true;
    if (this.options.parallelism) this.options.parallelism = { ...this.options.parallelism, growAfterBuild: true };
  }

  async listItems(filter: ItemFilter, page: Page): Promise<QueryResult> {
    return this.withItems(async (fd, entries, view) => {
      const { items, total } = await this.select(fd, entries, view, filter, page);
      return { items: items.map((e) => ("off" in e ? this.full(fd, e, entries) : e)), total };
    });
  }

  async eachItemPage(filter: ItemFilter, page: Page, size: number, each: (items: BacklogItem[]) => void): Promise<{ total: number; shown: number }> {
    return this.withItems(async (fd, entries, view) => {
      const { items, total } = await this.select(fd, entries, view, filter, page);
      // Read from the file this view holds open: the same snapshot as listItems, page by page.
      for (let from = 0; from < items.length; from += size) each(items.slice(from, from + size).map((e) => ("off" in e ? this.full(fd, e, entries) : e)));
      return { total, shown: items.length };
    });
  }

  /** The entries (or items) of a page of `list`, in order, and how many matched. */
  private async select(fd: number, entries: Map<string, ItemEntry>, view: CommittedView, filter: ItemFilter, page: Page) {
    // Tags, title and description are not in the items index: the text index has them; what it
    // does not have yet is read from the lines the entries' filter kept, with a raw-text test
    // first, so that most lines of a search or tag filter are never parsed.
    const index = this.itemsSlot.index;
    const texts = index?.state === entries && needsFullItem(filter, page) ? await this.texts.current(fd, view.itemsEnd, index, filter, page) : null;
    const mayMatch = linePrefilter(filter);
    const full = (e: ItemEntry) => {
      const line = readAt(fd, e.off, e.len);
      return mayMatch === null || mayMatch(line) ? hydrate(fd, e, this.itemsPath, line) : null;
    };
    const answer = () => (texts && queryWithTexts(texts, entries, filter, page, full)) ?? queryItems(entries.values(), filter, page, full);
    return this.memo(entries, `list\n${JSON.stringify([filter, page])}`, answer);
  }

  async getItem(id: string): Promise<BacklogItem | null> {
    const found = await this.searchBytes((view) => (view.items === null ? null : findItem(view.items, view.itemsEnd, id)));
    if (found !== undefined) return found;
    return this.withItems(
      (fd, entries) => {
        const entry = entries.get(id);
        return entry ? this.full(fd, entry, entries) : null;
      },
      false,
      id,
    );
  }

  async listEvents(itemId: string): Promise<BacklogEvent[]> {
    const found = await this.searchBytes((view) => (view.events === null ? [] : findEvents(view.events, view.eventsEnd, itemId)), this.eventsSlot);
    if (found !== undefined) return found;
    const view = await this.view();
    try {
      return await this.eventsIn(view, itemId);
    } finally {
      this.closeView(view);
    }
  }

  /** An item and its events from one committed state of both logs: one look at the files, not two. */
  async getItemWithEvents(id: string): Promise<{ item: BacklogItem; events: BacklogEvent[] } | null> {
    const found = await this.searchBytes((view) => {
      const item = view.items === null ? null : findItem(view.items, view.itemsEnd, id);
      if (item === undefined || item === null) return item;
      const events = view.events === null ? [] : findEvents(view.events, view.eventsEnd, id);
      return events === undefined ? undefined : { item, events };
    });
    if (found !== undefined) return found;
    return this.withItems(
      async (fd, entries, view) => {
        const entry = entries.get(id);
        return entry ? { item: this.full(fd, entry, entries), events: await this.eventsIn(view, id) } : null;
      },
      false,
      id,
    );
  }

  /**
   * With saved indexes off, a one-command process has no index to ask: one item (or timeline) is
   * found by a byte search of the committed logs (jsonl-find.ts) rather than by indexing them
   * whole. Undefined when that does not apply: the caller reads through the index.
   */
  private async searchBytes<T>(find: (view: CommittedView) => T | undefined, slot: IndexSlot<unknown> = this.itemsSlot): Promise<T | undefined> {
    if (this.options.savedIndexes !== false || this.longLived || slot.index !== null) return undefined;
    const view = await this.view();
    try {
      return find(view);
    } catch (error) {
      if (error instanceof BacklogError) throw error;
      throw readFailed(this.options.dir, error);
    } finally {
      this.closeView(view);
    }
  }

  /** The item's events in `view`, read at the offsets of the events index. */
  private async eventsIn(view: CommittedView, itemId: string): Promise<BacklogEvent[]> {
    const fd = view.events;
    if (fd === null) return [];
    const state = this.lookUp(this.eventsSlot, fd, view.eventsEnd, byKeys(eventsIndex, [itemId])) ?? (await this.refresh(this.eventsSlot, fd, view.eventsEnd)).state;
    const positions = state.get(itemId) ?? [];
    // Long-lived: a timeline is read again only once the item has more events (or the index was rebuilt).
    const cache = this.longLived ? this.cacheFor(this.timelines, state) : null;
    const known = cache?.get(itemId);
    if (known !== undefined && known.count === positions.length) return known.value;
    const events: BacklogEvent[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < positions.length; i += 2) {
      const event = normalizeStoredEvent(tryParse(readAt(fd, positions[i], positions[i + 1])));
      if (event && event.item_id === itemId && !seen.has(event.id)) {
        seen.add(event.id);
        events.push(event);
      }
    }
    // Appended in time order; the stable sort only matters for files merged by hand.
    events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    if (cache) remember(cache, itemId, { count: positions.length, value: events });
    return events;
  }

  async dashboard(env: string, today: string, categories: readonly string[]): Promise<Dashboard> {
    return this.withItems((fd, entries) => {
      // The same index (same log bytes) and the same question give the same answer: a long-lived
      // process (serve) aggregates again only once the log changed.
      const d = this.memo(entries, `dashboard\n${JSON.stringify([env, today, categories])}`, () => aggregateDashboard(entries.values(), env, today, categories));
      return { ...d, overdue: d.overdue.map((e) => this.full(fd, e, entries)) };
    });
  }

  async report(env: string, frames: readonly ReportFrame[]): Promise<Report> {
    // Items and events from one view of the logs (one open, one consistent pair of ends).
    return this.withItems(async (_fd, all, view) => aggregateReport(await this.history(all, env, view), env, frames));
  }

  /** The history rows of `env`'s items, made one at a time as they are aggregated. */
  private async history(all: Map<string, ItemEntry>, env: string, view: CommittedView): Promise<Iterable<HistoryRow>> {
    // Only closed items need their events, read through the events index, not the whole log;
    // and of their events only when each item was closed is kept.
    const closedOnes: ItemEntry[] = [];
    for (const e of all.values()) if (e.env === env && isClosed(e)) closedOnes.push(e);
    const closed = new Map<string, string | null>();
    if (closedOnes.length > 0) await this.eachItemsEvents(view, closedOnes, (e, events) => closed.set(e.id, closedAt(e, events)), mayChangeStatus);
    return (function* () {
      for (const e of all.values()) {
        if (e.env === env) yield { service: e.service, created_at: e.created_at, due_date: e.due_date, status: e.status, closed_at: closed.get(e.id) ?? closedAt(e, []) };
      }
    })();
  }

  async eventLog(query: LogQuery): Promise<LogEvent[]> {
    const events: LogEvent[] = [];
    await this.eachLogPage(query, Number.POSITIVE_INFINITY, (page) => {
      for (const event of page) events.push(event);
    });
    return events;
  }

  async eachLogPage(query: LogQuery, size: number, each: (events: LogEvent[]) => void): Promise<void> {
    return this.withItems((fd, entries, view) => {
      // A long scan and the pages after it each leave garbage beside the items index: collected
      // before each (`log --since 52w --limit 100000` at 100k items, at the peak: 174 → 122-126 MB
      // as JSON, 194 → 135-140 MB as a table).
      const large = view.eventsEnd >= LARGE_SCAN_BYTES;
      if (large) collectGarbage();
      try {
        const chosen = this.newestInLog(view, entries, query);
        if (large) collectGarbage();
        // The titles of at most MAX_CACHED items are held at a time.
        const titles = new Map<string, string>();
        const titleOf = (itemId: string): string | null => {
          const entry = entries.get(itemId);
          if (entry === undefined) return null;
          let title = titles.get(itemId);
          if (title === undefined) {
            if (titles.size >= MAX_CACHED) titles.clear();
            title = hydrate(fd, entry, this.itemsPath).title;
            titles.set(itemId, title);
          }
          return title;
        };
        for (let from = 0; from < chosen.length; from += size) {
          // A page's lines are mostly near each other (the newest events, at the log's end): read together.
          const lines = readManyAt(view.events as number, chosen.slice(from, from + size).map(({ off, len }) => [off, len] as const));
          each(
            lines.map((line) => {
              const event = normalizeStoredEvent(tryParse(line)) as BacklogEvent;
              return { ...event, item_title: titleOf(event.item_id) };
            }),
          );
        }
      } finally {
        if (large && this.longLived) letYoungGenerationGrow();
      }
    });
  }

  /**
   * Where the lines of the events `query` wants are, newest first. Only the newest `limit` are
   * kept while scanning, each as where its line is (read and parsed again when its page is made).
   * An id met again (a duplicated line) counts once, its first line.
   */
  private newestInLog(view: CommittedView, entries: Map<string, ItemEntry>, query: LogQuery): LinePosition[] {
    const newest = new NewestEvents<LinePosition & { ts: string }>(query.limit);
    const seen = new SeenIds();
    let order = 0;
    this.scan(view, (line, note, off, len) => {
      const event = normalizeStoredEvent(tryParse(line), note);
      if (!event) return false;
      if (wantsEvent(query, event, entries.get(event.item_id)) && seen.first(event.id)) newest.push({ ts: event.ts, off, len }, order);
      order += 1;
      return true;
    });
    return newest.newestFirst();
  }

  /**
   * The events of each of these items in `view`, handed to `each` an item at a time (in order),
   * read at the offsets the events index holds, EVENTS_BATCH items' lines at a time: what `each`
   * does not keep is garbage by the next batch. With `mayMatter`, a line it rejects is not parsed
   * (its event is left out).
   */
  private async eachItemsEvents<E extends { id: string }>(
    view: CommittedView,
    items: readonly E[],
    each: (item: E, events: BacklogEvent[]) => void,
    mayMatter: (line: string) => boolean = () => true,
  ): Promise<void> {
    const fd = view.events;
    const index = fd === null ? null : await this.refresh(this.eventsSlot, fd, view.eventsEnd);
    for (let from = 0; from < items.length; from += EVENTS_BATCH) {
      const batch = items.slice(from, from + EVENTS_BATCH);
      const spans: Array<[number, number]> = [];
      for (const { id } of batch) {
        const positions = index?.state.get(id) ?? [];
        for (let i = 0; i < positions.length; i += 2) spans.push([positions[i], positions[i + 1]]);
      }
      const lines = fd === null ? [] : readManyAt(fd, spans);
      let next = 0;
      for (const item of batch) {
        const events: BacklogEvent[] = [];
        for (let n = (index?.state.get(item.id) ?? []).length / 2; n > 0; n -= 1) {
          const line = lines[next++];
          const event = mayMatter(line) ? normalizeStoredEvent(tryParse(line)) : null;
          if (event && event.item_id === item.id) events.push(event);
        }
        each(item, events);
      }
    }
  }

  async write<T>(fn: (tx: WriteTx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    this.mutated = true;
    if (options.dryRun) return this.withWriterSource((source) => fn(new BufferedTx(source)));
    if (!existsSync(this.options.dir)) {
      // A first command that fails (unknown id, bad input) must not even create the directory.
      await fn(new BufferedTx(emptySource()));
    }
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ run: fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.committing) void this.commitQueued();
    });
  }

  /**
   * Group commit: writes that arrive while another holds the lock (concurrent requests to `serve`)
   * wait, then run one after another under one hold of it and are appended and made durable
   * together: one commit record, one fsync of each log for the whole group. Each runs in its own
   * transaction laid over the group's earlier ones, so it sees their writes, and one that fails
   * leaves nothing. None is answered before the group is durable; if its append fails, all fail.
   * A command makes one write, so its group is itself.
   */
  private async commitQueued(): Promise<void> {
    this.committing = true;
    try {
      while (this.queued.length > 0) {
        // A commit blocks the event loop (its fsyncs are synchronous), so requests pile up behind
        // it: one turn of the loop lets those already received reach write() and join the group.
        await new Promise((resolve) => setImmediate(resolve));
        const group = this.queued.splice(0, MAX_GROUP);
        let outcomes: Outcome[];
        try {
          outcomes = await this.commitGroup(group);
        } catch (error) {
          outcomes = group.map(() => ({ ok: false, error }));
        }
        group.forEach((w, i) => {
          const outcome = outcomes[i];
          if (outcome.ok) w.resolve(outcome.value);
          else w.reject(outcome.error);
        });
      }
    } finally {
      this.committing = false;
    }
  }

  private async commitGroup(group: readonly QueuedWrite[]): Promise<Outcome[]> {
    const lock = await acquireDirLock(this.options.dir, this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      this.recover();
      return await this.withWriterSource(async (source, fd, lazy) => {
        const all = new BufferedTx(source);
        const outcomes: Outcome[] = [];
        for (const w of group) {
          const tx = new BufferedTx(all);
          try {
            const value = await w.run(tx);
            for (const item of tx.items) all.putItem(item);
            for (const event of tx.events) all.addEvent(event);
            outcomes.push({ ok: true, value });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        if (!all.isEmpty) {
          // Someone deleted or replaced the lock file while we held it: another writer may hold
          // the new one, so writing now could interleave with it.
          if (!lock.stillHeld()) throw lockLost(this.options.dir);
          await this.append(all);
          // Only an index in memory is brought past these lines (and may then be saved).
          if (!lazy()) await this.catchUp(fd);
        }
        return outcomes;
      });
    } finally {
      lock.release();
    }
  }

  async importInOneCommit<T>(fn: (stored: ImportSource, sink: ImportSink) => Promise<T>): Promise<T> {
    this.mutated = true;
    const lock = await acquireDirLock(this.options.dir, this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      this.recover();
      // Its indexes are built on this thread alone: a worker's heap beside this one's would set the
      // peak (re-import of 100k items: 148-150 → 137 MB), for no time saved in a 12 s import.
      this.oneThread = true;
      return await this.withWriterSource(async (source) => {
        if (!lock.stillHeld()) throw lockLost(this.options.dir);
        // Readers see none of it before the commit's record is removed; a failure (a conflict found
        // late included), or a kill -9, cuts both logs back to it.
        return this.inOneCommit((sink) => fn(source as ImportSource, sink));
      }, true);
    } finally {
      this.oneThread = false;
      lock.release();
    }
  }

  /**
   * Stored events by id, read through the events index from the items they name; an id stored
   * under another item is then found by a scan of the events log, whose ids are kept in
   * `elsewhere` for the rest of the write: an event is never taken for a new one because the file
   * names another item.
   */
  private async eventsById(view: CommittedView, ids: readonly string[], itemIds: readonly string[], elsewhere: { ids: SeenIds | null }): Promise<Map<string, BacklogEvent>> {
    const wanted = new Set(ids);
    const found = new Map<string, BacklogEvent>();
    if (view.events === null || wanted.size === 0) return found;
    await this.eachItemsEvents(view, [...new Set(itemIds)].map((id) => ({ id })), (_item, events) => {
      for (const event of events) if (wanted.has(event.id) && !found.has(event.id)) found.set(event.id, event);
    });
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    if (elsewhere.ids === null) {
      const all = new SeenIds();
      this.eachEvent(view, (event) => all.first(event.id));
      elsewhere.ids = all;
    }
    const known = elsewhere.ids;
    const stray = new Set(missing.filter((id) => known.has(id)));
    if (stray.size > 0) this.eachEvent(view, (event) => stray.has(event.id) && !found.has(event.id) && found.set(event.id, event));
    return found;
  }

  async cleanup({ cutoff, dryRun }: CleanupOptions): Promise<CleanupReport> {
    this.mutated = true;
    const target = { dir: this.options.dir, itemsPath: this.itemsPath, eventsPath: this.eventsPath, now: this.options.now().toISOString() };
    if (dryRun) return this.compactView((view) => compactLogs(target, view, cutoff, false));
    const lock = await acquireDirLock(this.options.dir, this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      this.recover();
      return await this.compactView((view) => compactLogs(target, view, cutoff, true), () => removeStaleTmpFiles(this.options.dir, [ITEMS_FILE, EVENTS_FILE]));
    } finally {
      lock.release();
    }
  }

  /**
   * Runs a compaction, dry or real, on the committed state of both logs. File-system errors are the
   * storage's (exit 6), not bugs.
   */
  private async compactView(run: (view: CommittedView) => CleanupReport, before?: () => void): Promise<CleanupReport> {
    try {
      before?.();
      const view = await this.view();
      // Every line of both logs is parsed, and each item's entry outlives many collections: V8
      // would grow its young generation to its largest for that (cleanup of the 100k-item store:
      // 142-147 → 108-110 MB at the peak, in the same time).
      keepYoungGenerationSmall();
      try {
        return run(view);
      } finally {
        if (this.longLived) letYoungGenerationGrow();
        this.closeView(view);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code !== "string" || !code.startsWith("E")) throw error;
      throw storageUnavailable(
        `compaction of ${this.options.dir} failed: ${(error as Error).message}`,
        "Nothing was lost: the files are replaced only once their compacted copy is on disk. Fix the cause (space, permissions) and run cleanup again.",
      );
    }
  }

  async migrate(): Promise<MigrationReport> {
    return { applied: [], version: null, sql: "" };
  }

  async dump(): Promise<StoreDump> {
    // Items and events of one committed state: a consistent snapshot while writers run.
    return this.withItems((fd, entries, view) => ({
      items: [...entries.values()].sort(compareByCreation).map((e) => hydrate(fd, e, this.itemsPath)),
      events: this.readEvents(view),
    }));
  }

  async dumpInPages(size: number, each: (page: StoreDump) => void): Promise<{ items: number; events: number }> {
    // The same snapshot as dump, read from the files this view holds open, a page at a time.
    return this.withItems((fd, entries, view) => {
      const order = [...entries.values()].sort(compareByCreation);
      for (let from = 0; from < order.length; from += size) each({ items: order.slice(from, from + size).map((e) => hydrate(fd, e, this.itemsPath)), events: [] });
      let events: BacklogEvent[] = [];
      let count = 0;
      this.eachEvent(view, (event) => {
        events.push(event);
        count += 1;
        if (events.length < size) return;
        each({ items: [], events });
        events = [];
      });
      if (events.length > 0) each({ items: [], events });
      return { items: order.length, events: count };
    });
  }

  /**
   * A successful command leaves its indexes for the next one: a read-only one, or one whose writes
   * committed (its index then covers its own lines too). A failed command, a dry run or a cleanup
   * writes none. Any saved index describes a prefix of some version of the log and is validated
   * when loaded, so concurrent saves (the last rename wins) are harmless.
   */
  async close(outcome: "ok" | "failed" = "ok"): Promise<void> {
    if (this.held !== null) this.retire(this.held);
    if (outcome !== "ok" || (this.mutated && !this.committed) || this.options.savedIndexes === false) return;
    // The events index first, then the text index, each let go of (the store is closing): their
    // memory is garbage by the time the larger items index is encoded.
    this.saveIndexOf(this.eventsSlot);
    this.letGoOf(this.eventsSlot);
    this.texts.saveAndRelease(worthSaving, this.itemsSlot.index?.state);
    const saved = this.saveIndexOf(this.itemsSlot);
    // The ids alone, for shell completion without the index (jsonl-ids.ts).
    if (this.itemsSlot.index) saveIdList(this.itemsPath, this.itemsSlot.index, saved);
  }

  /** Saves the index in memory of `slot` when it is worth saving; whether it was. */
  private saveIndexOf<S>(slot: IndexSlot<S>): boolean {
    if (slot.index === null || !worthSaving(slot.index)) return false;
    saveIndex(slot.kind, indexPathOf(slot.path), slot.index);
    return true;
  }

  /**
   * After this process appended to the items log open as `fd`: its index parses the lines just
   * written (no one else could append: the lock is held), so the next read, or the saved index,
   * need not. If that fails nothing is saved; the write itself stands.
   */
  private async catchUp(fd: number): Promise<void> {
    const slot = this.itemsSlot;
    // The first write of a store had no log to open before it.
    let own: number | null = null;
    try {
      own = fd === -1 ? this.open(this.itemsPath) : fd;
      if (own === null) return;
      // Its unreadable lines, if any, were reported by the read before the write.
      await this.refresh(slot, own, Number.POSITIVE_INFINITY, false);
      this.committed = true;
    } catch {
      slot.index = null;
      slot.checked = false;
      slot.freshAt = null;
    } finally {
      if (own !== null && own !== fd) closeSync(own);
    }
  }

  private open(path: string): number | null {
    try {
      return openForRead(path);
    } catch (error) {
      throw readFailed(path, error);
    }
  }

  /** The index of a log open as `fd`, from memory or the saved file, brought up to date. */
  private async refresh<S>(slot: IndexSlot<S>, fd: number, end: number, report = true): Promise<LogIndex<S>> {
    // One refresh at a time per log: a long-lived process (serve) answering many requests at once
    // would otherwise index the whole log once per request; after the wait only the tail is new.
    while (slot.pending) await slot.pending.catch(() => undefined);
    // Long-lived, and nothing changed since this index was brought up to date from the held view.
    // (Not for a writer catching up on its own lines: it asks past the held end.)
    const held = this.heldOf(fd);
    const whole = held !== null && (fd === held.view.items ? held.view.itemsEnd : held.view.eventsEnd) === end;
    if (whole && slot.index !== null && slot.freshAt === held) return slot.index;
    const work = this.refreshNow(slot, fd, end, report);
    slot.pending = work;
    try {
      const index = await work;
      if (whole && this.heldOf(fd) === held) slot.freshAt = held;
      return index;
    } finally {
      slot.pending = null;
    }
  }

  /** The held view `fd` belongs to, if it is the current one. */
  private heldOf(fd: number): HeldView | null {
    const held = this.held;
    return held !== null && (held.view.items === fd || held.view.events === fd) ? held : null;
  }

  private async refreshNow<S>(slot: IndexSlot<S>, fd: number, end: number, report: boolean): Promise<LogIndex<S>> {
    slot.freshAt = null;
    try {
      if (!slot.savedLoaded && slot.index === null) {
        slot.index = loadSavedIndex(slot.kind, indexPathOf(slot.path), this.longLived, (header) => describesLog(header, fd, end));
        slot.checked = false;
      }
      slot.savedLoaded = true;
      const saved = this.options.savedIndexes !== false;
      const parallelism = this.oneThread || !slot.parallel ? NO_PARALLELISM : (this.options.parallelism ?? NO_PARALLELISM);
      const index = await refreshIndex(slot.kind, fd, slot.index, parallelism, end, saved);
      // Rebuilt from the log (a prior that no longer held, or none): known to match it.
      if (index.unsaved === Number.POSITIVE_INFINITY) slot.checked = true;
      slot.index = index;
      if (report) this.reportBad(slot.path, index.bad, index.notes);
      return index;
    } catch (error) {
      if (error instanceof BacklogError) throw error;
      throw readFailed(slot.path, error);
    }
  }

  /**
   * Runs `fn` with the items log open and indexed up to its committed end; the same file stays
   * open for hydration, and `view` holds the events log of the same committed state. A writer relies on the index for what is NOT there too (no item with this dedupe key): with
   * `forWriting`, an index it did not build is first checked against every byte of the log (one
   * CRC pass, far cheaper than parsing) and rebuilt when the log was edited in place. With `key`,
   * `fn` asks the entries for that id only: they may be its part of the index alone (see lookUp).
   */
  private async withItems<T>(
    fn: (fd: number, entries: Map<string, ItemEntry>, view: CommittedView) => T | Promise<T>,
    forWriting = false,
    key?: string,
  ): Promise<T> {
    const view = await this.view();
    try {
      const fd = view.items;
      if (fd === null) return await fn(-1, new Map(), view);
      const one = key === undefined ? null : this.lookUp(this.itemsSlot, fd, view.itemsEnd, byKeys(itemsIndex, [key]));
      return await fn(fd, one ?? (await this.entriesIn(view, forWriting)), view);
    } finally {
      this.closeView(view);
    }
  }

  /** The whole items index of `view` (see withItems). */
  private async entriesIn(view: CommittedView, forWriting: boolean): Promise<Map<string, ItemEntry>> {
    const fd = view.items;
    if (fd === null) return new Map();
    const slot = this.itemsSlot;
    let index = await this.refresh(slot, fd, view.itemsEnd);
    if (forWriting && !slot.checked) {
      if (!provablyUnchanged(fd, index) && !indexMatchesLog(fd, index)) index = await this.rebuild(slot, fd, view.itemsEnd);
      slot.checked = true;
    }
    return index.state;
  }

  /**
   * A one-command process that asks for some ids reads their part of the saved index only
   * (jsonl-index.ts lookupSaved): not every entry decoded, and nothing kept, so nothing saved. Null
   * when that does not apply (a long-lived process, saved indexes off, an index already in memory,
   * none saved or none usable, or enough appended since it was saved to save it again): the
   * caller reads the whole index.
   */
  private lookUp<S>(slot: IndexSlot<S>, fd: number, end: number, pick: PickSaved<S>, forWriting = false): S | null {
    if (this.longLived || this.options.savedIndexes === false || slot.index !== null || slot.savedLoaded) return null;
    let found: ReturnType<typeof lookupSaved<S>>;
    try {
      const small = (tail: number, covered: number) => !worthSavingAt(tail, covered);
      // A writer checks the saved index against the log first, as it would the whole index (see withItems).
      found = lookupSaved(slot.kind, indexPathOf(slot.path), fd, end, pick, forWriting ? { small, verify: (log, saved) => this.matchesLog(log, saved) } : { small });
    } catch (error) {
      throw readFailed(slot.path, error);
    }
    if (found === null) return null;
    // Reported once per log, however many lookups a command makes.
    if (!this.lookedUp.has(slot.path)) this.reportBad(slot.path, found.bad, found.notes);
    this.lookedUp.add(slot.path);
    return found.state;
  }

  /** Whether the bytes a saved index covers are still those of the log: read once per command, not once per lookup. */
  private matchesLog(fd: number, saved: LogHeaderWithCrc): boolean {
    const key = `${saved.covered}:${saved.crc}`;
    if (this.checkedSaved === key) return true;
    const matches = provablyUnchanged(fd, saved) || indexMatchesLog(fd, saved);
    if (matches) this.checkedSaved = key;
    return matches;
  }

  /**
   * Lets go of an index in memory (the next use loads or builds it again); a large one is collected
   * at once, before what comes next is allocated beside it.
   */
  private letGoOf<S>(slot: IndexSlot<S>): void {
    const large = slot.index !== null && slot.index.covered >= LARGE_SCAN_BYTES;
    slot.index = null;
    slot.savedLoaded = false;
    slot.checked = false;
    slot.freshAt = null;
    if (large) collectGarbage();
  }

  /** The index of the log open as `fd`, from the log alone (up to `end`). */
  private async rebuild<S>(slot: IndexSlot<S>, fd: number, end: number): Promise<LogIndex<S>> {
    slot.index = null;
    slot.freshAt = null;
    return this.refresh(slot, fd, end, false);
  }

  /** Both logs open, each up to the last committed write (never half of one: jsonl-commit.ts). */
  private async view(): Promise<CommittedView> {
    if (!this.longLived) return this.openView();
    let items: Stat;
    let events: Stat;
    try {
      items = pathStat(this.itemsPath);
      events = pathStat(this.eventsPath);
    } catch (error) {
      throw readFailed(this.options.dir, error);
    }
    const held = this.held;
    if (held !== null && sameBytes(held.items, items) && sameBytes(held.events, events)) {
      held.users += 1;
      return held.view;
    }
    if (held !== null) this.retire(held);
    const view = await this.openView();
    // Held only when the open files are the ones just looked at, whole: no write was in flight (a
    // write that ends later removes its record without changing the logs' stat).
    const whole = (fd: number | null, stat: Stat, end: number) => {
      const open = fd === null ? null : fstatSync(fd, { bigint: true });
      return sameBytes(open, stat) && (open === null ? end === 0 : Number(open.size) === end);
    };
    if (this.held === null && whole(view.items, items, view.itemsEnd) && whole(view.events, events, view.eventsEnd)) {
      this.held = { view, items, events, users: 1 };
    }
    return view;
  }

  private openView(): Promise<CommittedView> {
    return openCommitted(this.options.dir, this.itemsPath, this.eventsPath, (path) => this.open(path));
  }

  /** The held view is out of date: the next read opens the logs again; this one closes when unused. */
  private retire(held: HeldView): void {
    if (this.held === held) this.held = null;
    if (held.users === 0) this.closeFds(held.view);
    else this.retired.add(held);
  }

  private closeView<T>(view: CommittedView, result?: T): T {
    const held = this.held?.view === view ? this.held : [...this.retired].find((h) => h.view === view);
    if (held === undefined) {
      this.closeFds(view);
    } else {
      held.users -= 1;
      if (held.users === 0 && this.retired.delete(held)) this.closeFds(held.view);
    }
    return result as T;
  }

  private closeFds(view: CommittedView): void {
    if (view.items !== null) closeSync(view.items);
    if (view.events !== null) closeSync(view.events);
  }

  /** Under the lock: a write that died half-way is undone before anything else is read or written. */
  private recover(): void {
    try {
      finishInterruptedSwap(this.options.dir, [this.itemsPath, this.eventsPath], this.options.warn);
      recoverUnfinishedCommit(this.options.dir, this.itemsPath, this.eventsPath, this.options.now().toISOString(), this.options.warn);
    } catch (error) {
      throw this.writeFailed(error);
    }
  }

  /**
   * The same index (same log bytes) asked the same question gives the same answer: a long-lived
   * process (serve) filters, sorts and aggregates again only once the log changed. Answers hold
   * index entries (read from the log by each caller), or the items a text filter had to read.
   */
  private memo<T>(entries: Map<string, ItemEntry>, question: string, compute: () => T): T {
    const index = this.itemsSlot.index;
    if (!index || index.state !== entries) return compute();
    const version = indexVersion(index);
    if (this.answers?.version !== version || this.answers.state !== entries) this.answers = { version, state: entries, byQuestion: new Map() };
    const known = this.answers.byQuestion;
    if (known.has(question)) return known.get(question) as T;
    const answer = compute();
    if (known.size >= MAX_ANSWERS) known.delete(known.keys().next().value as string);
    known.set(question, answer);
    return answer;
  }

  /**
   * The full item of an index entry. Long-lived, items already read are kept by where their line
   * is: an entry that points elsewhere (a newer version) is read again, and an index rebuilt (the
   * log replaced or edited in place) starts an empty cache.
   */
  private full(fd: number, entry: ItemEntry, entries: Map<string, ItemEntry>): BacklogItem {
    if (!this.longLived) return hydrate(fd, entry, this.itemsPath);
    const cache = this.cacheFor(this.items, entries);
    const known = cache.get(entry.id);
    if (known !== undefined && known.count === entry.off) return known.value;
    const item = hydrate(fd, entry, this.itemsPath);
    remember(cache, entry.id, { count: entry.off, value: item });
    return item;
  }

  /** The cache for this index state (one at a time: another state starts an empty one). */
  private cacheFor<V>(slot: { state: unknown; byId: Map<string, Cached<V>> }, state: unknown): Map<string, Cached<V>> {
    if (slot.state !== state) {
      slot.state = state;
      slot.byId = new Map();
    }
    return slot.byId;
  }

  /** What a writer reads through the whole items index: items read from the log only when asked for; events only if asked for at all (imports). */
  private sourceOf(fd: number, entries: Map<string, ItemEntry>, view: CommittedView): ItemSource {
    return mapSource(entries, (entry) => hydrate(fd, entry, this.itemsPath), () => this.readEvents(view));
  }

  /**
   * Runs a writer's `fn` with what it reads of the committed store. In a one-command process the
   * items it asks for by id, by dedupe key, and the active generated items of an env, are looked
   * up in the saved index alone (lookUp, after the same check against the log as a whole index
   * gets; by value, itemsWhere makes only the entries asked about); the first question about
   * events, or a lookup that does not apply, reads the whole index as before. `lazy()` tells, once `fn` is done, whether no index is in memory to
   * bring past the write's lines.
   */
  private async withWriterSource<T>(fn: (source: ItemSource, fd: number, lazy: () => boolean) => Promise<T>, manyQuestions = false): Promise<T> {
    const view = await this.view();
    try {
      const fd = view.items;
      let whole: ItemSource | null = null;
      const wholeSource = async () => (whole ??= this.sourceOf(fd ?? -1, await this.entriesIn(view, FOR_WRITING), view));
      // Entries of the saved index read so far (each its id's latest): ids asked for again are not looked up again.
      const known = new Map<string, ItemEntry>();
      // A writer that asks many questions (an import, a batch at a time) reads the whole index once instead.
      const partOf = (pick: PickSaved<Map<string, ItemEntry>>) => {
        const part = whole === null && fd !== null && !manyQuestions ? this.lookUp(this.itemsSlot, fd, view.itemsEnd, pick, FOR_WRITING) : null;
        if (part !== null) for (const [id, entry] of part) known.set(id, entry);
        return part;
      };
      // An import asks about its items first, then about their events (an export's order): the
      // items index is let go of at the first question about events, before the events index is
      // read (100k items: 35 and 17 MB of heap). An item asked for after that reads it again,
      // once: it is kept from then on.
      let released = false;
      // Every stored event id, once an event was not found under the item it names (see eventsById).
      const elsewhere: { ids: SeenIds | null } = { ids: null };
      // The items whose env, status and dedupe key `where` accepts, and perhaps others (asked again by the source).
      const some = async (where: (row: RowFields) => boolean) => {
        const part = partOf((input) => itemsWhere(input, where));
        return part === null ? wholeSource() : this.sourceOf(fd ?? -1, part, view);
      };
      const source: ItemSource = {
        getItems: async (ids) => {
          if (whole === null && ids.every((id) => known.has(id))) return this.sourceOf(fd ?? -1, known, view).getItems(ids);
          const part = partOf(byKeys(itemsIndex, ids));
          return part === null ? (await wholeSource()).getItems(ids) : this.sourceOf(fd ?? -1, part, view).getItems(ids);
        },
        findByDedupeKeys: async (keys) => {
          const wanted = new Set(keys);
          return (await some((row) => wanted.has(row.dedupe_key))).findByDedupeKeys(keys);
        },
        findActiveGenerated: async (prefix, env) => (await some((row) => isActiveGenerated(row, prefix, env))).findActiveGenerated(prefix, env),
        getEvents: async (ids, itemIds) => {
          if (itemIds === undefined) return (await wholeSource()).getEvents(ids);
          if (manyQuestions && !released) {
            released = true;
            whole = null;
            this.letGoOf(this.itemsSlot);
          }
          return this.eventsById(view, ids, itemIds, elsewhere);
        },
      };
      // An index in memory (an earlier write of this process) is kept up to date as before.
      return await fn(source, fd ?? -1, () => this.itemsSlot.index === null && fd !== null);
    } finally {
      this.closeView(view);
    }
  }

  unreadable(): UnreadableLines[] {
    return [...this.unreadableCounts].map(([file, count]) => ({ file, count }));
  }

  /**
   * Unreadable lines, with the reason when a value is outside its enum (never coerced: the line is
   * skipped like any unreadable one), and case variants read as their canonical value.
   */
  private reportBad(path: string, bad: readonly number[], notes: readonly LineNote[]): void {
    const why = new Map<number, string>();
    for (const [lineNo, text] of notes) why.set(lineNo, why.has(lineNo) ? `${why.get(lineNo)}; ${text}` : text);
    for (const lineNo of bad.slice(0, MAX_WARNINGS)) {
      const reason = why.get(lineNo);
      this.options.warn(`${path}:${lineNo}: unreadable line skipped${reason ? ` (${reason})` : ""}; \`backlog cleanup\` moves it to ${path}.quarantine`);
    }
    if (bad.length > MAX_WARNINGS) this.options.warn(`${path}: ${bad.length - MAX_WARNINGS} more unreadable lines skipped`);
    if (bad.length > 0) this.unreadableCounts.set(path, Math.max(bad.length, this.unreadableCounts.get(path) ?? 0));
    const unreadable = new Set(bad);
    const variants = notes.filter(([lineNo]) => !unreadable.has(lineNo));
    for (const [lineNo, text] of variants.slice(0, MAX_WARNINGS)) this.options.warn(`${path}:${lineNo}: ${text}`);
    if (variants.length > MAX_WARNINGS) this.options.warn(`${path}: ${variants.length - MAX_WARNINGS} more values read in another case`);
  }

  /** Every committed event in file order, once per id. */
  private readEvents(view: CommittedView): BacklogEvent[] {
    const events: BacklogEvent[] = [];
    this.eachEvent(view, (event) => events.push(event));
    return events;
  }

  /** Each event of the committed events log, in store order, an id once (its first line). */
  private eachEvent(view: CommittedView, visit: (event: BacklogEvent) => void): void {
    const seen = new SeenIds();
    this.scan(view, (line, note) => {
      const event = normalizeStoredEvent(tryParse(line), note);
      if (!event) return false;
      if (seen.first(event.id)) visit(event);
      return true;
    });
  }

  /**
   * Visits the committed lines of the events log; `visit` returns false for an unreadable line,
   * which is reported with what `note` got.
   */
  private scan(view: CommittedView, visit: (line: string, note: StoredValueNote, off: number, len: number) => boolean): void {
    const path = this.eventsPath;
    if (view.events === null) return;
    const bad: number[] = [];
    const notes: LineNote[] = [];
    let current = 0;
    const note = (field: string, message: string) => notes.push([current, `${field}: ${message}`]);
    try {
      const onLine = (line: string, lineNo: number, off: number, len: number) => {
        current = lineNo;
        if (!isBlank(line) && !visit(line, note, off, len)) bad.push(lineNo);
      };
      scanFd(view.events, onLine, 0, 0, view.eventsEnd);
    } catch (error) {
      throw readFailed(path, error);
    }
    this.reportBad(path, bad, notes);
  }

  /** The transaction's items, then its events, as one commit (see inOneCommit). */
  private async append(tx: BufferedTx): Promise<void> {
    await this.inOneCommit((sink) => {
      for (const item of tx.items) sink.item(item);
      for (const event of tx.events) sink.event(event);
    });
  }

  /**
   * What `fill` hands to its sink, appended to both logs as one commit (jsonl-commit.ts): a record
   * of both sizes first, removed once both appends are durable. Each log is opened when its first
   * line comes and written about a MiB at a time. If anything fails (an append, or `fill` itself),
   * both logs are cut back and the record removed; if even that fails, the record stays and readers
   * and the next writer treat the write as undone. The caller holds the lock.
   */
  private async inOneCommit<T>(fill: (sink: ImportSink) => T | Promise<T>): Promise<T> {
    const now = this.options.now().toISOString();
    let record: CommitRecord;
    try {
      repairTornTail(this.itemsPath, now);
      repairTornTail(this.eventsPath, now);
      record = beginCommit(this.options.dir, this.itemsPath, this.eventsPath);
    } catch (error) {
      throw this.writeFailed(error);
    }
    let items: Appender | null = null;
    let events: Appender | null = null;
    try {
      const result = await fill({
        item: (item) => (items ??= openAppender(this.itemsPath, now)).add(JSON.stringify(canonicalItem(item))),
        event: (event) => (events ??= openAppender(this.eventsPath, now)).add(JSON.stringify(event)),
      });
      (items as Appender | null)?.finish();
      (events as Appender | null)?.finish();
      endCommit(this.options.dir);
      return result;
    } catch (error) {
      (items as Appender | null)?.abort();
      (events as Appender | null)?.abort();
      if (this.cutBackTo(record)) endCommit(this.options.dir);
      throw this.writeFailed(error);
    }
  }

  /** Cuts both logs back to a record's sizes; true when they are back to them. */
  private cutBackTo(record: { items: number; events: number }): boolean {
    try {
      for (const [path, size] of [[this.itemsPath, record.items], [this.eventsPath, record.events]] as const) {
        if (existsSync(path) && lstatSync(path).size > size) cutBack(path, size);
        if (existsSync(path) && lstatSync(path).size !== size) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  private writeFailed(error: unknown): unknown {
    if (error instanceof BacklogError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    return storageUnavailable(
      `cannot write to ${this.options.dir}: ${(error as Error).message}`,
      code === "ENOSPC" || code === "EDQUOT"
        ? "The disk (or quota) is full: free some space and run the command again."
        : code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? "This user may not write the store files: check their owner, group and mode (the runbook's \"Shared store\" section)."
          : "Check that the data directory is writable by this user and has free space.",
    );
  }
}

/** The one storage interface every backend implements (and the one contract suite tests). */
import type { Dashboard } from "../domain/dashboard.js";
import type { GeneratedRef } from "../domain/week-over-week.js";
import type { BacklogEvent, BacklogItem } from "../domain/item.js";
import type { LogEvent, LogQuery } from "../domain/event-log.js";
import type { ItemFilter, Page, QueryResult } from "../domain/query.js";
import type { Report, ReportFrame } from "../domain/report.js";

/** What a write transaction may read and write. Writes are buffered and land together, or not at all. */
export interface WriteTx {
  getItem(id: string): Promise<BacklogItem | null>;
  getItems(ids: readonly string[]): Promise<Map<string, BacklogItem>>;
  /** Stored events by id (for idempotent imports). */
  getEvents(ids: readonly string[]): Promise<Map<string, BacklogEvent>>;
  /** The current items holding any of these dedupe keys, by key. */
  findByDedupeKeys(keys: readonly string[]): Promise<Map<string, BacklogItem>>;
  /**
   * The active (not done/canceled) items of `env` whose dedupe key is a generated key of `prefix`
   * (`{prefix}:{week}:{env}:{service}:{category}`, parseGeneratedKey), as references: the
   * generated items a run may carry over or report as cleared. One pass over the
   * JSONL items index (nothing is read from the log); one indexed query on PostgreSQL. The run
   * then reads the few items it needs with getItems.
   */
  findActiveGenerated(prefix: string, env: string): Promise<GeneratedRef[]>;
  putItem(item: BacklogItem): void;
  addEvent(event: BacklogEvent): void;
}

/** What an import compares its records with: the committed store, asked a batch at a time. */
export interface ImportSource {
  getItems(ids: readonly string[]): Promise<Map<string, BacklogItem>>;
  findByDedupeKeys(keys: readonly string[]): Promise<Map<string, BacklogItem>>;
  /** Stored events by id; `itemIds`, the items they belong to in the file, lets a store read only those items' events. */
  getEvents(ids: readonly string[], itemIds: readonly string[]): Promise<Map<string, BacklogEvent>>;
}

/** Where an import hands its new records, in order. */
export interface ImportSink {
  item(item: BacklogItem): void;
  event(event: BacklogEvent): void;
}

export interface WriteOptions {
  dryRun?: boolean;
}

export interface CleanupOptions {
  /** Done/canceled items whose updated_at is earlier than this ISO timestamp are removed. */
  cutoff: string;
  dryRun: boolean;
}

export interface CleanupReport {
  deleted: number;
  events_deleted: number;
  lines_before: number;
  lines_after: number;
  bytes_before: number;
  bytes_after: number;
  quarantined: number;
}

export interface MigrationReport {
  /** Versions applied by this run (or, in a dry run, that would be). */
  applied: number[];
  /** The schema version after the run; null for backends without a schema. */
  version: number | null;
  /** The SQL of the applied (or pending) migrations. */
  sql: string;
}

/** The whole store, for export: latest items by created_at then id, events in store order. */
export interface StoreDump {
  items: BacklogItem[];
  events: BacklogEvent[];
}

export interface Store {
  readonly backend: string;
  /** Where it reads, for messages: the data directory, the server, or "in memory". */
  readonly location: string;
  listItems(filter: ItemFilter, page: Page): Promise<QueryResult>;
  /**
   * listItems with its items handed to `each` `size` at a time, in order, each slice read only
   * when its turn comes: an answer of any length in the memory of one slice. Returns what
   * listItems would (`shown`: how many items it would hold). Optional: the service falls back to
   * listItems.
   */
  eachItemPage?(filter: ItemFilter, page: Page, size: number, each: (items: BacklogItem[]) => void): Promise<{ total: number; shown: number }>;
  getItem(id: string): Promise<BacklogItem | null>;
  /** The item's events, oldest first. */
  listEvents(itemId: string): Promise<BacklogEvent[]>;
  /** getItem and listEvents in one read (optional: the service falls back to the two calls). */
  getItemWithEvents?(id: string): Promise<{ item: BacklogItem; events: BacklogEvent[] } | null>;
  dashboard(env: string, today: string, categories: readonly string[]): Promise<Dashboard>;
  /** `backlog report`: the figures of `env` for these weeks (in SQL on PostgreSQL). */
  report(env: string, frames: readonly ReportFrame[]): Promise<Report>;
  /** Events across items matching `query`, newest first, each with its item's title. */
  eventLog(query: LogQuery): Promise<LogEvent[]>;
  /**
   * eventLog with its events handed to `each` `size` at a time, in order: the events chosen are
   * held compactly and made (parsed, titled) a page at a time. Optional: the service falls back to eventLog.
   */
  eachLogPage?(query: LogQuery, size: number, each: (events: LogEvent[]) => void): Promise<void>;
  /**
   * Runs `fn` with exclusive write access: no other writer, in this process or another, runs
   * between its reads and its writes. If `fn` throws, nothing is written. With `dryRun`, `fn`
   * sees the same data and its writes are discarded. Like a database transaction that may be
   * retried, `fn` may run more than once: it must return its result, not change outside state.
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>, options?: WriteOptions): Promise<T>;
  /**
   * An import as one write that appends as it goes: `fn` compares its records with `stored` (the
   * committed state before it, to which a store may add what the import already wrote: a checked
   * file never asks about those ids again) a batch at a time and hands what is new to `sink`,
   * which writes it at once or before the next question; nothing is visible to readers before
   * `fn` returns, and if it throws nothing it wrote remains. Optional: the service otherwise plans
   * the whole import in memory and writes it with `write`.
   */
  importInOneCommit?<T>(fn: (stored: ImportSource, sink: ImportSink) => Promise<T>): Promise<T>;
  cleanup(options: CleanupOptions): Promise<CleanupReport>;
  /** Creates or upgrades the schema; backends without one report nothing to do. */
  migrate(dryRun: boolean): Promise<MigrationReport>;
  dump(): Promise<StoreDump>;
  /**
   * dump, handed to `each` a page at a time (the items' pages first, then the events'), each page
   * read only when its turn comes. Returns how many of each. Optional: export falls back to dump.
   */
  dumpInPages?(size: number, each: (page: StoreDump) => void): Promise<{ items: number; events: number }>;
  /**
   * Unreadable lines the reads so far skipped, per file (a torn last line is not one). Backends
   * that cannot hold such lines (PostgreSQL, memory) need not implement it.
   */
  unreadable?(): UnreadableLines[];
  /**
   * A long-lived process (serve) will read many times: the store may keep files open between
   * reads and trust what a cheap check says is unchanged. Every write, by anyone, is still seen by
   * the next read. Optional: backends without such files ignore it.
   */
  keepOpen?(): void;
  /** Releases resources; `outcome` tells whether the command succeeded (caches are kept only then). */
  close(outcome?: "ok" | "failed"): Promise<void>;
}

export interface UnreadableLines {
  file: string;
  count: number;
}

/** Receives warnings (unreadable lines, repairs) for stderr; stores never print. */
export type Warn = (message: string) => void;

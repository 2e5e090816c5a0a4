/** In-process store for tests and `--backend memory`: same semantics, nothing persisted. */
import { aggregateDashboard, type Dashboard } from "../domain/dashboard.js";
import { type BacklogEvent, type BacklogItem, isClosed } from "../domain/item.js";
import { compareByCreation, type ItemFilter, type Page, type QueryResult, queryItems } from "../domain/query.js";
import { type LogEvent, type LogQuery, newestFirst, wantsEvent } from "../domain/event-log.js";
import { aggregateReport, closedAt, type HistoryRow, type Report, type ReportFrame } from "../domain/report.js";
import { BufferedTx, emptySource, mapSource } from "./buffered-tx.js";
import type { CleanupOptions, CleanupReport, MigrationReport, Store, StoreDump, WriteOptions, WriteTx } from "./types.js";

function sumLineBytes(items: Iterable<BacklogItem>): number {
  let bytes = 0;
  for (const item of items) bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
  return bytes;
}

export class MemoryStore implements Store {
  readonly backend: string = "memory";
  readonly location: string = "this process's memory";
  private items = new Map<string, BacklogItem>();
  private events: BacklogEvent[] = [];
  /** Every version ever written, to report lines/bytes the way the log would. */
  private versions = 0;
  private queue: Promise<unknown> = Promise.resolve();

  async listItems(filter: ItemFilter, page: Page): Promise<QueryResult> {
    return queryItems(this.items.values(), filter, page);
  }

  async getItem(id: string): Promise<BacklogItem | null> {
    return this.items.get(id) ?? null;
  }

  async listEvents(itemId: string): Promise<BacklogEvent[]> {
    return this.events.filter((e) => e.item_id === itemId);
  }

  async dashboard(env: string, today: string, categories: readonly string[]): Promise<Dashboard> {
    return aggregateDashboard(this.items.values(), env, today, categories);
  }

  async report(env: string, frames: readonly ReportFrame[]): Promise<Report> {
    return aggregateReport(await this.history(env), env, frames);
  }

  private async history(env: string): Promise<HistoryRow[]> {
    const byItem = new Map<string, BacklogEvent[]>();
    for (const e of this.events) {
      const list = byItem.get(e.item_id);
      if (list) list.push(e);
      else byItem.set(e.item_id, [e]);
    }
    return [...this.items.values()]
      .filter((i) => i.env === env)
      .map((i) => ({ service: i.service, created_at: i.created_at, due_date: i.due_date, status: i.status, closed_at: closedAt(i, byItem.get(i.id) ?? []) }));
  }

  async eventLog(query: LogQuery): Promise<LogEvent[]> {
    const wanted = this.events
      .map((event, order) => ({ event, order, item: this.items.get(event.item_id) }))
      .filter(({ event, item }) => wantsEvent(query, event, item))
      .map(({ event, order, item }) => ({ event: { ...event, item_title: item?.title ?? null }, order }));
    return newestFirst(wanted, query.limit);
  }

  write<T>(fn: (tx: WriteTx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    // Serialised like the file lock serialises processes.
    const run = this.queue.then(async () => {
      const tx = new BufferedTx(mapSource(this.items, (item) => item, () => this.events));
      const result = await fn(tx);
      if (options.dryRun) return result;
      for (const item of tx.items) this.items.set(item.id, item);
      this.events.push(...tx.events);
      this.versions += tx.items.length;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async cleanup({ cutoff, dryRun }: CleanupOptions): Promise<CleanupReport> {
    return this.write(async () => {
      const doomed = new Set<string>();
      for (const item of this.items.values()) if (isClosed(item) && item.updated_at < cutoff) doomed.add(item.id);
      const keptItems = [...this.items.values()].filter((i) => !doomed.has(i.id));
      const keptEvents = this.events.filter((e) => !doomed.has(e.item_id));
      const report: CleanupReport = {
        deleted: doomed.size,
        events_deleted: this.events.length - keptEvents.length,
        lines_before: this.versions,
        lines_after: keptItems.length,
        // Superseded versions are not kept in memory, so the size before is that of the live items.
        bytes_before: sumLineBytes(this.items.values()),
        bytes_after: sumLineBytes(keptItems),
        quarantined: 0,
      };
      if (!dryRun) {
        for (const id of doomed) this.items.delete(id);
        this.events = keptEvents;
        this.versions = keptItems.length;
      }
      return report;
    });
  }

  async migrate(): Promise<MigrationReport> {
    return { applied: [], version: null, sql: "" };
  }

  async dump(): Promise<StoreDump> {
    return { items: [...this.items.values()].sort(compareByCreation), events: [...this.events] };
  }

  async close(): Promise<void> {}
}

/** `--backend null`: accepts every write and keeps nothing. */
export class NullStore extends MemoryStore {
  override readonly backend = "null";
  override write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return fn(new BufferedTx(emptySource()));
  }
}

/** A write transaction over an in-memory view of the items, for the stores that hold one. */
import type { BacklogEvent, BacklogItem } from "../domain/item.js";
import type { WriteTx } from "./types.js";

export class BufferedTx implements WriteTx {
  readonly items: BacklogItem[] = [];
  readonly events: BacklogEvent[] = [];
  private readonly pending = new Map<string, BacklogItem>();
  private byKey: Map<string, BacklogItem> | null = null;

  constructor(private readonly current: ReadonlyMap<string, BacklogItem>) {}

  async getItem(id: string): Promise<BacklogItem | null> {
    return this.pending.get(id) ?? this.current.get(id) ?? null;
  }

  async findByDedupeKeys(keys: readonly string[]): Promise<Map<string, BacklogItem>> {
    const index = this.dedupeIndex();
    const found = new Map<string, BacklogItem>();
    for (const key of keys) {
      const item = index.get(key);
      if (item) found.set(key, item);
    }
    return found;
  }

  putItem(item: BacklogItem): void {
    this.pending.set(item.id, item);
    this.items.push(item);
    this.byKey?.set(item.dedupe_key, item);
  }

  addEvent(event: BacklogEvent): void {
    this.events.push(event);
  }

  get isEmpty(): boolean {
    return this.items.length === 0 && this.events.length === 0;
  }

  /** Built once per transaction: a batch of N upserts costs one pass over the store, not N. */
  private dedupeIndex(): Map<string, BacklogItem> {
    if (!this.byKey) {
      this.byKey = new Map();
      for (const item of this.current.values()) this.byKey.set(item.dedupe_key, item);
      for (const item of this.pending.values()) this.byKey.set(item.dedupe_key, item);
    }
    return this.byKey;
  }
}

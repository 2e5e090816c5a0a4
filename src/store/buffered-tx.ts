/**
 * A write transaction: reads go to the store (through an ItemSource) with this transaction's own
 * pending writes laid over them; writes are buffered until the store commits them together.
 */
import { type BacklogEvent, type BacklogItem, CLOSED_STATUSES } from "../domain/item.js";
import { type GeneratedRef, parseGeneratedKey } from "../domain/week-over-week.js";
import type { WriteTx } from "./types.js";

/** What a transaction reads from the committed store. */
export interface ItemSource {
  getItems(ids: readonly string[]): Promise<Map<string, BacklogItem>>;
  findByDedupeKeys(keys: readonly string[]): Promise<Map<string, BacklogItem>>;
  findActiveGenerated(prefix: string, env: string): Promise<GeneratedRef[]>;
  /** `itemIds`: see ImportSource (a store may ignore it). */
  getEvents(ids: readonly string[], itemIds?: readonly string[]): Promise<Map<string, BacklogEvent>>;
}

export class BufferedTx implements WriteTx {
  /** Every version put, in order (an item put twice appears twice). */
  readonly items: BacklogItem[] = [];
  readonly events: BacklogEvent[] = [];
  private readonly pending = new Map<string, BacklogItem>();

  constructor(private readonly source: ItemSource) {}

  async getItem(id: string): Promise<BacklogItem | null> {
    return (await this.getItems([id])).get(id) ?? null;
  }

  async getItems(ids: readonly string[]): Promise<Map<string, BacklogItem>> {
    const found = await this.source.getItems(ids.filter((id) => !this.pending.has(id)));
    for (const id of ids) {
      const mine = this.pending.get(id);
      if (mine) found.set(id, mine);
    }
    return found;
  }

  async findByDedupeKeys(keys: readonly string[]): Promise<Map<string, BacklogItem>> {
    const found = await this.source.findByDedupeKeys(keys);
    const wanted = new Set(keys);
    for (const item of this.pending.values()) if (wanted.has(item.dedupe_key)) found.set(item.dedupe_key, item);
    return found;
  }

  async findActiveGenerated(prefix: string, env: string): Promise<GeneratedRef[]> {
    const found = new Map((await this.source.findActiveGenerated(prefix, env)).map((ref) => [ref.id, ref]));
    // This transaction's own versions replace the stored ones (and may have closed them).
    for (const item of this.pending.values()) {
      found.delete(item.id);
      if (isActiveGenerated(item, prefix, env)) found.set(item.id, refOf(item));
    }
    return [...found.values()];
  }

  async getEvents(ids: readonly string[]): Promise<Map<string, BacklogEvent>> {
    const found = await this.source.getEvents(ids);
    const wanted = new Set(ids);
    for (const event of this.events) if (wanted.has(event.id)) found.set(event.id, event);
    return found;
  }

  putItem(item: BacklogItem): void {
    this.pending.set(item.id, item);
    this.items.push(item);
  }

  addEvent(event: BacklogEvent): void {
    this.events.push(event);
  }

  /** The last version of each item put, in order of first put. */
  latestItems(): BacklogItem[] {
    return [...this.pending.values()];
  }

  get isEmpty(): boolean {
    return this.items.length === 0 && this.events.length === 0;
  }
}

/** The values of `map` at `keys`, converted; keys with no value are left out. */
function pick<T, R>(map: ReadonlyMap<string, T>, keys: readonly string[], convert: (value: T) => R): Map<string, R> {
  const found = new Map<string, R>();
  for (const key of keys) {
    const value = map.get(key);
    if (value !== undefined) found.set(key, convert(value));
  }
  return found;
}

/** Whether an item (or index entry) is an active generated item of `env` under `prefix`. */
export const isActiveGenerated = (item: { dedupe_key: string; env: string; status: string }, prefix: string, env: string) =>
  item.env === env && !CLOSED_STATUSES.has(item.status) && parseGeneratedKey(prefix, item.dedupe_key) !== null;

const refOf = ({ id, env, service, category, dedupe_key, created_at }: GeneratedRef): GeneratedRef => ({ id, env, service, category, dedupe_key, created_at });

/**
 * An ItemSource over items, or over entries that `toItem` turns into items (an index's entries,
 * read from the log), held in memory by id. The dedupe index is built once, on first use.
 */
export function mapSource<T extends GeneratedRef & { status: string }>(
  byId: ReadonlyMap<string, T>,
  toItem: (value: T) => BacklogItem,
  events: () => Iterable<BacklogEvent>,
): ItemSource {
  let byKey: Map<string, T> | null = null;
  return {
    async getItems(ids) {
      return pick(byId, ids, toItem);
    },
    async findByDedupeKeys(keys) {
      if (!byKey) {
        byKey = new Map();
        for (const value of byId.values()) byKey.set(value.dedupe_key, value);
      }
      return pick(byKey, keys, toItem);
    },
    async findActiveGenerated(prefix, env) {
      const found: GeneratedRef[] = [];
      for (const value of byId.values()) if (isActiveGenerated(value, prefix, env)) found.push(refOf(value));
      return found;
    },
    async getEvents(ids) {
      const wanted = new Set(ids);
      const found = new Map<string, BacklogEvent>();
      if (wanted.size === 0) return found;
      for (const event of events()) if (wanted.has(event.id)) found.set(event.id, event);
      return found;
    },
  };
}

/** A source with nothing in it. */
export const emptySource = (): ItemSource => mapSource(new Map<string, BacklogItem>(), (item) => item, () => []);

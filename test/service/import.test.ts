/**
 * Imports through the service on a real JSONL store (one commit that appends as it reads, a batch
 * of records at a time), on PostgreSQL when the run has a server (one transaction that inserts a
 * batch at a time) and on the memory store (planned whole): the same answers, and nothing written
 * when anything is wrong, however late in the file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { BacklogEvent, BacklogItem } from "../../src/domain/item.js";
import { canonicalItem } from "../../src/domain/item.js";
import { exportLines } from "../../src/domain/transfer.js";
import { BacklogError } from "../../src/errors.js";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { BacklogService } from "../../src/service/backlog-service.js";
import { runImport } from "../../src/service/transfer.js";
import { JsonlStore } from "../../src/store/jsonl-store.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { PgStore } from "../../src/store/pg/pg-store.js";
import type { Store } from "../../src/store/types.js";
import { makeItem } from "../helpers/items.js";
import { freshDatabase, POSTGRES } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-11-24T06:20:00Z");
const serviceOf = (store: Store) => new BacklogService({ store, policy: DEFAULT_POLICY, actor: "scheduler", now: () => NOW, randomHex: () => "0".repeat(12) });
const jsonl = (dir = tempDir()) => new JsonlStore({ dir, warn: () => {}, now: () => NOW });

const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close("ok");
});

/** An empty store of each backend: JSONL (in `dir`), memory, and PostgreSQL when the run has a server. */
async function everyBackend(dir = tempDir()): Promise<Store[]> {
  const stores: Store[] = [jsonl(dir), new MemoryStore()];
  if (POSTGRES.dsn) {
    const pg = new PgStore({ dsn: await freshDatabase(), lockTimeoutMs: 10_000 });
    await pg.migrate(false);
    stores.push(pg);
  }
  opened.push(...stores);
  return stores;
}

const eventOf = (item: BacklogItem, n: number): BacklogEvent => ({ id: `ev_${n.toString(16).padStart(12, "0")}`, item_id: item.id, ts: item.created_at, type: "created", message: "", actor: "scheduler", meta: {} });

/** `count` items (more than one batch of 1000) and an event each. */
function exported(count: number, from = 0): { items: BacklogItem[]; events: BacklogEvent[]; text: string } {
  const items = Array.from({ length: count }, (_, i) => canonicalItem(makeItem({ id: `bl_${(from + i + 1).toString(16).padStart(12, "0")}`, dedupe_key: `k:${from + i}` })));
  const events = items.map((item, i) => eventOf(item, from + i + 1));
  return { items, events, text: exportLines(items, events) };
}

/** The bytes of every file of a store, by name. */
const bytesOf = (dir: string) => Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), "latin1")]));

async function failure(run: Promise<unknown>): Promise<BacklogError> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BacklogError);
  return error as BacklogError;
}

describe("import through the service", () => {
  it("a large import lands whole on every backend; importing it again changes nothing", async () => {
    const { items, events, text } = exported(2_345);
    for (const store of await everyBackend()) {
      const service = serviceOf(store);
      expect(await runImport(service, text, "file")).toEqual({ items: 2_345, events: 2_345 });
      expect(await runImport(service, text, "file")).toEqual({ items: 0, events: 0 });
      expect((await store.dump()).items).toEqual([...items].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id)));
      expect((await store.dump()).events).toEqual(events);
    }
  });

  it("a conflict in the last batch writes nothing on any backend, and every conflict is listed in file order", async () => {
    const dir = tempDir();
    for (const store of await everyBackend(dir)) {
      const service = serviceOf(store);
      const first = exported(10);
      await runImport(service, first.text, "seed");
      const before = { dump: await store.dump(), bytes: bytesOf(dir) };
      const more = exported(2_500, 100);
      // The last item differs from a stored one; an event names an item neither stored nor in the file.
      const changed = { ...first.items[3], title: "changed" };
      const stray = { ...eventOf(first.items[0], 9_999), item_id: "bl_ffffffffffff" };
      const text = exportLines([...more.items, changed], [...more.events, stray]);
      const error = await failure(runImport(service, text, "late.jsonl"));
      expect(error.exitCode).toBe(4);
      expect(error.message).toContain(`line 2501: item ${changed.id}: differs from the stored version`);
      expect(error.message).toContain(`event ${stray.id}: its item bl_ffffffffffff is neither stored nor in the file`);
      expect(error.message.indexOf("line 2501:")).toBeLessThan(error.message.indexOf(stray.id));
      expect(await store.dump()).toEqual(before.dump);
      // On JSONL not a byte of any file either (the batches before were appended, then cut back).
      expect(bytesOf(dir)).toEqual(before.bytes);
    }
  });

  it("a file that changes between its check and its writing writes nothing", async () => {
    const dir = tempDir();
    const store = jsonl(dir);
    const service = serviceOf(store);
    await runImport(service, exported(3).text, "seed");
    const before = bytesOf(dir);
    const { text } = exported(1_500, 50);
    const edited = text.replace('"title":"item', '"title":"ITEM');
    expect(edited).not.toBe(text);
    let reads = 0;
    // The first read is checked; the second hands other (still valid) bytes.
    const lines = () => (reads++ === 0 ? text : edited).split("\n");
    const error = await failure(runImport(service, lines, "moving.jsonl"));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe("moving.jsonl changed while it was imported; nothing was imported");
    expect(bytesOf(dir)).toEqual(before);
  });

  // On JSONL the items index is let go of at the first batch of events: what is asked about items
  // after that (an event's item that only the store holds, items after events) reads it again.
  it("items after events, and events of stored items, are still compared with every stored item", async () => {
    for (const store of await everyBackend()) {
      const service = serviceOf(store);
      const seed = exported(1_200);
      await runImport(service, seed.text, "seed");
      const first = exported(1_100, 5_000);
      const second = exported(1_100, 8_000);
      const ofStored = eventOf(seed.items[5], 4_999);
      const text = [exportLines(first.items, [...first.events, ofStored]), exportLines([...second.items, seed.items[7]], second.events)].join("");
      expect(await runImport(service, text, "mixed.jsonl")).toEqual({ items: 2_200, events: 2_201 });
      expect(await store.listEvents(seed.items[5].id)).toContainEqual(ofStored);
      const taken = canonicalItem(makeItem({ id: "bl_0000000fffff", dedupe_key: seed.items[3].dedupe_key }));
      const late = [exportLines([], [eventOf(first.items[0], 4_998)]), exportLines([taken], [])].join("");
      const error = await failure(runImport(service, late, "late.jsonl"));
      expect(error.exitCode).toBe(4);
      expect(error.message).toContain(`line 2: item bl_0000000fffff: dedupe key "${seed.items[3].dedupe_key}" is taken by ${seed.items[3].id}`);
    }
  });

  it("an event of a stored item that the file does not hold is imported, on every backend", async () => {
    for (const store of await everyBackend()) {
      const service = serviceOf(store);
      const { items, text } = exported(2);
      await runImport(service, text, "seed");
      const later = eventOf(items[1], 77);
      expect(await runImport(service, exportLines([], [later]), "events.jsonl")).toEqual({ items: 0, events: 1 });
      expect(await store.listEvents(items[1].id)).toContainEqual(later);
    }
  });
});

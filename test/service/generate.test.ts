import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { BacklogService } from "../../src/service/backlog-service.js";
import { runGenerate } from "../../src/service/generate.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { WriteOptions, WriteTx } from "../../src/store/types.js";
import { REPO } from "../helpers/cli.js";

/** A memory store that counts what write transactions ask of it: one query each, on a server. */
class CountingStore extends MemoryStore {
  reads = 0;
  override write<T>(fn: (tx: WriteTx) => Promise<T>, options?: WriteOptions): Promise<T> {
    return super.write((tx) => {
      const counted: WriteTx = {
        getItem: (id) => (this.reads++, tx.getItem(id)),
        getItems: (ids) => (this.reads++, tx.getItems(ids)),
        getEvents: (ids) => (this.reads++, tx.getEvents(ids)),
        findByDedupeKeys: (keys) => (this.reads++, tx.findByDedupeKeys(keys)),
        findActiveGenerated: (prefix, env) => (this.reads++, tx.findActiveGenerated(prefix, env)),
        putItem: (item) => tx.putItem(item),
        addEvent: (event) => tx.addEvent(event),
      };
      return fn(counted);
    }, options);
  }
}

describe("generation against the store", () => {
  it("asks the store a fixed number of times, however many items it creates", async () => {
    const store = new CountingStore();
    let n = 0;
    const service = new BacklogService({
      store,
      policy: DEFAULT_POLICY,
      actor: "scheduler",
      now: () => new Date("2026-11-24T06:20:00Z"),
      randomHex: () => (n++).toString(16).padStart(12, "0"),
    });
    const location = { file: join(REPO, "ops/reports/platform/2026-W48.json"), cwd: REPO, variables: {} };
    const first = await runGenerate(service, "weekly", { location, dryRun: false });
    expect(first.report.created).toBe(16);
    // One lookup of the dedupe keys, one of the active series, one of the new ids: not one per item.
    expect(store.reads).toBe(3);
    expect(new Set(first.report.items.map((i) => i.id)).size).toBe(16);
  });

  it("draws again when a random id is already taken", async () => {
    const store = new MemoryStore();
    // Item and event ids come from the same source: item a, its event, then b draws a's id first.
    const ids = ["000000000001", "0000000000e1", "000000000001", "000000000002", "0000000000e2"];
    const service = new BacklogService({ store, policy: DEFAULT_POLICY, actor: "t", now: () => new Date("2026-11-24T06:20:00Z"), randomHex: () => ids.shift() ?? "ffffffffffff" });
    const a = await service.create({ service: "a", category: "refactor" });
    const b = await service.create({ service: "b", category: "refactor" });
    expect([a.item.id, b.item.id]).toEqual(["bl_000000000001", "bl_000000000002"]);
  });
});

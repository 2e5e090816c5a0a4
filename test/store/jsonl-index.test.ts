/**
 * The saved index is a cache: used while the log was only appended to, ignored as soon as the log
 * was replaced, truncated, compacted or edited. To tell which, every test poisons the saved index
 * (every entry "blocked"): a read that shows "blocked" used it; one that does not, ignored it.
 */
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSavedIndex, saveIndex } from "../../src/store/jsonl-index.js";
import { itemsIndex } from "../../src/store/jsonl-indexes.js";
import { JsonlStore } from "../../src/store/jsonl-store.js";
import { makeItem } from "../helpers/items.js";
import { tempDir } from "../helpers/temp.js";

const TODAY = "2026-02-16";
const open = (dir: string, warnings: string[] = []) =>
  new JsonlStore({ dir, warn: (m) => warnings.push(m), now: () => new Date("2026-02-16T06:20:00Z") });
const indexFile = (dir: string) => join(dir, ".items.jsonl.index");

async function counts(dir: string) {
  const store = open(dir);
  const d = await store.dashboard("prod", TODAY, []);
  await store.close("ok");
  return d.status_counts;
}

/** A store of `n` open items whose index is saved, then poisoned. */
async function poisonedStore(n = 5) {
  const dir = tempDir();
  const writer = open(dir);
  for (let i = 0; i < n; i += 1) await writer.write(async (tx) => tx.putItem(makeItem({ title: `item ${i}` })));
  expect((await counts(dir)).open).toBe(n);
  expect(existsSync(indexFile(dir))).toBe(true);
  const saved = loadSavedIndex(itemsIndex, indexFile(dir));
  if (saved === null) throw new Error("no saved index");
  for (const entry of saved.state.values()) entry.status = "blocked";
  saveIndex(itemsIndex, indexFile(dir), saved);
  return { dir, items: join(dir, "items.jsonl") };
}

describe("saved index", () => {
  it("is used while the log is unchanged", async () => {
    const { dir } = await poisonedStore();
    expect(await counts(dir)).toMatchObject({ blocked: 5, open: 0 });
  });

  it("parses only what was appended since it was saved", async () => {
    const { dir } = await poisonedStore();
    await open(dir).write(async (tx) => tx.putItem(makeItem()));
    expect(await counts(dir)).toMatchObject({ blocked: 5, open: 1 });
  });

  it("is ignored when the log was replaced", async () => {
    const { dir, items } = await poisonedStore();
    const text = readFileSync(items, "utf8");
    writeFileSync(`${items}.new`, text);
    renameSync(`${items}.new`, items);
    expect(await counts(dir)).toMatchObject({ blocked: 0, open: 5 });
  });

  it("is ignored when the log was truncated", async () => {
    const { dir, items } = await poisonedStore();
    const lines = readFileSync(items, "utf8").split("\n");
    truncateSync(items, Buffer.byteLength(`${lines.slice(0, 3).join("\n")}\n`));
    expect(await counts(dir)).toMatchObject({ blocked: 0, open: 3 });
  });

  it("is ignored when the log was truncated and then grew past its old length", async () => {
    const { dir, items } = await poisonedStore(3);
    const lines = readFileSync(items, "utf8").split("\n");
    truncateSync(items, Buffer.byteLength(`${lines[0]}\n`));
    for (let i = 0; i < 3; i += 1) {
      appendFileSync(items, `${JSON.stringify(makeItem({ title: `a much longer title than the lines it replaced, to pass the old size ${i}` }))}\n`);
    }
    expect(await counts(dir)).toMatchObject({ blocked: 0, open: 4 });
  });

  it("is ignored after compaction", async () => {
    const { dir } = await poisonedStore();
    await open(dir).cleanup({ cutoff: "2000-01-01T00:00:00.000Z", dryRun: false });
    expect(await counts(dir)).toMatchObject({ blocked: 0, open: 5 });
  });

  it("is ignored when a line in the middle was edited in place, even at the same length", async () => {
    const { dir, items } = await poisonedStore();
    const text = readFileSync(items, "utf8");
    const at = text.indexOf('"status":"open"', text.indexOf("\n") + 1);
    const fd = openSync(items, "r+");
    writeSync(fd, '"status":"done"', at);
    closeSync(fd);
    expect(await counts(dir)).toMatchObject({ blocked: 0, open: 4, done: 1 });
  });

  it("is ignored when the log was rewritten in place with other content", async () => {
    const { dir, items } = await poisonedStore();
    const text = readFileSync(items, "utf8").replaceAll('"status":"open"', '"status":"in_progress"');
    writeFileSync(items, text);
    expect(await counts(dir)).toMatchObject({ blocked: 0, in_progress: 5 });
  });

  it("is ignored, and rebuilt, when it is unreadable", async () => {
    const { dir } = await poisonedStore();
    writeFileSync(indexFile(dir), "{ not an index");
    expect(await counts(dir)).toMatchObject({ blocked: 0, open: 5 });
    expect(loadSavedIndex(itemsIndex, indexFile(dir))?.state.size).toBe(5);
  });

  it("is written by a command whose write committed, never by one that fails, plans or cleans up", async () => {
    const dir = tempDir();
    const failing = open(dir);
    await expect(failing.write(async (tx) => {
      tx.putItem(makeItem());
      throw new Error("refused");
    })).rejects.toThrow("refused");
    await failing.close("failed");
    const planner = open(dir);
    await planner.write(async (tx) => tx.putItem(makeItem()), { dryRun: true });
    await planner.close("ok");
    expect(existsSync(indexFile(dir))).toBe(false);
    const reader = open(dir);
    await reader.listItems({}, { limit: null, offset: 0 });
    await reader.close("failed");
    expect(existsSync(indexFile(dir))).toBe(false);

    const writer = open(dir);
    await writer.write(async (tx) => tx.putItem(makeItem({ title: "committed" })));
    await writer.close("ok");
    // It covers the writer's own line: the next read parses nothing.
    const saved = loadSavedIndex(itemsIndex, indexFile(dir));
    expect(saved?.covered).toBe(readFileSync(join(dir, "items.jsonl")).length);
  });

  it("is checked byte for byte before a writer relies on it: an edit in place plus an append makes no duplicate dedupe key", async () => {
    // Enough items that the edited line is far from the head and tail windows a read checks.
    const { dir, items } = await poisonedStore(40);
    const lines = readFileSync(items, "utf8").split("\n");
    const target = JSON.parse(lines[20]) as { id: string; dedupe_key: string };
    const edited = `${target.dedupe_key.slice(0, -1)}${target.dedupe_key.endsWith("x") ? "y" : "x"}`;
    const text = readFileSync(items, "utf8");
    const fd = openSync(items, "r+");
    writeSync(fd, `"dedupe_key":"${edited}"`, Buffer.byteLength(text.slice(0, text.indexOf(`"dedupe_key":"${target.dedupe_key}"`))));
    closeSync(fd);
    appendFileSync(items, `${JSON.stringify(makeItem({ title: "appended" }))}\n`);

    const writer = open(dir);
    const found = await writer.write(async (tx) => {
      const byKey = await tx.findByDedupeKeys([edited, target.dedupe_key]);
      return { edited: byKey.get(edited)?.id ?? null, old: byKey.get(target.dedupe_key)?.id ?? null };
    });
    expect(found).toEqual({ edited: target.id, old: null });
    // What the writer rebuilt is the log's truth, poison gone.
    expect(await writer.dashboard("prod", TODAY, [])).toMatchObject({ status_counts: { blocked: 0, open: 41 } });
  });

  it("keeps reporting unreadable lines on every read", async () => {
    const dir = tempDir();
    const item = makeItem();
    writeFileSync(join(dir, "items.jsonl"), `${JSON.stringify(item)}\n{broken\n`);
    const first: string[] = [];
    const store = open(dir, first);
    await store.listItems({}, { limit: null, offset: 0 });
    await store.close("ok");
    const second: string[] = [];
    await open(dir, second).listItems({}, { limit: null, offset: 0 });
    expect(first).toHaveLength(1);
    expect(second).toEqual(first);
  });
});

describe("events index", () => {
  it("merges the two halves of a cold index whatever the length of an item's timeline", async () => {
    const { eventsIndex } = await import("../../src/store/jsonl-indexes.js");
    const into = new Map([["bl_000000000001", [0, 10]]]);
    const later = new Map([["bl_000000000001", Array.from({ length: 400_000 }, (_, i) => i)], ["bl_000000000002", [5, 6]]]);
    eventsIndex.merge(into, later);
    expect(into.get("bl_000000000001")).toHaveLength(400_002);
    expect(into.get("bl_000000000001")?.slice(0, 3)).toEqual([0, 10, 0]);
    expect(into.get("bl_000000000002")).toEqual([5, 6]);
  });
});

/**
 * The saved index is a cache: used while the log was only appended to, ignored as soon as the log
 * was replaced, truncated, compacted or edited. To tell which, every test poisons the saved index
 * (every entry "blocked"): a read that shows "blocked" used it; one that does not, ignored it.
 */
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSavedIndex, refreshIndex, saveIndex } from "../../src/store/jsonl-index.js";
import { eventsIndex, itemsIndex } from "../../src/store/jsonl-indexes.js";
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

/** Rewrites the first `search` in `file` as `replacement` (the same length) in place, as an editor might. */
function overwriteInPlace(file: string, search: string, replacement: string): void {
  const text = readFileSync(file, "utf8");
  const at = text.indexOf(search);
  if (at < 0 || Buffer.byteLength(search) !== Buffer.byteLength(replacement)) throw new Error(`cannot overwrite ${search} in place`);
  const fd = openSync(file, "r+");
  writeSync(fd, replacement, Buffer.byteLength(text.slice(0, at)));
  closeSync(fd);
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
    overwriteInPlace(items, `"dedupe_key":"${target.dedupe_key}"`, `"dedupe_key":"${edited}"`);
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

  it("is checked byte for byte before a writer reads an item by id through it, as for a dedupe key", async () => {
    const { dir, items } = await poisonedStore(40);
    const lines = readFileSync(items, "utf8").split("\n");
    const [early, late] = [JSON.parse(lines[10]) as { id: string }, JSON.parse(lines[30]) as { id: string; title: string }];
    // In place, same length: the later line becomes a newer version of the earlier item, then a line is appended.
    overwriteInPlace(items, `"id":"${late.id}"`, `"id":"${early.id}"`);
    appendFileSync(items, `${JSON.stringify(makeItem({ title: "appended" }))}\n`);

    const writer = open(dir);
    const seen = await writer.write(async (tx) => ({ early: (await tx.getItem(early.id))?.title ?? null, late: (await tx.getItem(late.id))?.title ?? null }));
    expect(seen).toEqual({ early: late.title, late: null });
  });

  it("is trusted by a writer without reading the log only while its stat proves it unchanged: an edit in place with its mtime set back is seen", async () => {
    const { dir, items } = await poisonedStore(40);
    // Built anew by a read: every covered byte read at the log's present stat.
    rmSync(indexFile(dir));
    await counts(dir);
    const saved = loadSavedIndex(itemsIndex, indexFile(dir));
    expect(saved?.verifiedAt).toBe(String(statSync(items, { bigint: true }).ctimeNs));
    const lines = readFileSync(items, "utf8").split("\n");
    const target = JSON.parse(lines[20]) as { id: string; dedupe_key: string };
    const edited = `${target.dedupe_key.slice(0, -1)}${target.dedupe_key.endsWith("x") ? "y" : "x"}`;
    const before = statSync(items, { bigint: true });
    overwriteInPlace(items, `"dedupe_key":"${target.dedupe_key}"`, `"dedupe_key":"${edited}"`);
    // `touch -d`: the mtime set back to the nanosecond, the size the same; only the ctime tells.
    const ns = before.mtimeNs % 1_000_000_000n;
    execFileSync("touch", ["-m", "-d", `@${before.mtimeNs / 1_000_000_000n}.${String(ns).padStart(9, "0")}`, items]);
    const after = statSync(items, { bigint: true });
    expect([after.size, after.mtimeNs]).toEqual([before.size, before.mtimeNs]);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);

    const writer = open(dir);
    const found = await writer.write(async (tx) => {
      const byKey = await tx.findByDedupeKeys([edited, target.dedupe_key]);
      return { edited: byKey.get(edited)?.id ?? null, old: byKey.get(target.dedupe_key)?.id ?? null };
    });
    expect(found).toEqual({ edited: target.id, old: null });
  });

  it("is not trusted on its stat when it was written in the same clock tick as the log's ctime, or before it (git's racy rule)", async () => {
    // A header that claims the present stat of a log edited in place (as if the edit fell in the
    // same tick as the read that made it): only an index file newer than that ctime is believed.
    const setUp = async () => {
      const { dir, items } = await poisonedStore(40);
      rmSync(indexFile(dir));
      await counts(dir);
      const lines = readFileSync(items, "utf8").split("\n");
      const target = JSON.parse(lines[20]) as { id: string; dedupe_key: string };
      const edited = `${target.dedupe_key.slice(0, -1)}${target.dedupe_key.endsWith("x") ? "y" : "x"}`;
      overwriteInPlace(items, `"dedupe_key":"${target.dedupe_key}"`, `"dedupe_key":"${edited}"`);
      const saved = loadSavedIndex(itemsIndex, indexFile(dir));
      if (saved === null) throw new Error("no saved index");
      const now = statSync(items, { bigint: true });
      const identity = { ...saved.identity, size: Number(now.size), mtime: String(now.mtimeNs), ctime: String(now.ctimeNs) };
      saveIndex(itemsIndex, indexFile(dir), { ...saved, identity, verifiedAt: identity.ctime });
      return { dir, items, edited, target, ctime: now.ctime };
    };
    const lookUpKey = async (dir: string, key: string) => {
      const writer = open(dir);
      return writer.write(async (tx) => (await tx.findByDedupeKeys([key])).get(key)?.id ?? null);
    };
    const older = await setUp();
    utimesSync(indexFile(older.dir), new Date(older.ctime.getTime() - 1000), new Date(older.ctime.getTime() - 1000));
    expect(await lookUpKey(older.dir, older.edited), "index file older than the log's ctime: the log is read").toBe(older.target.id);
    // The same forged header in a file written later is believed: the rule, not chance, decided above.
    const newer = await setUp();
    utimesSync(indexFile(newer.dir), new Date(newer.ctime.getTime() + 1000), new Date(newer.ctime.getTime() + 1000));
    expect(await lookUpKey(newer.dir, newer.edited)).toBeNull();
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

describe("cold index built by two threads", () => {
  const worker = new URL("../../dist/index-worker.js", import.meta.url);

  /** A log of items, some versions of an item in each half, an unreadable line and a value read in another case. */
  function log(dir: string) {
    const items = Array.from({ length: 40 }, (_, i) => makeItem({ title: `item ${i}` }));
    const lines = items.map((item) => JSON.stringify(item));
    lines.splice(7, 0, "{ not json");
    lines.push(...items.slice(0, 20).map((item, i) => JSON.stringify({ ...item, status: i % 2 ? "blocked" : "DONE", updated_at: "2026-02-02T00:00:00.000Z" })));
    lines.push("[]");
    const path = join(dir, "items.jsonl");
    writeFileSync(path, `${lines.join("\n")}\n`);
    return path;
  }

  async function build(path: string, workerUrl: URL | null) {
    const fd = openSync(path, "r");
    try {
      const r = await refreshIndex(itemsIndex, fd, null, workerUrl ? { workerUrl, minBytes: 1 } : undefined, Number.POSITIVE_INFINITY, false);
      return { entries: [...r.state.entries()], bad: r.bad, notes: r.notes, lines: r.lines, covered: r.covered };
    } finally {
      closeSync(fd);
    }
  }

  it("gives what one thread gives: the later version of an item wins, its unreadable lines and notes numbered as in the log", async () => {
    expect(existsSync(worker)).toBe(true);
    const path = log(tempDir());
    const one = await build(path, null);
    expect(one.bad).toEqual([8, 62]);
    expect(one.notes.length).toBeGreaterThan(0);
    expect(one.entries.filter(([, e]) => e.status === "blocked")).toHaveLength(10);
    expect(await build(path, worker)).toEqual(one);
  });

  it("is left to this thread when the worker fails or sends back something that is not an index", async () => {
    const dir = tempDir();
    const path = log(dir);
    const one = await build(path, null);
    const throws = join(dir, "throws.mjs");
    writeFileSync(throws, 'throw new Error("no worker");\n');
    const garbage = join(dir, "garbage.mjs");
    writeFileSync(garbage, 'import { parentPort } from "node:worker_threads";\nconst b = new Uint8Array(64).fill(7);\nparentPort.postMessage(b, [b.buffer]);\n');
    const silent = join(dir, "silent.mjs");
    writeFileSync(silent, "\n");
    for (const script of [throws, garbage, silent]) expect(await build(path, new URL(`file://${script}`))).toEqual(one);
  });
});

describe("items index", () => {
  it("holds each field of an item's latest version, whether a version changed it or repeated it", () => {
    const state = itemsIndex.empty();
    const first = makeItem({ due_date: "2026-03-01", dedupe_key: "gen:a", status: "open" });
    const versions = [
      first,
      { ...first, updated_at: "2026-02-02T00:00:00.000Z", status: "in_progress" },
      { ...first, updated_at: "2026-02-03T00:00:00.000Z", due_date: "2026-04-01", dedupe_key: "gen:b", created_at: "2026-01-01T00:00:00.000Z" },
      { ...first, updated_at: "2026-02-04T00:00:00.000Z", due_date: "2026-04-01", dedupe_key: "gen:b", created_at: "2026-01-01T00:00:00.000Z" },
    ] as const;
    let off = 0;
    for (const v of versions) {
      const line = JSON.stringify(v);
      expect(itemsIndex.add(state, line, off, line.length, () => undefined)).toBe(true);
      off += line.length + 1;
    }
    const last = JSON.stringify(versions[3]);
    expect(state.get(first.id)).toMatchObject({
      status: "open", due_date: "2026-04-01", dedupe_key: "gen:b", created_at: "2026-01-01T00:00:00.000Z",
      updated_at: "2026-02-04T00:00:00.000Z", off: off - last.length - 1, len: last.length,
    });
  });
});

describe("events index", () => {
  it("holds each item's event positions in log order, short timelines and long", async () => {
    const { eventsIndex } = await import("../../src/store/jsonl-indexes.js");
    const state = eventsIndex.empty();
    // Interleaved items; a timeline crosses the length up to which its array is copied, not grown.
    const lengths = [1, 31, 32, 33, 120];
    const expected = new Map<string, number[]>();
    let off = 0;
    for (let round = 0; round < 120; round += 1) {
      lengths.forEach((length, k) => {
        if (round >= length) return;
        const itemId = `bl_00000000000${k}`;
        const line = JSON.stringify({ id: `ev_${String(round * 10 + k).padStart(12, "0")}`, item_id: itemId, ts: "2026-02-01T00:00:00.000Z", type: "comment", message: "", actor: "t", meta: {} });
        expect(eventsIndex.add(state, line, off, line.length, () => undefined)).toBe(true);
        expected.set(itemId, [...(expected.get(itemId) ?? []), off, line.length]);
        off += line.length + 1;
      });
    }
    expect(state).toEqual(expected);
  });

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

describe("one id through the saved indexes (get)", () => {
  const event = (itemId: string, n: number) => ({ id: `ev_${itemId.slice(3, 11)}${String(n).padStart(4, "0")}`, item_id: itemId, ts: `2026-02-0${n}T00:00:00.000Z`, type: "comment" as const, message: `note ${n}`, actor: "t", meta: {} });

  /**
   * A store of items with one event each, its indexes saved, then poisoned: the saved indexes forget
   * the item `id` and its events. A `get` that answers null used them; one that finds it did not.
   */
  async function forgetful() {
    const dir = tempDir();
    const writer = open(dir);
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const item = makeItem({ title: `item ${i}` });
      ids.push(item.id);
      await writer.write(async (tx) => {
        tx.putItem(item);
        tx.addEvent(event(item.id, 1));
      });
    }
    await writer.close("ok");
    const id = ids[20];
    await getOne(dir, id);
    for (const [kind, file] of [[itemsIndex, indexFile(dir)], [eventsIndex, join(dir, ".events.jsonl.index")]] as const) {
      const saved = loadSavedIndex<Map<string, unknown>>(kind as never, file);
      if (saved === null) throw new Error(`no saved ${file}`);
      saved.state.delete(id);
      saveIndex(kind as never, file, saved);
    }
    return { dir, id, other: ids[0], items: join(dir, "items.jsonl"), events: join(dir, "events.jsonl") };
  }

  async function getOne(dir: string, id: string, warnings: string[] = []) {
    const store = open(dir, warnings);
    const found = await store.getItemWithEvents(id);
    await store.close("ok");
    return found === null ? null : { title: found.item.title, events: found.events.map((e) => e.message) };
  }

  it("answers from the saved indexes while the logs are unchanged, and from the lines appended since", async () => {
    const { dir, id, other } = await forgetful();
    expect(await getOne(dir, id)).toBeNull();
    const writer = open(dir);
    await writer.write(async (tx) => {
      tx.putItem(makeItem({ id, title: "appended version" }));
      tx.addEvent(event(id, 2));
    });
    await writer.close("ok");
    // The forgotten first event stays forgotten: the index was used, and extended by the tail.
    expect(await getOne(dir, id)).toEqual({ title: "appended version", events: ["note 2"] });
    expect((await getOne(dir, other))?.events).toEqual(["note 1"]);
  });

  it("reads the log when the saved indexes no longer describe it: replaced, truncated, edited in place, corrupt, a link", async () => {
    const cases: Array<[string, (s: { dir: string; items: string; events: string }) => void]> = [
      ["log replaced", ({ items }) => {
        writeFileSync(`${items}.new`, readFileSync(items));
        renameSync(`${items}.new`, items);
      }],
      ["log edited in place at the head", ({ items }) => {
        const fd = openSync(items, "r+");
        writeSync(fd, "{", 0);
        closeSync(fd);
        // Same bytes, but written: mtime changed at the same length.
      }],
      ["index corrupt where a lookup reads (the ids)", ({ dir }) => {
        const bytes = readFileSync(indexFile(dir));
        bytes[bytes.indexOf("bl_") + 5] ^= 1;
        writeFileSync(indexFile(dir), bytes);
      }],
      ["index a link", ({ dir }) => {
        const victim = join(tempDir(), "victim");
        writeFileSync(victim, readFileSync(indexFile(dir)));
        rmSync(indexFile(dir));
        symlinkSync(victim, indexFile(dir));
      }],
      ["events log truncated and grown back", ({ dir, events }) => {
        rmSync(indexFile(dir));
        const text = readFileSync(events);
        truncateSync(events, 0);
        appendFileSync(events, text);
      }],
    ];
    for (const [what, change] of cases) {
      const s = await forgetful();
      change(s);
      const found = await getOne(s.dir, s.id);
      if (what.startsWith("events")) expect(found?.events, what).toEqual(["note 1"]);
      else expect(found?.title, what).toBe("item 20");
    }
  });

  it("reports the unreadable lines the saved indexes recorded and those appended since, as a whole read does", async () => {
    const { dir, other: id, items, events } = await forgetful();
    appendFileSync(items, "{broken item\n");
    appendFileSync(events, "{broken event\n");
    // Saved with the bad lines, by a read of everything.
    const reader = open(dir);
    await reader.dashboard("prod", TODAY, []);
    await reader.listEvents("bl_nothing");
    await reader.close("ok");
    appendFileSync(items, "{another\n");
    const looked: string[] = [];
    await getOne(dir, id, looked);
    expect(looked.map((w) => w.replace(`${dir}/`, "").split(": ")[0]).sort()).toEqual(["events.jsonl:41", "items.jsonl:41", "items.jsonl:42"]);
    // The same warnings as a read that builds both indexes from the logs.
    rmSync(indexFile(dir));
    rmSync(join(dir, ".events.jsonl.index"));
    const whole: string[] = [];
    await getOne(dir, id, whole);
    expect(looked.sort()).toEqual(whole.sort());
  });

  it("gives a writer the items it asks for by id, and reports an unreadable line once however many it asks", async () => {
    const { dir, id, other, items } = await forgetful();
    appendFileSync(items, "{broken item\n");
    const warnings: string[] = [];
    const writer = open(dir, warnings);
    const seen = await writer.write(async (tx) => {
      const first = await tx.getItem(other);
      const again = await tx.getItems([other, id, "bl_ffffffffffff"]);
      return [first?.title, [...again.keys()]];
    });
    // The poisoned saved index forgot `id`: a writer's lookup used it (after checking it against the log).
    expect(seen).toEqual(["item 0", [other]]);
    expect(warnings.filter((w) => w.includes("items.jsonl:41"))).toHaveLength(1);
  });

  it("gives a writer the items of some dedupe keys and the active generated items from the saved index, and from the lines appended since", async () => {
    const { dir, id, other, items } = await forgetful();
    const keyOf = new Map(readFileSync(items, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { id: string; dedupe_key: string }).map((item) => [item.id, item.dedupe_key]));
    const generated = "platform_backlog:2026-W07:prod:gateway:refactor";
    const ask = async () => {
      const writer = open(dir);
      const seen = await writer.write(async (tx) => {
        const byKey = await tx.findByDedupeKeys([keyOf.get(id) as string, keyOf.get(other) as string, generated]);
        const active = await tx.findActiveGenerated("platform_backlog", "prod");
        return { byKey: [...byKey.values()].map((item) => item.id), active: active.map((ref) => ref.id) };
      });
      await writer.close("ok");
      return seen;
    };
    // The poisoned saved index forgot `id`: the lookups used it (after checking it against the log).
    expect(await ask()).toEqual({ byKey: [other], active: [] });
    const writer = open(dir);
    await writer.write(async (tx) => tx.putItem(makeItem({ id: other, env: "prod", status: "open", dedupe_key: generated })));
    await writer.close("ok");
    // The appended version of `other` holds the generated key now, not its old one.
    expect(await ask()).toEqual({ byKey: [other], active: [other] });
  });

  it("reads the whole index, and saves it again, once enough was appended since it was saved", async () => {
    const { dir, id, items } = await forgetful();
    for (let i = 0; i < 400; i += 1) appendFileSync(items, `${JSON.stringify(makeItem({ description: "x".repeat(200) }))}\n`);
    expect(await getOne(dir, id)).toBeNull();
    expect(loadSavedIndex(itemsIndex, indexFile(dir))?.covered).toBe(readFileSync(items).length);
  });
});

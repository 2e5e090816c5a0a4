import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BacklogError, conflict } from "../../src/errors.js";
import { COMMIT_FILE } from "../../src/store/jsonl-commit.js";
import { writeFileAtomicallyFrom } from "../../src/store/jsonl-file.js";
import { JsonlStore } from "../../src/store/jsonl-store.js";
import { acquireDirLock } from "../../src/store/lock.js";
import { makeItem } from "../helpers/items.js";
import { tempDir } from "../helpers/temp.js";

const all = { limit: null, offset: 0 };

function open(dir: string, warnings: string[] = [], lockTimeoutMs?: number) {
  return new JsonlStore({ dir, warn: (m) => warnings.push(m), now: () => new Date("2026-02-16T06:20:00Z"), lockTimeoutMs });
}

const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l !== "");

describe("JSONL store", () => {
  it("ignores a torn last line on read, and the next writer quarantines it before appending", async () => {
    const dir = tempDir();
    const store = open(dir);
    const kept = makeItem();
    await store.write(async (tx) => tx.putItem(kept));
    const torn = JSON.stringify(makeItem()).slice(0, 40);
    appendFileSync(join(dir, "items.jsonl"), torn);

    const warnings: string[] = [];
    expect((await open(dir, warnings).listItems({}, all)).items.map((i) => i.id)).toEqual([kept.id]);
    expect(warnings).toEqual([]);

    const next = makeItem();
    await store.write(async (tx) => tx.putItem(next));
    const text = readFileSync(join(dir, "items.jsonl"), "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(lines(join(dir, "items.jsonl")).map((l) => JSON.parse(l).id)).toEqual([kept.id, next.id]);
    const quarantined = lines(join(dir, "items.jsonl.quarantine")).map((l) => JSON.parse(l));
    expect(quarantined).toEqual([expect.objectContaining({ reason: "torn_write", raw: torn, file: "items.jsonl" })]);
  });

  it("reports an unreadable line with file and line number, and cleanup moves it to quarantine", async () => {
    const dir = tempDir();
    const a = makeItem();
    const b = makeItem();
    writeFileSync(join(dir, "items.jsonl"), `${JSON.stringify(a)}\n{not json\n${JSON.stringify(b)}\n`);
    const warnings: string[] = [];
    const store = open(dir, warnings);
    expect((await store.listItems({}, all)).total).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${join(dir, "items.jsonl")}:2`);

    const report = await store.cleanup({ cutoff: "2000-01-01T00:00:00.000Z", dryRun: false });
    expect(report.quarantined).toBe(1);
    expect(lines(join(dir, "items.jsonl")).map((l) => JSON.parse(l).id)).toEqual([a.id, b.id]);
    expect(JSON.parse(lines(join(dir, "items.jsonl.quarantine"))[0])).toMatchObject({ reason: "unparseable", line: 2, raw: "{not json" });
  });

  it("reads files written by the reference Python store", async () => {
    const dir = tempDir();
    const python = [
      '{"id": "bl_0123456789ab", "created_at": "2026-02-16T06:20:00", "updated_at": "2026-02-16T06:25:00.123456", "service": "gateway", "category": "refactor", "title": "From Python", "dedupe_key": "platform_backlog:2026-W08:prod:gateway:refactor"}',
      '{"id": "bl_0123456789ab", "created_at": "2026-02-16T06:20:00", "updated_at": "2026-02-17T08:00:00", "service": "gateway", "category": "refactor", "title": "From Python", "status": "in_progress", "dedupe_key": "platform_backlog:2026-W08:prod:gateway:refactor"}',
    ];
    writeFileSync(join(dir, "items.jsonl"), `${python.join("\n")}\n`);
    writeFileSync(join(dir, "events.jsonl"), '{"id": "ev_0123456789ab", "item_id": "bl_0123456789ab", "ts": "2026-02-16T06:20:00", "type": "created", "message": "created", "actor": "scheduler", "meta": {}}\n');
    const store = open(dir);
    const item = await store.getItem("bl_0123456789ab");
    expect(item).toMatchObject({ status: "in_progress", env: "prod", priority: "P2", owner: "oncall", source: "manual", updated_at: "2026-02-17T08:00:00.000Z" });
    expect((await store.listEvents("bl_0123456789ab"))[0].ts).toBe("2026-02-16T06:20:00.000Z");
  });

  it("removes tmp files left by a killed compaction", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.write(async (tx) => tx.putItem(makeItem()));
    writeFileSync(join(dir, "items.jsonl.tmp-99999"), "half a compaction");
    await store.cleanup({ cutoff: "2000-01-01T00:00:00.000Z", dryRun: false });
    expect(existsSync(join(dir, "items.jsonl.tmp-99999"))).toBe(false);
    expect((await store.listItems({}, all)).total).toBe(1);
  });

  it("times out waiting for a lock held elsewhere with a storage error (exit 6)", async () => {
    const dir = tempDir();
    const held = await acquireDirLock(dir, 1000);
    try {
      const error = await open(dir, [], 100)
        .write(async (tx) => tx.putItem(makeItem()))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BacklogError);
      expect(error).toMatchObject({ code: "lock_timeout", exitCode: 6 });
    } finally {
      held.release();
    }
    await open(dir, [], 100).write(async (tx) => tx.putItem(makeItem()));
  });

  it("creates no directory when the first write fails", async () => {
    const dir = join(tempDir(), "fresh", "store");
    await expect(open(dir).write(async () => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    expect(existsSync(dir)).toBe(false);
  });

  it("cleanup counts superseded versions as lines before, and keeps one line per item", async () => {
    const dir = tempDir();
    const store = open(dir);
    const item = makeItem();
    for (const title of ["a", "b", "c"]) await store.write(async (tx) => tx.putItem({ ...item, title }));
    await store.write(async (tx) => tx.putItem(makeItem()));
    const report = await store.cleanup({ cutoff: "2000-01-01T00:00:00.000Z", dryRun: false });
    expect(report).toMatchObject({ lines_before: 4, lines_after: 2, deleted: 0 });
    expect(lines(join(dir, "items.jsonl")).map((l) => JSON.parse(l).title)).toEqual(["c", expect.any(String)]);
  });

  it("cleanup copies the kept lines byte for byte, a line longer than its copy buffer (4 MiB) too", async () => {
    const dir = tempDir();
    const store = open(dir);
    const long = makeItem({ description: `ünï ${"x".repeat(5 << 20)} ✓` });
    const small = Array.from({ length: 50 }, (_, i) => makeItem({ title: `t${i} \u2028 ü`, description: "d".repeat(100_000) }));
    const gone = makeItem({ status: "done", updated_at: "2020-01-01T00:00:00.000Z" });
    for (const item of [small[0], long, gone, ...small]) await store.write(async (tx) => tx.putItem(item));
    await store.write(async (tx) => tx.putItem({ ...small[3], title: "newer" }));
    const path = join(dir, "items.jsonl");
    const before = lines(path);
    const report = await store.cleanup({ cutoff: "2026-01-01T00:00:00.000Z", dryRun: false });
    expect(report).toMatchObject({ deleted: 1, lines_after: 51 });
    const after = readFileSync(path, "utf8");
    // Item k's line: the last line of its id, in the order the ids first appear.
    const byId = new Map<string, string>();
    for (const line of before) {
      const id = (JSON.parse(line) as { id: string }).id;
      if (id !== gone.id) byId.set(id, line);
    }
    expect(after).toBe(`${[...byId.values()].join("\n")}\n`);
  });

  it("a dry-run cleanup changes no byte", async () => {
    const dir = tempDir();
    const store = open(dir);
    const item = makeItem({ status: "done", updated_at: "2020-01-01T00:00:00.000Z" });
    await store.write(async (tx) => tx.putItem(item));
    await store.write(async (tx) => tx.putItem({ ...item, title: "again" }));
    appendFileSync(join(dir, "items.jsonl"), "{torn");
    const before = readFileSync(join(dir, "items.jsonl"));
    const report = await store.cleanup({ cutoff: "2026-01-01T00:00:00.000Z", dryRun: true });
    expect(report).toMatchObject({ deleted: 1, lines_before: 3, lines_after: 0, quarantined: 1 });
    expect(readFileSync(join(dir, "items.jsonl")).equals(before)).toBe(true);
    expect(existsSync(join(dir, "items.jsonl.quarantine"))).toBe(false);
  });
});

describe("a file written a part at a time (export --output)", () => {
  it("appears whole once written, and not at all (no temp file either) when writing it fails midway", async () => {
    const dir = tempDir();
    const path = join(dir, "out.jsonl");
    await writeFileAtomicallyFrom(path, async (write) => {
      for (const part of ["a\n", "ü\n", "c\n"]) write(part);
    });
    expect(readFileSync(path, "utf8")).toBe("a\nü\nc\n");
    const failed = writeFileAtomicallyFrom(join(dir, "failed.jsonl"), async (write) => {
      write("half\n");
      throw new Error("the store changed while it was read");
    });
    await expect(failed).rejects.toThrow("changed while it was read");
    expect(readdirSync(dir)).toEqual(["out.jsonl"]);
  });
});

describe("JSONL group commit (concurrent writes in one process)", () => {
  it("commits concurrent writes together: each sees the earlier ones, none is on disk before all are", async () => {
    const dir = tempDir();
    const store = open(dir);
    const items = join(dir, "items.jsonl");
    const first = makeItem({ title: "first" });
    await store.write(async (tx) => tx.putItem(first));
    const held = await acquireDirLock(dir, 1000);
    const seen: Array<{ onDisk: boolean; earlier: boolean }> = [];
    const rest = Array.from({ length: 20 }, (_, i) => makeItem({ title: `queued ${i}` }));
    const queued = rest.map((item, i) =>
      store.write(async (tx) => {
        // Runs before the group's lines are appended.
        const earlier = rest[Math.max(0, i - 1)];
        seen.push({ onDisk: i > 0 && readFileSync(items, "utf8").includes(earlier.id), earlier: i === 0 || (await tx.getItem(earlier.id)) !== null });
        tx.putItem(item);
        tx.addEvent({ id: `ev_${item.id}`, ts: item.created_at, item_id: item.id, type: "created", actor: "test", message: "", meta: {} });
        return item.id;
      }),
    );
    held.release();
    expect(await Promise.all(queued)).toEqual(rest.map((i) => i.id));
    expect(seen).toEqual(rest.map(() => ({ onDisk: false, earlier: true })));
    expect(lines(items).map((l) => JSON.parse(l).title)).toEqual(["first", ...rest.map((i) => i.title)]);
    expect(lines(join(dir, "events.jsonl"))).toHaveLength(20);
    expect(existsSync(join(dir, COMMIT_FILE))).toBe(false);
  });

  it("a write that fails in a group leaves nothing and fails alone; a taken dedupe key is seen across the group", async () => {
    const dir = tempDir();
    const store = open(dir);
    const held = await acquireDirLock(dir, 1000);
    const blocker = store.write(async (tx) => tx.putItem(makeItem({ title: "before" })));
    const claim = (title: string) =>
      store.write(async (tx) => {
        const key = "shared:key";
        if ((await tx.findByDedupeKeys([key])).has(key)) throw conflict("duplicate_dedupe_key", `${key} is taken`);
        tx.putItem(makeItem({ title, dedupe_key: key }));
      });
    const results = await Promise.allSettled([
      claim("one"),
      store.write(async (tx) => {
        tx.putItem(makeItem({ title: "half done" }));
        throw new Error("refused half-way");
      }),
      claim("two"),
      store.write(async (tx) => tx.putItem(makeItem({ title: "after" }))),
      (held.release(), blocker),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: "refused half-way" });
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ exitCode: 4 });
    expect(lines(join(dir, "items.jsonl")).map((l) => JSON.parse(l).title)).toEqual(["before", "one", "after"]);
  });
});

describe("JSONL store kept open (serve)", () => {
  it("answers many requests at once from one index, and sees another process's writes on the next request", async () => {
    const dir = tempDir();
    const seed = open(dir);
    for (let i = 0; i < 30; i += 1) await seed.write(async (tx) => tx.putItem(makeItem({ title: `seed ${i}`, status: i % 3 === 0 ? "done" : "open" })));
    const warnings: string[] = [];
    const server = open(dir, warnings);
    server.keepOpen();
    const openOnes = { statuses: ["open"] };
    const first = await Promise.all(Array.from({ length: 8 }, () => server.listItems(openOnes, all)));
    for (const r of first) expect(r.total).toBe(20);
    const dashboards = await Promise.all(Array.from({ length: 4 }, () => server.dashboard("prod", "2026-02-16", [])));
    for (const d of dashboards) expect(d.status_counts).toMatchObject({ open: 20, done: 10 });

    // Another process adds one and closes one: the same questions get new answers.
    const other = open(dir);
    const added = makeItem({ title: "from elsewhere" });
    const closing = first[0].items[0];
    await other.write(async (tx) => {
      tx.putItem(added);
      tx.putItem({ ...closing, status: "done", updated_at: "2026-02-16T07:00:00.000Z" });
    });
    const after = await server.listItems(openOnes, all);
    expect(after.total).toBe(20);
    expect(after.items.map((i) => i.id)).toContain(added.id);
    expect(after.items.map((i) => i.id)).not.toContain(closing.id);
    expect((await server.dashboard("prod", "2026-02-16", [])).status_counts).toMatchObject({ open: 20, done: 11 });

    // And its own write, through the same store.
    await server.write(async (tx) => tx.putItem(makeItem({ title: "mine" })));
    expect((await server.listItems(openOnes, all)).total).toBe(21);
    expect((await server.dashboard("prod", "2026-02-16", [])).total).toBe(32);
    expect(warnings).toEqual([]);
  });

  it("sees a line rewritten in place at the same length (no append), and a compaction by another process", async () => {
    const dir = tempDir();
    const item = makeItem({ title: "before" });
    const closed = makeItem({ status: "done", updated_at: "2020-01-01T00:00:00.000Z" });
    await open(dir).write(async (tx) => {
      tx.putItem(item);
      tx.putItem(closed);
      tx.addEvent({ id: "ev_000000000001", item_id: item.id, ts: "2026-02-01T00:00:00.000Z", type: "created", message: "created", actor: "a", meta: {} });
    });
    const server = open(dir);
    server.keepOpen();
    expect((await server.getItem(item.id))?.title).toBe("before");
    expect((await server.listEvents(item.id)).map((e) => e.message)).toEqual(["created"]);
    // Same bytes count, same offsets: only the stat's times tell.
    const itemsPath = join(dir, "items.jsonl");
    writeFileSync(itemsPath, readFileSync(itemsPath, "utf8").replace('"title":"before"', '"title":"BEFORE"'));
    const eventsPath = join(dir, "events.jsonl");
    writeFileSync(eventsPath, readFileSync(eventsPath, "utf8").replace('"message":"created"', '"message":"CREATED"'));
    expect((await server.getItem(item.id))?.title).toBe("BEFORE");
    expect((await server.listEvents(item.id)).map((e) => e.message)).toEqual(["CREATED"]);
    // Another process compacts (new files under the same names): the closed item is gone.
    await open(dir).cleanup({ cutoff: "2026-01-01T00:00:00.000Z", dryRun: false });
    expect(await server.getItem(closed.id)).toBeNull();
    expect((await server.listItems({}, all)).items.map((i) => i.id)).toEqual([item.id]);
    expect((await server.getItem(item.id))?.title).toBe("BEFORE");
  });

  it("reads up to a write in flight, and sees it once committed although the logs' stat did not change", async () => {
    const dir = tempDir();
    const first = makeItem();
    await open(dir).write(async (tx) => tx.putItem(first));
    const server = open(dir);
    server.keepOpen();
    expect((await server.listItems({}, all)).total).toBe(1);
    // A writer in the middle of its commit: the record holds the committed sizes, the line is appended.
    const itemsPath = join(dir, "items.jsonl");
    const eventsPath = join(dir, "events.jsonl");
    const size = (p: string) => (existsSync(p) ? readFileSync(p).length : 0);
    writeFileSync(join(dir, COMMIT_FILE), JSON.stringify({ items: size(itemsPath), events: size(eventsPath) }));
    const second = makeItem();
    appendFileSync(itemsPath, `${JSON.stringify(second)}\n`);
    for (let i = 0; i < 3; i += 1) {
      expect((await server.listItems({}, all)).total).toBe(1);
      expect(await server.getItem(second.id)).toBeNull();
    }
    // The writer ends its commit: only the record goes away.
    rmSync(join(dir, COMMIT_FILE));
    expect(await server.getItem(second.id)).toMatchObject({ id: second.id });
    expect((await server.listItems({}, all)).total).toBe(2);
  });

  it("answers a newer version of a cached item, and closes its logs when closed", async () => {
    const dir = tempDir();
    const item = makeItem({ title: "v1" });
    await open(dir).write(async (tx) => {
      tx.putItem(item);
      tx.addEvent({ id: "ev_000000000001", item_id: item.id, ts: "2026-02-01T00:00:00.000Z", type: "created", message: "created", actor: "a", meta: {} });
    });
    const server = open(dir);
    server.keepOpen();
    for (let i = 2; i <= 4; i += 1) {
      expect((await server.getItem(item.id))?.title).toBe(`v${i - 1}`);
      await open(dir).write(async (tx) => tx.putItem({ ...item, title: `v${i}` }));
    }
    expect((await server.getItem(item.id))?.title).toBe("v4");
    const held = readdirSync("/proc/self/fd").length;
    await server.close();
    expect(readdirSync("/proc/self/fd").length).toBe(held - 2);
  });
});

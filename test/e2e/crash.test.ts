import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliAsync, type CliResult } from "../helpers/cli.js";
import { readLog, seedStore } from "../helpers/store-files.js";
import { prng } from "../helpers/prng.js";
import { tempDir } from "../helpers/temp.js";


const SEED = Number(process.env.BACKLOG_CRASH_SEED ?? Date.now() % 1_000_000);

describe(`kill -9 at random moments (seed ${SEED})`, () => {
  it("every acknowledged write reads back, through writers and compactions killed mid-way", async () => {
    const random = prng(SEED);
    const dir = tempDir();
    const store = join(dir, "store");
    mkdirSync(store);
    // 2,000 items in 3 versions each; every fourth is done long ago, so compaction deletes too.
    const seeded = seedStore(store, 2000, 3, (i) => (i % 4 === 0 ? { status: "done", updated_at: "2025-01-01T00:00:00.000Z" } : {}));
    const openSeeded = seeded.filter((_, i) => i % 4 !== 0);
    const env = { BACKLOG_DIR: store, BACKLOG_ACTOR: "scheduler", BACKLOG_LOCK_TIMEOUT_MS: "60000" };
    const run = (args: string[], killAfterMs?: number) => cliAsync(args, { cwd: dir, env, killAfterMs });

    const ackedItems = new Set<string>();
    const ackedEvents = new Set<string>();
    let killed = 0;
    let compactionsKilled = 0;
    const record = (r: CliResult) => {
      if (r.signal === "SIGKILL") {
        killed += 1;
        return;
      }
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      if (out.item?.id && out.action === "created") ackedItems.add(out.item.id);
      if (out.event?.id) ackedEvents.add(out.event.id);
    };

    for (let round = 0; round < 8; round += 1) {
      const kill = () => (random() < 0.6 ? Math.floor(40 + random() * 260) : undefined);
      const jobs: Array<Promise<void>> = [];
      for (let w = 0; w < 5; w += 1) {
        const target = openSeeded[Math.floor(random() * openSeeded.length)];
        const args =
          w % 2 === 0
            ? ["create", "--service", "crash", "--category", "refactor", "--title", `round ${round} writer ${w}`, "--json"]
            : ["comment", target, `round ${round} writer ${w}`, "--json"];
        jobs.push(run(args, kill()).then(record));
      }
      const cleanupKill = Math.floor(40 + random() * 400);
      jobs.push(
        run(["cleanup", "--json"], cleanupKill).then((r) => {
          if (r.signal === "SIGKILL") compactionsKilled += 1;
          else expect(r.code, r.stderr).toBe(0);
        }),
      );
      await Promise.all(jobs);

      // After every round, from a fresh process: all that was acknowledged is there.
      const listed = await run(["list", "--all", "--json"]);
      expect(listed.code, listed.stderr).toBe(0);
      const ids = new Set((JSON.parse(listed.stdout) as Array<{ id: string }>).map((i) => i.id));
      for (const id of ackedItems) expect(ids.has(id), `round ${round}: item ${id}`).toBe(true);
      const eventIds = new Set(readLog(store, "events.jsonl").map((e) => e.id as string));
      for (const id of ackedEvents) expect(eventIds.has(id), `round ${round}: event ${id}`).toBe(true);
      for (const id of openSeeded) expect(ids.has(id), `round ${round}: seeded ${id}`).toBe(true);

      // One commit: in what a reader sees, every item version written in the storm has its event,
      // and every event its item (compaction removes events before their items, never after).
      const exported = await run(["export"]);
      expect(exported.code, exported.stderr).toBe(0);
      const records = exported.stdout.trim().split("\n").map((l) => JSON.parse(l) as { item?: Record<string, string>; event?: Record<string, string> });
      const exportedItems = new Map(records.filter((r) => r.item).map((r) => [r.item?.id as string, r.item as Record<string, string>]));
      const exportedEvents = records.filter((r) => r.event).map((r) => r.event as Record<string, string>);
      const created = new Set(exportedEvents.filter((e) => e.type === "created").map((e) => e.item_id));
      for (const item of exportedItems.values()) {
        if (item.service === "crash") expect(created.has(item.id), `round ${round}: item ${item.id} has no event`).toBe(true);
      }
      for (const event of exportedEvents) expect(exportedItems.has(event.item_id), `round ${round}: event ${event.id} has no item`).toBe(true);
    }
    expect(killed + compactionsKilled).toBeGreaterThan(0);

    // A final, uninterrupted compaction leaves one clean line per live item and no tmp file.
    const final = await run(["cleanup", "--json"]);
    expect(final.code, final.stderr).toBe(0);
    const items = readLog(store, "items.jsonl");
    const present = new Set(items.map((i) => i.id as string));
    expect(present.size).toBe(items.length);
    for (const id of [...openSeeded, ...ackedItems]) expect(present.has(id), id).toBe(true);
    const expired = seeded.filter((_, i) => i % 4 === 0);
    expect(expired.filter((id) => present.has(id))).toEqual([]);
    expect(readdirSync(store).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });
});

describe(`an import killed at random moments (seed ${SEED})`, () => {
  it("leaves the store as before it, or holds the whole import: never a part", async () => {
    const random = prng(SEED + 1);
    const dir = tempDir();
    const source = join(dir, "source");
    mkdirSync(source);
    // 6,000 items and their events to import: long enough (several batches, several MiB) to be killed mid-way.
    seedStore(source, 6000, 1);
    const env = (store: string) => ({ BACKLOG_DIR: store, BACKLOG_ACTOR: "scheduler", BACKLOG_LOCK_TIMEOUT_MS: "60000" });
    const exported = await cliAsync(["export", "--output", join(dir, "all.jsonl")], { cwd: dir, env: env(source) });
    expect(exported.code, exported.stderr).toBe(0);
    // How long a whole import takes here: each import below is killed somewhere inside that time.
    const timed = join(dir, "timed");
    mkdirSync(timed);
    const started = Date.now();
    const whole = await cliAsync(["import", join(dir, "all.jsonl"), "--json"], { cwd: dir, env: env(timed) });
    expect(whole.code, whole.stderr).toBe(0);
    const took = Date.now() - started;
    let killed = 0;
    for (let round = 0; round < 4; round += 1) {
      const store = join(dir, `store-${round}`);
      mkdirSync(store);
      const created = await cliAsync(["create", "--service", "before", "--category", "refactor", "--title", "there before", "--json"], { cwd: dir, env: env(store) });
      expect(created.code, created.stderr).toBe(0);
      const before = await cliAsync(["export"], { cwd: dir, env: env(store) });
      const r = await cliAsync(["import", join(dir, "all.jsonl"), "--json"], { cwd: dir, env: env(store), killAfterMs: Math.floor(took * (0.15 + random() * 0.7)) });
      const after = await cliAsync(["export"], { cwd: dir, env: env(store) });
      expect(after.code, after.stderr).toBe(0);
      if (r.signal === "SIGKILL") {
        killed += 1;
        expect(after.stdout, `round ${round}: a killed import shows nothing`).toBe(before.stdout);
        // The next writer cuts the unfinished commit back and imports it all.
        const again = await cliAsync(["import", join(dir, "all.jsonl"), "--json"], { cwd: dir, env: env(store) });
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout)).toEqual({ items: 6000, events: 6000 });
      } else {
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual({ items: 6000, events: 6000 });
      }
      const listed = await cliAsync(["list", "--all", "--json", "--fields", "id"], { cwd: dir, env: env(store) });
      expect((JSON.parse(listed.stdout) as unknown[]).length, `round ${round}`).toBe(6001);
    }
    expect(killed).toBeGreaterThan(0);
  });
});

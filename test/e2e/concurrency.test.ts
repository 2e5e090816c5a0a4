import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliAsync, type CliResult } from "../helpers/cli.js";
import { readLog } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";

function setup() {
  const dir = tempDir();
  const store = join(dir, "store");
  mkdirSync(store);
  const run = (args: string[], actor = "alice") => cliAsync(args, { cwd: dir, env: { BACKLOG_DIR: store, BACKLOG_ACTOR: actor, BACKLOG_LOCK_TIMEOUT_MS: "60000" } });
  return { dir, store, run };
}

const parse = (r: CliResult) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe("concurrent writers", () => {
  it("8 writer processes and a cleanup loop: every acknowledged write is there, once, untorn", async () => {
    const { store, run } = setup();
    const ackedItems: string[] = [];
    const ackedEvents: string[] = [];
    let writing = true;

    const lane = async (n: number) => {
      for (let i = 0; i < 5; i += 1) {
        const created = parse(await run(["create", "--service", `lane-${n}`, "--category", "refactor", "--title", `lane ${n} item ${i}`, "--dedupe-key", `lane:${n}:${i}`, "--json"]));
        ackedItems.push(created.item.id);
        const moved = parse(await run(["set-status", created.item.id, "in_progress", "--json"]));
        ackedEvents.push(moved.event.id);
        const commented = parse(await run(["comment", created.item.id, `note ${n}/${i}`, "--json"]));
        ackedEvents.push(commented.event.id);
      }
    };
    let cleanups = 0;
    const cleaner = async () => {
      while (writing) {
        parse(await run(["cleanup", "--json"], "scheduler"));
        cleanups += 1;
      }
    };
    const cleaning = cleaner();
    await Promise.all(Array.from({ length: 8 }, (_, n) => lane(n)));
    writing = false;
    await cleaning;
    expect(cleanups).toBeGreaterThan(0);

    const items = readLog(store, "items.jsonl");
    const latest = new Map(items.map((i) => [i.id as string, i]));
    expect(latest.size).toBe(40);
    for (const id of ackedItems) expect(latest.get(id)?.status, id).toBe("in_progress");
    const keys = [...latest.values()].map((i) => i.dedupe_key);
    expect(new Set(keys).size).toBe(40);

    const events = readLog(store, "events.jsonl");
    const eventIds = events.map((e) => e.id as string);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    for (const id of ackedEvents) expect(eventIds).toContain(id);
    expect(events.filter((e) => e.type === "created")).toHaveLength(40);

    parse(await run(["cleanup", "--json"], "scheduler"));
    expect(readLog(store, "items.jsonl")).toHaveLength(40);
  });

  it("racing transitions from one status have exactly one winner", async () => {
    const { run } = setup();
    for (let round = 0; round < 4; round += 1) {
      const item = parse(await run(["create", "--service", "race", "--category", "refactor", "--json"])).item;
      const results = await Promise.all(Array.from({ length: 8 }, () => run(["set-status", item.id, "in_progress", "--json"])));
      // The first makes the transition; the rest find it already made: exit 0, no event (retry-safe).
      expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
      const events = results.map((r) => parse(r).event);
      expect(events.filter((e) => e !== null)).toHaveLength(1);
      for (const loser of results.filter((r) => parse(r).event === null)) expect(loser.stderr).toContain("already in_progress");
      const timeline = parse(await run(["get", item.id, "--json"])).events;
      expect(timeline.filter((e: { type: string }) => e.type === "status_change")).toHaveLength(1);
    }
  });

  it("racing creates of one dedupe key have exactly one winner", async () => {
    const { store, run } = setup();
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => run(["create", "--service", "race", "--category", "security", "--dedupe-key", "one:key", "--title", `racer ${n}`, "--json"])));
    expect(results.map((r) => r.code).sort()).toEqual([0, 4, 4, 4, 4, 4, 4, 4]);
    expect(readLog(store, "items.jsonl")).toHaveLength(1);
  });
});

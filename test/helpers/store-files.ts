/** Direct reads of a JSONL store's files, to check what is on disk independently of the CLI. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { json, type CliResult } from "./cli.js";

/** Every complete line parsed; throws on a line that is not JSON (a torn or corrupt line). */
export function readLog(dir: string, file: "items.jsonl" | "events.jsonl"): Array<Record<string, unknown>> {
  const path = join(dir, file);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const complete = text.endsWith("\n") || text === "" ? lines.slice(0, -1) : lines.slice(0, -1);
  return complete.map((line, i) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${file}:${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
  });
}

/** Writes a store of `count` items, each in `versions` versions, with one event per version. */
export function seedStore(dir: string, count: number, versions: number, over: (i: number) => Record<string, unknown> = () => ({})): string[] {
  const items: string[] = [];
  const events: string[] = [];
  const ids: string[] = [];
  for (let v = 0; v < versions; v += 1) {
    for (let i = 0; i < count; i += 1) {
      const id = `bl_${(0x100000 + i).toString(16).padStart(12, "0")}`;
      if (v === 0) ids.push(id);
      items.push(
        JSON.stringify({
          id,
          created_at: "2026-01-01T00:00:00.000Z",
          updated_at: `2026-01-0${v + 1}T00:00:00.000Z`,
          env: "prod",
          service: `svc-${i % 40}`,
          category: "refactor",
          title: `Seeded item ${i} v${v}`,
          description: "Seeded for a test. ".repeat(10),
          priority: "P2",
          status: "open",
          owner: "oncall",
          due_date: "2026-03-01",
          source: "manual",
          dedupe_key: `seed:${i}`,
          evidence_refs: { alerts: [], incidents: [], release_checks: [], artifacts: [], followups: [] },
          tags: [],
          meta: {},
          ...over(i),
        }),
      );
      events.push(JSON.stringify({ id: `ev_${(0x200000 + v * count + i).toString(16).padStart(12, "0")}`, item_id: id, ts: "2026-01-01T00:00:00.000Z", type: v === 0 ? "created" : "auto_update", message: "seed", actor: "seed", meta: {} }));
    }
  }
  writeFileSync(join(dir, "items.jsonl"), `${items.join("\n")}\n`);
  writeFileSync(join(dir, "events.jsonl"), `${events.join("\n")}\n`);
  return ids;
}

/** What each reader of a store shows, through the CLI: ids listed (every status), items and events exported, events logged. */
export function readerViews(run: (args: string[]) => CliResult) {
  const ok = (args: string[]) => {
    const r = run(args);
    expect(r.code, r.stderr).toBe(0);
    return r;
  };
  const listed = json(ok(["list", "--status", "all", "--all", "--json"])) as Array<{ id: string }>;
  const records = ok(["export"]).stdout.trim().split("\n").map((l) => JSON.parse(l));
  const logged = json(ok(["log", "--json"])) as Array<{ id: string; item_id: string }>;
  return {
    listed: listed.map((i) => i.id).sort(),
    exportedItems: records.filter((r) => r.item).map((r) => r.item.id as string).sort(),
    exportedEvents: records.filter((r) => r.event).map((r) => r.event as { id: string; item_id: string }),
    logged,
  };
}

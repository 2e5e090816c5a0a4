/**
 * The week-over-week reads give the same answers on every backend: one seeded history of items
 * and events written to memory, JSONL and (when a server is available) PostgreSQL, then
 * `report`, `eventLog` and `findActiveGenerated` compared with each other and with the pure
 * aggregation over rows built straight from the history.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type BacklogEvent, type BacklogItem, emptyEvidence } from "../../src/domain/item.js";
import { aggregateReport, closedAt, reportFrames } from "../../src/domain/report.js";
import { JsonlStore } from "../../src/store/jsonl-store.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { PgStore } from "../../src/store/pg/pg-store.js";
import type { Store } from "../../src/store/types.js";
import { freshDatabase, POSTGRES } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-03-18T12:00:00Z");
const DAY = 86_400_000;

function history() {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const items: BacklogItem[] = [];
  const events: BacklogEvent[] = [];
  let eventNo = 0;
  const event = (item: BacklogItem, ts: number, type: BacklogEvent["type"], meta: Record<string, unknown>, actor = "scheduler") =>
    events.push({ id: `ev_${(eventNo++).toString(16).padStart(12, "0")}`, item_id: item.id, ts: new Date(ts).toISOString(), type, message: type, actor, meta });
  for (let i = 0; i < 240; i += 1) {
    const created = NOW.getTime() - Math.floor(random() * 70 * DAY);
    const service = pick(["gateway", "billing", "search", "auth"]);
    const category = pick(["arch_review", "refactor", "slo_hardening"]);
    const week = "2026-W02";
    const generated = random() < 0.5;
    const item: BacklogItem = {
      id: `bl_${i.toString(16).padStart(12, "0")}`,
      created_at: new Date(created).toISOString(),
      updated_at: new Date(created).toISOString(),
      env: pick(["prod", "prod", "staging"]),
      service,
      category,
      title: `item ${i}`,
      description: "",
      priority: pick(["P0", "P1", "P2", "P3"] as const),
      status: "open",
      owner: "oncall",
      due_date: random() < 0.2 ? "" : new Date(created + Math.floor(random() * 30) * DAY).toISOString().slice(0, 10),
      source: generated ? "digest" : "manual",
      dedupe_key: generated ? `platform_backlog:${week}:x${i}:${service}:${category}` : `manual:bl_${i}`,
      evidence_refs: emptyEvidence(),
      tags: [],
      meta: {},
    };
    event(item, created, "created", {});
    const fate = random();
    if (fate < 0.55) {
      const status = fate < 0.4 ? "done" : "canceled";
      const closed = Math.min(NOW.getTime() - 1000, created + Math.floor(random() * 20 * DAY) + 1000);
      item.status = status;
      item.updated_at = new Date(closed + (random() < 0.3 ? 5 * DAY : 0)).toISOString();
      // Some closed items have no status_change event (imported): their updated_at counts.
      if (random() < 0.85) event(item, closed, "status_change", { from: "open", to: status }, pick(["alice", "bob"]));
    } else if (fate < 0.7) {
      item.status = "in_progress";
      event(item, created + DAY, "status_change", { from: "open", to: "in_progress" }, "alice");
    }
    items.push(item);
  }
  return { items, events };
}

const opened: Store[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

async function stores(): Promise<Array<[string, Store]>> {
  const list: Array<[string, Store]> = [
    ["memory", new MemoryStore()],
    ["jsonl", new JsonlStore({ dir: tempDir(), warn: () => undefined, now: () => NOW })],
  ];
  if (POSTGRES.dsn) {
    const pg = new PgStore({ dsn: await freshDatabase(), lockTimeoutMs: 10_000 });
    await pg.migrate(false);
    opened.push(pg);
    list.push(["postgres", pg]);
  }
  const { items, events } = history();
  for (const [, store] of list) {
    await store.write(async (tx) => {
      for (const item of items) tx.putItem(item);
      for (const e of events) tx.addEvent(e);
    });
  }
  return list;
}

describe("week-over-week reads on every backend", () => {
  it("report, eventLog and findActiveGenerated agree with each other and with the pure aggregation", async () => {
    const list = await stores();
    expect(list.map(([name]) => name)).toEqual(POSTGRES.dsn ? ["memory", "jsonl", "postgres"] : ["memory", "jsonl"]);
    const { items, events } = history();
    const frames = reportFrames(NOW, 12);
    for (const env of ["prod", "staging"]) {
      const rows = items
        .filter((i) => i.env === env)
        .map((i) => ({ service: i.service, created_at: i.created_at, due_date: i.due_date, status: i.status, closed_at: closedAt(i, events.filter((e) => e.item_id === i.id)) }));
      const expected = aggregateReport(rows, env, frames);
      expect(expected.weeks.reduce((n, w) => n + w.done, 0)).toBeGreaterThan(10);
      for (const [name, store] of list) expect({ name, report: await store.report(env, frames) }).toEqual({ name, report: expected });
    }
    const queries = [
      { since: new Date(NOW.getTime() - 14 * DAY).toISOString(), limit: 1000 },
      { since: new Date(NOW.getTime() - 30 * DAY).toISOString(), env: "staging", limit: 1000 },
      { since: "2000-01-01T00:00:00.000Z", actor: "alice", type: "status_change", service: "gateway", limit: 5 },
    ];
    for (const q of queries) {
      const [, first] = list[0];
      const expected = await first.eventLog(q);
      expect(expected.length).toBeGreaterThan(0);
      for (const [name, store] of list.slice(1)) expect({ name, log: await store.eventLog(q) }).toEqual({ name, log: expected });
    }
    for (const [name, store] of list) {
      const active = await store.write(async (tx) => tx.findActiveGenerated("platform_backlog", "prod"), { dryRun: true });
      const want = items.filter((i) => i.env === "prod" && i.source === "digest" && i.status !== "done" && i.status !== "canceled").map((i) => i.id);
      expect({ name, ids: active.map((i) => i.id).sort() }).toEqual({ name, ids: want.sort() });
    }
    // Keys under the prefix but not of the generated format form no series: no store finds them.
    const [template] = items.filter((i) => i.env === "prod" && i.source === "digest" && i.status === "open");
    const odd = ["platform_backlog:2026-W05:prod:gateway:refactor:0", "platform_backlog:adhoc", "platform_backlog:W05:prod:gateway:refactor"];
    for (const [name, store] of list) {
      const active = await store.write(
        async (tx) => {
          odd.forEach((dedupe_key, i) => tx.putItem({ ...template, id: `bl_0dd00000000${i}`, dedupe_key }));
          return tx.findActiveGenerated("platform_backlog", "prod");
        },
        { dryRun: true },
      );
      expect({ name, odd: active.filter((ref) => ref.id.startsWith("bl_0dd")) }).toEqual({ name, odd: [] });
      expect({ name, found: active.some((ref) => ref.id === template.id) }).toEqual({ name, found: true });
    }
  });
});

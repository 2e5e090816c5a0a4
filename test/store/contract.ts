/**
 * The contract every Store implementation must meet. Each backend's test file calls
 * `storeContract` with a factory for a fresh, empty store.
 */
import { describe, expect, it } from "vitest";
import type { BacklogEvent, BacklogItem } from "../../src/domain/item.js";
import { type ItemFilter, type Page, queryItems } from "../../src/domain/query.js";
import { aggregateReport, reportFrames } from "../../src/domain/report.js";
import type { Store } from "../../src/store/types.js";
import { makeItem } from "../helpers/items.js";

export type StoreFactory = () => Promise<{ store: Store; reopen: () => Promise<Store> }>;

let eventCounter = 0;
const makeEvent = (itemId: string, over: Partial<BacklogEvent> = {}): BacklogEvent => {
  eventCounter += 1;
  return { id: `ev_${eventCounter.toString(16).padStart(12, "0")}`, item_id: itemId, ts: "2026-02-01T00:00:00.000Z", type: "created", message: "created", actor: "t", meta: {}, ...over };
};

async function putAll(store: Store, items: BacklogItem[], events: BacklogEvent[] = []) {
  await store.write(async (tx) => {
    for (const item of items) tx.putItem(item);
    for (const event of events) tx.addEvent(event);
  });
}

const all = { limit: null, offset: 0 };

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    it("starts empty", async () => {
      const { store } = await factory();
      expect(await store.listItems({}, all)).toEqual({ items: [], total: 0 });
      expect(await store.getItem("bl_000000000000")).toBeNull();
      expect(await store.listEvents("bl_000000000000")).toEqual([]);
    });

    it("reads back what was written, after reopening", async () => {
      const { store, reopen } = await factory();
      const item = makeItem({ tags: ["x"], meta: { nested: { a: [1, 2] } }, evidence_refs: { alerts: ["A"], incidents: [], release_checks: [], artifacts: [], followups: [] } });
      const event = makeEvent(item.id);
      await putAll(store, [item], [event]);
      const again = await reopen();
      expect(await again.getItem(item.id)).toEqual(item);
      expect(await again.listEvents(item.id)).toEqual([event]);
    });

    it("keeps the last version of an item", async () => {
      const { store, reopen } = await factory();
      const item = makeItem();
      await putAll(store, [item]);
      await putAll(store, [{ ...item, status: "in_progress", updated_at: "2026-02-02T00:00:00.000Z" }]);
      await putAll(store, [{ ...item, status: "blocked", updated_at: "2026-02-03T00:00:00.000Z" }]);
      expect((await (await reopen()).getItem(item.id))?.status).toBe("blocked");
      expect((await store.listItems({}, all)).total).toBe(1);
    });

    it("writes nothing when the transaction throws", async () => {
      const { store, reopen } = await factory();
      await expect(
        store.write(async (tx) => {
          tx.putItem(makeItem());
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect((await (await reopen()).listItems({}, all)).total).toBe(0);
    });

    it("returns a dry run's result and writes nothing", async () => {
      const { store, reopen } = await factory();
      const existing = makeItem();
      await putAll(store, [existing]);
      const seen = await store.write(
        async (tx) => {
          tx.putItem(makeItem());
          return (await tx.getItem(existing.id))?.id;
        },
        { dryRun: true },
      );
      expect(seen).toBe(existing.id);
      expect((await (await reopen()).listItems({}, all)).total).toBe(1);
    });

    it("finds items by dedupe key, including ones written earlier in the same transaction", async () => {
      const { store } = await factory();
      const stored = makeItem({ dedupe_key: "k:1" });
      await putAll(store, [stored]);
      await store.write(async (tx) => {
        const pending = makeItem({ dedupe_key: "k:2" });
        tx.putItem(pending);
        const found = await tx.findByDedupeKeys(["k:1", "k:2", "k:3"]);
        expect([...found.keys()].sort()).toEqual(["k:1", "k:2"]);
        expect(found.get("k:1")?.id).toBe(stored.id);
      });
    });

    it("filters, sorts and pages exactly like the pure query", async () => {
      const { store } = await factory();
      const items = [
        makeItem({ priority: "P2", due_date: "", env: "prod" }),
        makeItem({ priority: "P0", due_date: "2026-03-01", env: "prod", status: "in_progress" }),
        makeItem({ priority: "P2", due_date: "2026-01-05", env: "prod", owner: "cto" }),
        makeItem({ priority: "P1", due_date: "2026-01-05", env: "staging", service: "billing" }),
        makeItem({ priority: "P2", due_date: "2026-01-05", env: "prod", status: "done", category: "security" }),
      ];
      await putAll(store, items);
      const cases = [
        [{}, { limit: 50, offset: 0 }],
        [{ env: "prod" }, { limit: 2, offset: 1 }],
        [{ statuses: ["open", "done"] }, all],
        [{ overdueAsOf: "2026-02-01" }, all],
        [{ dueBefore: "2026-02-01", owner: "cto" }, all],
        [{ service: "billing", priority: "P1", category: "refactor" }, all],
      ] as const;
      for (const [filter, page] of cases) {
        expect(await store.listItems(filter, page)).toEqual(queryItems(items, filter, page));
      }
    });

    it("filters by lists, tags, since and search and sorts by any keys the same way as the pure core", async () => {
      const { store } = await factory();
      const items = [
        makeItem({ priority: "P1", title: "Disk FULL on db", tags: ["db", "week:2026-W05"], updated_at: "2026-02-03T00:00:00.000Z", service: "billing" }),
        makeItem({ priority: "P0", title: "alpha", description: "100%_sure timeout", env: "staging", tags: ["db"], status: "blocked" }),
        makeItem({ priority: "P3", title: "Zulu", owner: "Ops_Team", due_date: "2026-01-09", tags: ["week:2026-W06"], updated_at: "2026-02-05T10:00:00.000Z" }),
        makeItem({ priority: "P2", title: "beta", due_date: "2026-01-02", status: "done", service: "auth", created_at: "2026-01-15T00:00:00.000Z" }),
        makeItem({ priority: "P2", title: "Beta", due_date: "2026-01-02", service: "auth", dedupe_key: "weekly:prod:auth:x" }),
      ];
      await putAll(store, items);
      const all = { limit: null, offset: 0 };
      const cases: Array<[ItemFilter, Page]> = [
        [{ env: ["prod", "staging"], priority: ["P0", "P3"] }, all],
        [{ service: ["auth", "billing"], statuses: ["open", "done"] }, all],
        [{ owner: ["Ops_Team", "nobody"], category: ["refactor"] }, all],
        [{ tags: ["db"] }, all],
        [{ tags: ["db", "week:2026-W05"] }, all],
        [{ updatedSince: "2026-02-03T00:00:00.000Z" }, all],
        [{ search: "TIMEOUT" }, all],
        [{ search: "%_" }, all],
        [{ search: "ops_" }, all],
        [{ search: "week:2026" }, all],
        [{ search: "weekly:PROD" }, all],
        [{ search: items[2].id.slice(4).toUpperCase() }, all],
        [{}, { ...all, sort: [{ key: "title", desc: false }] }],
        [{}, { ...all, sort: [{ key: "due", desc: true }] }],
        [{}, { ...all, sort: [{ key: "due", desc: false }] }],
        [{}, { ...all, sort: [{ key: "status", desc: false }, { key: "priority", desc: true }] }],
        [{}, { ...all, sort: [{ key: "service", desc: true }, { key: "created", desc: false }] }],
        [{ search: "a" }, { limit: 2, offset: 1, sort: [{ key: "updated", desc: true }] }],
      ];
      for (const [filter, page] of cases) {
        const expected = queryItems(items, filter, page);
        expect(await store.listItems(filter, page), JSON.stringify([filter, page])).toEqual(expected);
      }
      // The cases are not vacuous: each filter keeps some items and drops others.
      expect(queryItems(items, { search: "%_" }, all).total).toBe(1);
      expect(queryItems(items, { tags: ["db"] }, all).total).toBe(2);
    });

    it("aggregates the dashboard of one env", async () => {
      const { store } = await factory();
      await putAll(store, [makeItem({ due_date: "2026-01-01" }), makeItem({ env: "dev" }), makeItem({ status: "done", due_date: "2026-01-01" })]);
      const d = await store.dashboard("prod", "2026-02-01", ["refactor"]);
      expect(d.total).toBe(2);
      expect(d.overdue_count).toBe(1);
      expect(d.status_counts.done).toBe(1);
      expect(d.category_counts).toEqual({ refactor: 2 });
    });

    it("lists an item's events oldest first", async () => {
      const { store } = await factory();
      const item = makeItem();
      const first = makeEvent(item.id, { ts: "2026-02-01T00:00:00.000Z" });
      const second = makeEvent(item.id, { ts: "2026-02-02T00:00:00.000Z", type: "comment" });
      const other = makeItem();
      await putAll(store, [item, other], [first]);
      await putAll(store, [], [second, makeEvent(other.id)]);
      expect((await store.listEvents(item.id)).map((e) => e.id)).toEqual([first.id, second.id]);
    });

    it("serialises concurrent read-check-write transactions", async () => {
      const { store } = await factory();
      const item = makeItem({ meta: { n: 0 } });
      await putAll(store, [item]);
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.write(async (tx) => {
            const current = (await tx.getItem(item.id)) as BacklogItem;
            await new Promise((r) => setTimeout(r, 1));
            tx.putItem({ ...current, meta: { n: (current.meta.n as number) + 1 } });
          }),
        ),
      );
      expect((await store.getItem(item.id))?.meta.n).toBe(20);
    });

    it("cleanup removes expired done/canceled items and their events, and nothing else", async () => {
      const { store, reopen } = await factory();
      const old = "2025-01-01T00:00:00.000Z";
      const expiredDone = makeItem({ status: "done", updated_at: old });
      const expiredCanceled = makeItem({ status: "canceled", updated_at: old });
      const recentDone = makeItem({ status: "done", updated_at: "2026-01-30T00:00:00.000Z" });
      const oldOpen = makeItem({ status: "open", updated_at: old });
      const items = [expiredDone, expiredCanceled, recentDone, oldOpen];
      await putAll(store, items, items.map((i) => makeEvent(i.id)));
      await putAll(store, [{ ...oldOpen, title: "edited", updated_at: old }]);

      const dry = await store.cleanup({ cutoff: "2026-01-01T00:00:00.000Z", dryRun: true });
      expect(dry).toMatchObject({ deleted: 2, events_deleted: 2, lines_after: 2, quarantined: 0 });
      expect((await store.listItems({}, all)).total).toBe(4);

      const report = await store.cleanup({ cutoff: "2026-01-01T00:00:00.000Z", dryRun: false });
      expect(report).toMatchObject({ deleted: 2, events_deleted: 2, lines_after: 2, quarantined: 0 });
      // A log also counts superseded versions (5 lines); a table only rows (4).
      expect(report.lines_before).toBeGreaterThanOrEqual(4);
      expect(report.bytes_after).toBeLessThan(report.bytes_before);
      const after = await reopen();
      expect((await after.listItems({}, all)).items.map((i) => i.id).sort()).toEqual([recentDone.id, oldOpen.id].sort());
      expect((await after.getItem(oldOpen.id))?.title).toBe("edited");
      expect(await after.listEvents(expiredDone.id)).toEqual([]);
      expect(await after.listEvents(recentDone.id)).toHaveLength(1);

      const again = await after.cleanup({ cutoff: "2026-01-01T00:00:00.000Z", dryRun: false });
      expect(again).toMatchObject({ deleted: 0, events_deleted: 0, lines_before: 2, lines_after: 2 });
    });

    it("report takes each closed item's close time from its own latest status_change to that status, for many closed items", async () => {
      const { store } = await factory();
      const items: BacklogItem[] = [];
      const events: BacklogEvent[] = [];
      const expected: Array<{ service: string; created_at: string; due_date: string; status: string; closed_at: string | null }> = [];
      const day = (n: number) => new Date(Date.UTC(2026, 0, 5) + n * 86_400_000).toISOString();
      // More closed items than one batch of events read (500), with closing events in every week,
      // events to other statuses, items closed without any event (their updated_at), open ones.
      for (let i = 0; i < 1_300; i += 1) {
        const status = i % 10 === 9 ? "open" : i % 3 === 0 ? "canceled" : "done";
        const item = makeItem({ env: "prod", service: `svc-${i % 7}`, status, created_at: day(i % 40), updated_at: day(60), due_date: day(i % 50).slice(0, 10) });
        items.push(item);
        let closedAt: string | null = status === "open" ? null : item.updated_at;
        if (status !== "open" && i % 11 !== 0) {
          closedAt = day(41 + (i % 17));
          events.push(makeEvent(item.id, { type: "status_change", ts: day(40), meta: { from: "open", to: status } }));
          events.push(makeEvent(item.id, { type: "status_change", ts: closedAt, meta: { from: "in_progress", to: status } }));
          events.push(makeEvent(item.id, { type: "status_change", ts: day(59), meta: { from: status, to: "in_progress" } }));
        }
        expected.push({ service: item.service, created_at: item.created_at, due_date: item.due_date, status, closed_at: closedAt });
      }
      await putAll(store, items, events);
      const frames = reportFrames(new Date(day(63)), 12);
      expect(await store.report("prod", frames)).toEqual(aggregateReport(expected, "prod", frames));
    });
  });
}

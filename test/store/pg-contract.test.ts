import { describe, expect, it } from "vitest";
import pg from "pg";
import { makeItem } from "../helpers/items.js";
import { aggregateDashboard } from "../../src/domain/dashboard.js";
import type { BacklogEvent, BacklogItem } from "../../src/domain/item.js";
import { PgStore } from "../../src/store/pg/pg-store.js";
import { MIGRATIONS } from "../../src/store/pg/schema.js";
import type { Store } from "../../src/store/types.js";
import { freshDatabase, POSTGRES, suiteTitle } from "../helpers/postgres.js";
import { storeContract } from "./contract.js";

const open: Store[] = [];

describe.skipIf(!POSTGRES.dsn)(suiteTitle("PostgreSQL store"), () => {
  storeContract("postgres", async () => {
    const dsn = await freshDatabase();
    const store = new PgStore({ dsn, lockTimeoutMs: 10_000 });
    await store.migrate(false);
    open.push(store);
    return {
      store,
      reopen: async () => {
        const again = new PgStore({ dsn, lockTimeoutMs: 10_000 });
        open.push(again);
        return again;
      },
    };
  });

  // The JSONL store needs a commit record for this (test/e2e/half-commit.test.ts); PostgreSQL
  // writes a transaction's items and events in one SQL transaction.
  it("an item version and its event commit together: an event the server refuses takes the item with it", async () => {
    const dsn = await freshDatabase();
    const store = new PgStore({ dsn, lockTimeoutMs: 10_000 });
    open.push(store);
    await store.migrate(false);
    const item = makeItem();
    const event: BacklogEvent = { id: "ev_000000000001", item_id: item.id, ts: item.created_at, type: "created", message: "created", actor: "t", meta: {} };
    // The second event names an item that does not exist: its insert fails after the item's.
    const orphan: BacklogEvent = { ...event, id: "ev_000000000002", item_id: "bl_ffffffffffff" };
    await expect(
      store.write(async (tx) => {
        tx.putItem(item);
        tx.addEvent(event);
        tx.addEvent(orphan);
      }),
    ).rejects.toThrow();
    expect(await store.getItem(item.id)).toBeNull();
    expect(await store.listEvents(item.id)).toEqual([]);
    // The same write without the refused event lands whole.
    await store.write(async (tx) => {
      tx.putItem(item);
      tx.addEvent(event);
    });
    expect(await store.getItem(item.id)).toEqual(item);
    expect((await store.listEvents(item.id)).map((e) => e.id)).toEqual([event.id]);
  });

  describe("dashboard counts kept by triggers (migration 3)", () => {
    const TODAY = "2026-03-01";
    const CATEGORIES = ["refactor", "security", "slo_hardening"];
    const ENVS = ["prod", "staging", "dev"];
    let serial = 0;
    const varied = (n: number): BacklogItem[] =>
      Array.from({ length: n }, () => {
        serial += 1;
        const k = serial;
        return makeItem({
          env: ENVS[k % 3],
          service: `svc-${k % 7}`,
          category: CATEGORIES[k % 3],
          priority: (["P0", "P1", "P2", "P3"] as const)[k % 4],
          status: (["open", "in_progress", "blocked", "done", "canceled"] as const)[k % 5],
          due_date: k % 4 === 0 ? "" : `2026-0${1 + (k % 5)}-1${k % 10}`,
        });
      });

    /** The store's dashboard of every env equals the pure core's over every stored item. */
    async function expectCountsOfItems(store: PgStore, today = TODAY) {
      const { items } = await store.dump();
      for (const env of ENVS) expect(await store.dashboard(env, today, CATEGORIES), env).toEqual(aggregateDashboard(items, env, today, CATEGORIES));
    }

    async function sql(dsn: string, text: string) {
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    }

    it("follow inserts, upserts that change counted fields, cleanup, and SQL by hand", async () => {
      const dsn = await freshDatabase();
      const store = new PgStore({ dsn, lockTimeoutMs: 10_000 });
      open.push(store);
      await store.migrate(false);
      await expectCountsOfItems(store);
      const items = varied(60);
      await store.write(async (tx) => {
        for (const item of items) tx.putItem(item);
      });
      await expectCountsOfItems(store);
      await expectCountsOfItems(store, "2026-01-01");
      // One transaction both inserts and updates (INSERT ... ON CONFLICT DO UPDATE), moving items
      // between every counted key; an item written twice in it counts once.
      const moved = items.slice(0, 30).map((item, i) => ({ ...item, env: ENVS[(i + 1) % 3], status: i % 2 === 0 ? ("done" as const) : ("open" as const), service: "svc-moved", due_date: i % 3 === 0 ? "" : "2026-02-02" }));
      await store.write(async (tx) => {
        for (const item of [...moved, ...varied(10)]) tx.putItem(item);
        tx.putItem({ ...moved[1], priority: "P0" });
      });
      await expectCountsOfItems(store);
      await store.cleanup({ cutoff: "2027-01-01T00:00:00.000Z", dryRun: false });
      await expectCountsOfItems(store);
      await sql(dsn, "UPDATE backlog_items SET env = 'dev', due_date = '2026-01-05' WHERE service = 'svc-3'");
      await sql(dsn, "DELETE FROM backlog_items WHERE service = 'svc-4'");
      await expectCountsOfItems(store);
      await sql(dsn, "TRUNCATE backlog_items CASCADE");
      await expectCountsOfItems(store);
      expect((await store.dashboard("prod", TODAY, CATEGORIES)).total).toBe(0);
    });

    it("are filled from the items already stored when migration 3 is applied", async () => {
      const dsn = await freshDatabase();
      await sql(dsn, "CREATE TABLE backlog_schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      for (const m of MIGRATIONS.filter((m) => m.version < 3)) await sql(dsn, `${m.sql}; INSERT INTO backlog_schema_version (version, name) VALUES (${m.version}, 'before')`);
      const items = varied(40);
      await sql(dsn, `INSERT INTO backlog_items SELECT * FROM json_populate_recordset(NULL::backlog_items, '${JSON.stringify(items).replace(/'/g, "''")}')`);
      const store = new PgStore({ dsn, lockTimeoutMs: 10_000 });
      open.push(store);
      expect((await store.migrate(false)).applied).toEqual([3]);
      await expectCountsOfItems(store);
      expect((await store.dashboard("prod", TODAY, CATEGORIES)).total).toBeGreaterThan(0);
    });
  });
});

// Pools are closed so that the database can be dropped and the worker can exit.
import { afterEach } from "vitest";
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

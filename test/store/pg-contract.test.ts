import { describe, expect, it } from "vitest";
import { makeItem } from "../helpers/items.js";
import type { BacklogEvent } from "../../src/domain/item.js";
import { PgStore } from "../../src/store/pg/pg-store.js";
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
});

// Pools are closed so that the database can be dropped and the worker can exit.
import { afterEach } from "vitest";
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

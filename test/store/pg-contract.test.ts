import { describe } from "vitest";
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
});

// Pools are closed so that the database can be dropped and the worker can exit.
import { afterEach } from "vitest";
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

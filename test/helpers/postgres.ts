/** A fresh database per test on the suite's PostgreSQL server, dropped after the test. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, inject } from "vitest";

export const POSTGRES = inject("postgres");

const created: string[] = [];

afterEach(async () => {
  if (created.length === 0 || !POSTGRES.dsn) return;
  const admin = new pg.Client({ connectionString: POSTGRES.dsn });
  await admin.connect();
  try {
    while (created.length > 0) await admin.query(`DROP DATABASE IF EXISTS ${created.pop()} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

/** Creates an empty database and returns its DSN (same server, user and password). */
export async function freshDatabase(): Promise<string> {
  if (!POSTGRES.dsn) throw new Error("no PostgreSQL server for this run");
  const name = `backlog_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES.dsn });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  created.push(name);
  const url = new URL(POSTGRES.dsn);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The suite title: says plainly when and why the Postgres tests are skipped. */
export const suiteTitle = (title: string) => (POSTGRES.skipped ? `${title} — SKIPPED: ${POSTGRES.skipped}` : title);

/**
 * PostgreSQL failures as a user meets them: a server lost in the middle of a command, passwords
 * with characters that break naive redaction, a DSN file that is not a DSN. Never exit 1, never a
 * password or a DSN file's content on the terminal.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { cli, cliAsync } from "../helpers/cli.js";
import { freshDatabase, POSTGRES, suiteTitle } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";
import { WRITE_LOCK_KEY } from "../../src/store/pg/schema.js";

const NOW = "2026-11-24T06:20:00Z";

async function workspace() {
  const dir = tempDir();
  const dsn = await freshDatabase();
  const env = { BACKLOG_NOW: NOW, BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn };
  expect(cli(["migrate", "--actor", "scheduler"], { cwd: dir, env }).code).toBe(0);
  return { dir, dsn, env };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!POSTGRES.dsn)(suiteTitle("PostgreSQL failures"), () => {
  it("a server connection lost mid-command is exit 6 with a hint, not a crash, and writes nothing", async () => {
    const w = await workspace();
    const admin = new pg.Client({ connectionString: w.dsn });
    await admin.connect();
    try {
      // Hold the write lock so the command waits inside its transaction, then cut its connection.
      await admin.query("SELECT pg_advisory_lock($1)", [WRITE_LOCK_KEY]);
      const running = cliAsync(["create", "--service", "gateway", "--category", "security", "--title", "Lost"], {
        cwd: w.dir,
        env: { ...w.env, BACKLOG_LOCK_TIMEOUT_MS: "30000" },
      });
      let killed = 0;
      for (let i = 0; i < 200 && killed === 0; i += 1) {
        await sleep(50);
        const r = await admin.query(
          "SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE '%pg_advisory_xact_lock%'",
        );
        killed = r.rowCount ?? 0;
      }
      expect(killed).toBe(1);
      const result = await running;
      expect(result.code, result.stderr).toBe(6);
      expect(result.stderr).toContain("PostgreSQL");
      expect(result.stderr).not.toMatch(/\n\s+at /);
      await admin.query("SELECT pg_advisory_unlock($1)", [WRITE_LOCK_KEY]);
      expect((await admin.query("SELECT count(*)::int AS n FROM backlog_items")).rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it("never prints a password, whatever characters it holds, and never mangles other words", () => {
    const dir = tempDir();
    for (const password of ["a", "p/ss@word", "s3cr%2Ft", "on"]) {
      const dsn = `postgresql://backlog:${password}@127.0.0.1:9/postgres`;
      const r = cli(["list"], { cwd: dir, env: { BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn } });
      expect([2, 6]).toContain(r.code);
      expect(r.stderr).not.toContain(`:${password}@`);
      if (password.length > 2) expect(r.stderr).not.toContain(password);
      // The hint's words are whole: redaction never cut "a" or "on" out of them.
      expect(r.stderr).toMatch(/Check that the server is up|postgres:\/\/ URL/);
      expect(r.stderr).not.toContain("***");
    }
  });

  it("a --dsn-file that does not hold a DSN is refused without printing its content", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "dsn"), "hunter2-secret-line\nsecond line\n");
    const r = cli(["list", "--backend", "postgres", "--dsn-file", "dsn"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("postgres://");
    expect(r.stderr).not.toContain("hunter2");
  });
});

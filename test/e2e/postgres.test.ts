import { cpSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliAsync, type CliResult, json, REPO } from "../helpers/cli.js";
import { freshDatabase, POSTGRES, suiteTitle } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-11-24T06:20:00Z";

async function workspace(migrate = true) {
  const dir = tempDir();
  cpSync(join(REPO, "ops/reports"), join(dir, "ops/reports"), { recursive: true });
  const dsn = await freshDatabase();
  const env = { BACKLOG_NOW: NOW, BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn };
  const run = (args: string[], extra: Record<string, string | undefined> = {}) => cli(args, { cwd: dir, env: { ...env, ...extra } });
  const runAsync = (args: string[]) => cliAsync(args, { cwd: dir, env: { ...env, BACKLOG_LOCK_TIMEOUT_MS: "60000" } });
  if (migrate) expect(run(["migrate", "--actor", "scheduler"]).code).toBe(0);
  return { dir, dsn, run, runAsync };
}

function ok(r: CliResult) {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  return r;
}

describe.skipIf(!POSTGRES.dsn)(suiteTitle("PostgreSQL backend, end to end"), () => {
  it("migrate creates the schema once, idempotently; --dry-run prints the SQL and changes nothing", async () => {
    const w = await workspace(false);
    const dry = ok(w.run(["migrate", "--dry-run", "--actor", "scheduler"]));
    expect(dry.stdout).toContain("CREATE TABLE backlog_items");
    expect(dry.stdout).toContain("REFERENCES backlog_items (id) ON DELETE CASCADE");
    const unmigrated = w.run(["list"]);
    expect(unmigrated.code).toBe(6);
    expect(unmigrated.stderr).toContain("has no backlog schema");
    expect(unmigrated.stderr).toContain("backlog migrate");
    expect(json(ok(w.run(["migrate", "--actor", "scheduler", "--json"])))).toMatchObject({ backend: "postgres", applied: [1, 2, 3], version: 3 });
    expect(json(ok(w.run(["migrate", "--actor", "scheduler", "--json"])))).toMatchObject({ backend: "postgres", applied: [], version: 3 });
    expect(w.run(["migrate"]).code).toBe(5);
    const empty = w.run(["list", "--json"]);
    expect(json(empty)).toEqual([]);
    expect(empty.stderr).toContain("no items found in the postgres store at");
  });

  it("runs every command against the server with the JSONL store's semantics", async () => {
    const w = await workspace();
    const report = json(ok(w.run(["generate-weekly", "--actor", "scheduler", "--json"])));
    expect(report.created).toBe(16);
    expect(json(ok(w.run(["generate-weekly", "--actor", "scheduler", "--json"])))).toMatchObject({ created: 0, updated: 0, unchanged: 16 });
    const id = report.items[0].id;
    ok(w.run(["set-status", id, "in_progress", "--actor", "alice"]));
    expect(w.run(["set-status", id, "open"]).code).toBe(4);
    ok(w.run(["comment", id, "on it"]));
    const closed = json(ok(w.run(["close", id, "--message", "done", "--json"])));
    expect(closed.item.status).toBe("done");
    const got = json(ok(w.run(["get", id, "--json"])));
    expect(got.events.map((e: { type: string }) => e.type)).toEqual(["created", "status_change", "comment", "status_change"]);
    expect(got.events[1].actor).toBe("alice");
    expect(json(ok(w.run(["list", "--status", "done", "--json"])))).toHaveLength(1);
    const dashboard = json(ok(w.run(["dashboard", "--json"], { BACKLOG_NOW: "2026-12-20T00:00:00Z" })));
    expect(dashboard).toMatchObject({ total: 16, overdue_count: 11, status_counts: { open: 15, done: 1 } });
    expect(dashboard.overdue).toHaveLength(11);
    expect(w.run(["gate"], { BACKLOG_NOW: "2026-12-20T00:00:00Z" }).code).toBe(10);
    const dup = w.run(["create", "--service", "x", "--category", "refactor", "--dedupe-key", report.items[1].dedupe_key]);
    expect(dup.code).toBe(4);
    const cleanup = json(ok(w.run(["cleanup", "--actor", "scheduler", "--json"], { BACKLOG_NOW: "2027-12-01T00:00:00Z" })));
    expect(cleanup).toMatchObject({ deleted: 1, events_deleted: 4, lines_before: 16, lines_after: 15 });
    expect(w.run(["get", id]).code).toBe(3);
    expect(existsSync(join(w.dir, "ops/backlog"))).toBe(false);
  });

  it("gives the same answers as the JSONL store for the same data and queries", async () => {
    const w = await workspace();
    const jsonl = { BACKLOG_BACKEND: "jsonl", BACKLOG_DIR: join(w.dir, "jsonl") };
    ok(w.run(["generate-weekly", "--actor", "scheduler"], jsonl));
    ok(w.run(["create", "--service", "zeta", "--category", "security", "--due", ""], jsonl));
    ok(w.run(["create", "--service", "alpha", "--category", "refactor", "--due", "2026-11-01", "--env", "staging"], jsonl));
    writeFileSync(join(w.dir, "same.jsonl"), ok(w.run(["export"], jsonl)).stdout);
    ok(w.run(["import", "same.jsonl", "--actor", "scheduler"]));
    const later = { BACKLOG_NOW: "2026-12-20T00:00:00Z" };
    for (const args of [
      ["list", "--all"],
      ["list", "--status", "open", "--priority", "P2"],
      ["list", "--limit", "5", "--offset", "3"],
      ["list", "--overdue"],
      ["list", "--due-before", "2026-12-10", "--env", "prod"],
      ["dashboard"],
      ["dashboard", "--env", "staging"],
      ["gate"],
    ]) {
      const pg = json(w.run([...args, "--json"], later));
      const files = json(w.run([...args, "--json"], { ...later, ...jsonl }));
      expect(pg, args.join(" ")).toEqual(files);
    }
  });

  it("serialises racing processes: one winner per transition and per dedupe key, no duplicate generation", async () => {
    const w = await workspace();
    const item = json(ok(w.run(["create", "--service", "race", "--category", "refactor", "--json"]))).item;
    const transitions = await Promise.all(Array.from({ length: 8 }, () => w.runAsync(["set-status", item.id, "in_progress", "--json"])));
    // One transition; the others find it made: exit 0 with no event, so exactly one event exists.
    expect(transitions.map((r) => r.code)).toEqual(Array(8).fill(0));
    expect(transitions.filter((r) => JSON.parse(r.stdout).event !== null)).toHaveLength(1);
    const creates = await Promise.all(Array.from({ length: 8 }, (_, n) => w.runAsync(["create", "--service", "race", "--category", "security", "--dedupe-key", "race:key", "--title", `racer ${n}`, "--json"])));
    expect(creates.map((r) => r.code).sort()).toEqual([0, 4, 4, 4, 4, 4, 4, 4]);
    const generations = await Promise.all(Array.from({ length: 4 }, () => w.runAsync(["generate-weekly", "--actor", "scheduler", "--json"])));
    for (const r of generations) expect(r.code, r.stderr).toBe(0);
    expect(generations.reduce((n, r) => n + JSON.parse(r.stdout).created, 0)).toBe(16);
    const lanes = await Promise.all(
      Array.from({ length: 8 }, async (_, n) => {
        const created = await w.runAsync(["create", "--service", `lane-${n}`, "--category", "refactor", "--json"]);
        const id = JSON.parse(created.stdout).item.id;
        const comment = await w.runAsync(["comment", id, `lane ${n}`, "--json"]);
        return { id, event: JSON.parse(comment.stdout).event.id };
      }),
    );
    const all = json(ok(w.run(["list", "--all", "--json"])));
    expect(all).toHaveLength(2 + 16 + 8);
    for (const { id, event } of lanes) {
      expect(json(ok(w.run(["get", id, "--json"]))).events.map((e: { id: string }) => e.id)).toContain(event);
    }
  });

  it("round-trips a JSONL store through PostgreSQL and back with no difference; re-import changes nothing", async () => {
    const w = await workspace();
    const jsonl = { BACKLOG_BACKEND: "jsonl", BACKLOG_DIR: join(w.dir, "source") };
    const back = { BACKLOG_BACKEND: "jsonl", BACKLOG_DIR: join(w.dir, "back") };
    ok(w.run(["generate-weekly", "--actor", "scheduler"], jsonl));
    const first = json(w.run(["list", "--limit", "1", "--json"], jsonl))[0].id;
    ok(w.run(["set-status", first, "blocked", "--message", "vendor"], jsonl));
    ok(w.run(["comment", first, "ünïcødé, \"quotes\" and\nnewlines"], jsonl));
    ok(w.run(["create", "--service", "billing", "--category", "security", "--due", "", "--tag", "x", "--evidence", "alerts=A-1"], jsonl));

    const exportA = ok(w.run(["export"], jsonl)).stdout;
    writeFileSync(join(w.dir, "a.jsonl"), exportA);
    expect(json(ok(w.run(["import", "a.jsonl", "--actor", "scheduler", "--json"])))).toEqual({ items: 17, events: 19 });
    const exportB = ok(w.run(["export"])).stdout;
    expect(exportB).toBe(exportA);
    expect(json(ok(w.run(["import", "a.jsonl", "--actor", "scheduler", "--json"])))).toEqual({ items: 0, events: 0 });

    writeFileSync(join(w.dir, "b.jsonl"), exportB);
    ok(w.run(["import", "b.jsonl", "--actor", "scheduler"], back));
    expect(ok(w.run(["export"], back)).stdout).toBe(exportA);
    expect(json(ok(w.run(["list", "--all", "--json"])))).toEqual(json(ok(w.run(["list", "--all", "--json"], jsonl))));
    expect(json(ok(w.run(["get", first, "--json"])))).toEqual(json(ok(w.run(["get", first, "--json"], jsonl))));

    const exported = json(ok(w.run(["export", "--output", "c.jsonl", "--json"])));
    expect(exported).toEqual({ items: 17, events: 19 });
  });

  it("refuses a conflicting import with a report, writing nothing", async () => {
    const w = await workspace();
    ok(w.run(["generate-weekly", "--actor", "scheduler"]));
    const lines = ok(w.run(["export"])).stdout.trim().split("\n");
    const changed = JSON.parse(lines[0]);
    changed.item.title = "edited elsewhere";
    const stranger = JSON.parse(lines[1]);
    stranger.item.id = "bl_aaaaaaaaaaaa";
    writeFileSync(join(w.dir, "conflict.jsonl"), `${[JSON.stringify(changed), JSON.stringify(stranger), ...lines.slice(2)].join("\n")}\n`);
    const before = ok(w.run(["export"])).stdout;
    const r = w.run(["import", "conflict.jsonl", "--actor", "scheduler"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`item ${changed.item.id}: differs from the stored version`);
    expect(r.stderr).toContain(`item bl_aaaaaaaaaaaa: dedupe key "${stranger.item.dedupe_key}" is taken by`);
    expect(ok(w.run(["export"])).stdout).toBe(before);
    writeFileSync(join(w.dir, "junk.jsonl"), '{"item": {"id": "x"}}\nnot json\n');
    const junk = w.run(["import", "junk.jsonl", "--actor", "scheduler"]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain("line 1: item x: id: expected bl_ and 12 lowercase hex digits");
    expect(junk.stderr).toContain("line 2: not JSON");
  });

  it("fails with exit 6 naming host and reason when the server is down or the password wrong, never printing the password", async () => {
    const w = await workspace();
    const url = new URL(w.dsn);
    const password = decodeURIComponent(url.password);
    const wrong = new URL(w.dsn);
    wrong.password = "not-the-password-42";
    const denied = w.run(["list"], { BACKLOG_POSTGRES_DSN: wrong.toString() });
    expect(denied.code).toBe(6);
    expect(denied.stderr).toContain(`${url.hostname}:${url.port}`);
    expect(denied.stderr).toContain("password authentication failed");
    expect(denied.stderr).not.toContain("not-the-password-42");
    expect(denied.stderr).not.toContain(password);
    const down = w.run(["list", "--json"], { BACKLOG_POSTGRES_DSN: "postgresql://backlog:hunter2@127.0.0.1:9/postgres" });
    expect(down.code).toBe(6);
    const error = JSON.parse(down.stderr).error;
    expect(error.code).toBe("backend_unreachable");
    expect(error.message).toContain("127.0.0.1:9");
    expect(error.message).toContain("ECONNREFUSED");
    expect(down.stderr).not.toContain("hunter2");
    expect(existsSync(join(w.dir, "ops/backlog"))).toBe(false);
  });

  it("takes the DSN from --dsn-file, and auto selects postgres when a DSN is configured", async () => {
    const w = await workspace();
    writeFileSync(join(w.dir, "dsn"), `${w.dsn}\n`);
    const noEnv = { BACKLOG_POSTGRES_DSN: undefined, BACKLOG_BACKEND: undefined };
    ok(w.run(["create", "--service", "a", "--category", "refactor", "--backend", "postgres", "--dsn-file", "dsn"], noEnv));
    expect(json(ok(w.run(["list", "--json", "--backend", "auto", "--dsn-file", "dsn"], noEnv)))).toHaveLength(1);
    expect(json(ok(w.run(["list", "--json"], { BACKLOG_BACKEND: "auto" })))).toHaveLength(1);
    const jsonlEmpty = w.run(["list", "--json", "--backend", "auto"], noEnv);
    expect(json(jsonlEmpty)).toHaveLength(0);
    expect(jsonlEmpty.stderr).toContain("no items found in the jsonl store at");
    const missing = w.run(["list", "--backend", "postgres"], noEnv);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("needs a DSN");
  });
});

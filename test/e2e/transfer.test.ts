/**
 * export and import under attack and under load (SPEC 13): every record validated like create on
 * every backend, a snapshot that restores while writers run, an output that is never a store file.
 */
import { appendFileSync, existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, cliAsync, type CliResult, json, snapshot } from "../helpers/cli.js";
import { spawnSync } from "node:child_process";
import pg from "pg";
import { freshDatabase, POSTGRES, suiteTitle } from "../helpers/postgres.js";
import { seedStore } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-11-24T06:20:00Z";

function ok(r: CliResult) {
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** The warnings on stderr, as text, whether printed for humans or as `{"warning":…}` lines (--json). */
const warnings = (r: CliResult): string =>
  r.stderr
    .split("\n")
    .map((line) => {
      try {
        return String(JSON.parse(line).warning);
      } catch {
        return line;
      }
    })
    .join("\n");

const record = (item: Record<string, unknown>) => JSON.stringify({ item });

/** One valid exported item, and variants of it that each break one rule create enforces. */
function hostileExport(base: Record<string, unknown>): { text: string; expected: string[] } {
  const v = (id: string, over: Record<string, unknown>) => record({ ...base, id, dedupe_key: `k:${id}`, ...over });
  const lines = [
    v("bl_aaaaaaaaaaaa", { dedupe_key: "shared" }),
    v("bl_bbbbbbbbbbbb", { dedupe_key: "shared" }),
    v("../../etc/passwd", {}),
    v("__proto__", {}),
    v("bl_cccccccccccc", { category: "constructor", env: "mars" }),
    v("bl_dddddddddddd", { title: "x".repeat(5000) }),
    v("bl_eeeeeeeeeeee", { created_at: "2026-02-30T00:00:00.000Z", updated_at: "yesterday" }),
    v("bl_ffffffffffff", { priority: "urgent", status: "finished" }),
    v("bl_000000000001", { title: "bell \u0007 here" }),
    v("bl_000000000002", { surprise: true }),
    JSON.stringify({ event: { id: "ev_000000000001", item_id: "bl_aaaaaaaaaaaa", ts: "soon", type: "rumour", message: "", actor: "x", meta: {} } }),
    v("bl_\u001b[2J", {}),
    // Valid: imported only if everything else were.
    v("bl_000000000003", { status: "done" }),
  ];
  return {
    text: `${lines.join("\n")}\n`,
    expected: [
      'line 2: item bl_bbbbbbbbbbbb: dedupe key "shared" is also the key of line 1',
      "line 3: item ../../etc/passwd: id: expected bl_ and 12 lowercase hex digits",
      "line 4: item __proto__: id: expected bl_ and 12 lowercase hex digits",
      "line 5: item bl_cccccccccccc: env: expected one of prod|staging|dev; category: expected one of",
      "line 6: item bl_dddddddddddd: title: must be at most 200 characters",
      "line 7: item bl_eeeeeeeeeeee: created_at: expected an ISO 8601 UTC timestamp",
      "updated_at: expected an ISO 8601 UTC timestamp",
      "line 8: item bl_ffffffffffff: priority: expected one of P0|P1|P2|P3; status: expected one of open|in_progress|blocked|done|canceled",
      "line 9: item bl_000000000001: title: must not contain control characters",
      "line 10: item bl_000000000002: surprise: unknown key",
      "line 11: event ev_000000000001: ts: expected an ISO 8601 UTC timestamp",
      "type: expected one of created|status_change|comment|auto_update|edited",
      "line 12: item bl_\\x1b[2J: id: expected bl_ and 12 lowercase hex digits",
    ],
  };
}

/** Runs every hostile-import check against one backend, given how to run the CLI on it and read its bytes. */
function expectHostileImportRefused(dir: string, run: (args: string[]) => CliResult, stored: () => string) {
  const base = json(ok(run(["create", "--service", "api", "--category", "security", "--title", "a real item", "--json"]))).item;
  const before = stored();
  const { text, expected } = hostileExport(base);
  writeFileSync(join(dir, "hostile.jsonl"), text);
  const r = run(["import", "hostile.jsonl", "--actor", "scheduler"]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain("hostile.jsonl has 11 invalid records; nothing was imported");
  for (const line of expected) expect(r.stderr).toContain(line);
  expect(r.stderr).not.toContain("line 1:");
  expect(r.stderr).not.toContain("line 13:");
  // The terminal never gets a raw control character back.
  expect(r.stderr).not.toMatch(/[\u0007\u001b]/);
  expect(stored()).toBe(before);
}

describe("import validates like create (JSONL and memory)", () => {
  it("refuses a file with any invalid record, listing each line, and writes nothing", () => {
    const dir = tempDir();
    const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW } });
    expectHostileImportRefused(dir, run, () => JSON.stringify(snapshot(join(dir, "ops/backlog"))));
  });

  it("the same on the memory backend; a clean file imports, and re-importing its export changes nothing", () => {
    const dir = tempDir();
    const run = (args: string[], extra: Record<string, string> = {}, input?: string) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, ...extra }, input });
    const base = json(ok(run(["create", "--service", "api", "--category", "security", "--title", "a real item", "--json"]))).item;
    const { text, expected } = hostileExport(base);
    writeFileSync(join(dir, "hostile.jsonl"), text);
    const memory = run(["import", "hostile.jsonl", "--actor", "scheduler", "--backend", "memory"]);
    expect(memory.code).toBe(2);
    for (const line of expected) expect(memory.stderr).toContain(line);

    const exported = ok(run(["export"])).stdout;
    writeFileSync(join(dir, "clean.jsonl"), exported);
    const other = { BACKLOG_DIR: join(dir, "other") };
    expect(json(ok(run(["import", "clean.jsonl", "--actor", "scheduler", "--json"], other)))).toEqual({ items: 1, events: 1 });
    expect(json(ok(run(["import", "clean.jsonl", "--actor", "scheduler", "--json"], other)))).toEqual({ items: 0, events: 0 });
    expect(ok(run(["export"], other)).stdout).toBe(exported);
    // A stream that can be read only once from its start (a pipe: `import <(backlog export)`), and
    // stdin, whether a pipe or a file.
    expect(json(ok(run(["import", "-", "--actor", "scheduler", "--json"], { BACKLOG_DIR: join(dir, "stdin") }, exported)))).toEqual({ items: 1, events: 1 });
    const shell = (line: string, copy: string) => {
      const r = spawnSync("bash", ["-c", `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${line}`], { cwd: dir, env: cleanEnv({ BACKLOG_NOW: NOW, BACKLOG_DIR: join(dir, copy) }), encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ items: 1, events: 1 });
    };
    shell("import <(cat clean.jsonl) --actor scheduler --json", "piped");
    shell("import - --actor scheduler --json < clean.jsonl", "redirected");
    for (const copy of ["stdin", "piped", "redirected"]) expect(ok(run(["export"], { BACKLOG_DIR: join(dir, copy) })).stdout).toBe(exported);
  });

  it("reads a file larger than its read chunks line by line: a byte-order mark, lines across chunk edges, no final newline, an error's line number", () => {
    const dir = tempDir();
    const run = (args: string[], extra: Record<string, string> = {}) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, ...extra } });
    const base = json(ok(run(["create", "--service", "api", "--category", "security", "--title", "seed", "--json"]))).item;
    // About 9 MB in 1,500 items of ~6 KB: lines cross the 4 MiB chunks the file is read in.
    const items = Array.from({ length: 1_500 }, (_, i) => ({ ...base, id: `bl_${(i + 1).toString(16).padStart(12, "0")}`, dedupe_key: `k:${i}`, title: `item ${i} ü`, description: `${"x".repeat(6_000 + (i % 7))} ${i}` }));
    const lines = items.map((item) => record(item));
    const other = { BACKLOG_DIR: join(dir, "other") };
    writeFileSync(join(dir, "big.jsonl"), `\ufeff${lines.join("\n")}`);
    expect(json(ok(run(["import", "big.jsonl", "--actor", "scheduler", "--json"], other)))).toEqual({ items: 1_500, events: 0 });
    const listed = JSON.parse(ok(run(["list", "--all", "--json", "--fields", "id,description"], other)).stdout) as Array<{ id: string; description: string }>;
    expect(new Map(listed.map((i) => [i.id, i.description]))).toEqual(new Map(items.map((i) => [i.id, i.description])));
    // A broken record deep in the file is named by its line.
    lines[1_234] = lines[1_234].slice(0, -2);
    writeFileSync(join(dir, "broken.jsonl"), `${lines.join("\n")}\n`);
    const broken = run(["import", "broken.jsonl", "--actor", "scheduler"], { BACKLOG_DIR: join(dir, "third") });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("line 1235: not JSON");
    expect(existsSync(join(dir, "third", "items.jsonl"))).toBe(false);
  });

  it("caps the list at 20 lines and says how many more; a dedupe key held by another stored item is a conflict naming the line", () => {
    const dir = tempDir();
    const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW } });
    const base = json(ok(run(["create", "--service", "api", "--category", "security", "--title", "a real item", "--json"]))).item;
    const many = Array.from({ length: 25 }, (_, i) => record({ ...base, id: `bl_${String(i).padStart(12, "0")}`, dedupe_key: `k${i}`, env: "mars" }));
    writeFileSync(join(dir, "many.jsonl"), `${many.join("\n")}\n`);
    const r = run(["import", "many.jsonl", "--actor", "scheduler"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("line 20: item bl_000000000019: env");
    expect(r.stderr).not.toContain("line 21:");
    expect(r.stderr).toContain("…and 5 more");

    writeFileSync(join(dir, "taken.jsonl"), `${record({ ...base, id: "bl_abcdefabcdef" })}\n`);
    const before = snapshot(join(dir, "ops/backlog"));
    const taken = run(["import", "taken.jsonl", "--actor", "scheduler"]);
    expect(taken.code).toBe(4);
    expect(taken.stderr).toContain(`line 1: item bl_abcdefabcdef: dedupe key "${base.dedupe_key}" is taken by ${base.id}`);
    expect(snapshot(join(dir, "ops/backlog"))).toEqual(before);
  });
});

describe("export --output never lands on the store", () => {
  it("refuses a store file by name, by symlink, by hard link and through another path to the directory, changing no byte", () => {
    const dir = tempDir();
    const env = { BACKLOG_NOW: NOW, BACKLOG_DIR: join(dir, "store") };
    const run = (args: string[]) => cli(args, { cwd: dir, env });
    ok(run(["create", "--service", "api", "--category", "security", "--title", "keep me"]));
    ok(run(["list"]));
    symlinkSync(join(dir, "store/items.jsonl"), join(dir, "link.jsonl"));
    linkSync(join(dir, "store/events.jsonl"), join(dir, "hard.jsonl"));
    symlinkSync(join(dir, "store"), join(dir, "alias"));
    const before = snapshot(dir);
    const targets = [
      "store/items.jsonl",
      "store/events.jsonl",
      "store/.backlog.lock",
      "store/items.jsonl.quarantine",
      "store/fresh.jsonl",
      "store",
      "./store/../store/items.jsonl",
      "link.jsonl",
      "hard.jsonl",
      "alias/items.jsonl",
      "alias/new.jsonl",
    ];
    for (const target of targets) {
      const r = run(["export", "--output", target]);
      expect(r.code, `${target}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`refusing to write ${target}`);
    }
    // The data directory named through the alias is the same directory.
    const viaAlias = cli(["export", "--output", "store/x.jsonl"], { cwd: dir, env: { ...env, BACKLOG_DIR: join(dir, "alias") } });
    expect(viaAlias.code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
    expect(json(ok(run(["export", "--output", "backup.jsonl", "--json"])))).toEqual({ items: 1, events: 1 });
    expect(readFileSync(join(dir, "backup.jsonl"), "utf8")).toContain("keep me");
  });
});

describe("stored values outside their enum (JSONL)", () => {
  const item = (n: number, over: Record<string, unknown>) =>
    JSON.stringify({ id: `bl_00000000000${n}`, created_at: "2026-11-01T00:00:00.000Z", updated_at: "2026-11-01T00:00:00.000Z", service: "api", category: "security", title: `item ${n}`, ...over });
  const event = (n: number, itemN: number, type: string) =>
    JSON.stringify({ id: `ev_00000000000${n}`, item_id: `bl_00000000000${itemN}`, ts: "2026-11-01T00:00:00.000Z", type, message: "m", actor: "a", meta: {} });

  it("reads case variants as the canonical value with a warning naming file, line and field; skips and reports other values, never coercing them", () => {
    const dir = tempDir();
    const store = join(dir, "ops/backlog");
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, "items.jsonl"), `${[item(1, { status: "Done", priority: "p0" }), item(2, { status: "finished" }), item(3, {}), item(4, { source: "RISK", priority: 7 })].join("\n")}\n`);
    writeFileSync(join(store, "events.jsonl"), `${[event(1, 1, "Created"), event(2, 3, "rumour"), event(3, 3, "created")].join("\n")}\n`);
    const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW } });
    const items = join(store, "items.jsonl");
    const events = join(store, "events.jsonl");
    for (let read = 0; read < 2; read += 1) {
      const listed = run(["list", "--status", "all", "--json"]);
      expect(listed.code, listed.stderr).toBe(0);
      const byId = new Map(json(listed).map((i: { id: string }) => [i.id, i]));
      expect(byId.get("bl_000000000001")).toMatchObject({ status: "done", priority: "P0" });
      expect(byId.has("bl_000000000002")).toBe(false);
      expect(byId.has("bl_000000000003")).toBe(true);
      expect(byId.has("bl_000000000004")).toBe(false);
      const said = warnings(listed);
      expect(said).toContain(`${items}:1: status: "Done" read as "done"`);
      expect(said).toContain(`${items}:1: priority: "p0" read as "P0"`);
      expect(said).toContain(`${items}:2: unreadable line skipped (status: "finished" is not one of open|in_progress|blocked|done|canceled)`);
      expect(said).toContain(`${items}:4: unreadable line skipped (source: "RISK" read as "risk"; priority: 7 is not one of P0|P1|P2|P3)`);
    }
    expect(json(run(["list", "--status", "done", "--json"])).map((i: { id: string }) => i.id)).toEqual(["bl_000000000001"]);
    expect(run(["get", "bl_000000000002"]).code).toBe(3);
    const got = run(["get", "bl_000000000003", "--json"]);
    expect(json(got).events.map((e: { id: string }) => e.id)).toEqual(["ev_000000000003"]);
    expect(warnings(got)).toContain(`${events}:2: unreadable line skipped (type: "rumour" is not one of created|status_change|comment|auto_update|edited)`);
    const first = run(["get", "bl_000000000001", "--json"]);
    expect(json(first).events[0].type).toBe("created");
    expect(warnings(first)).toContain(`${events}:1: type: "Created" read as "created"`);
    // Kept aside, byte for byte, never rewritten with a guessed value.
    ok(run(["cleanup", "--actor", "scheduler", "--json"]));
    const quarantined = readFileSync(`${items}.quarantine`, "utf8");
    expect(quarantined).toContain('\\"status\\":\\"finished\\"');
  });

  it.skipIf(process.env.BACKLOG_INDEX_CACHE === "off")("keeps reporting them when reads come from the saved index", () => {
    const dir = tempDir();
    const store = join(dir, "ops/backlog");
    mkdirSync(store, { recursive: true });
    // Past the 4 MiB after which a read saves the index for the next one.
    seedStore(store, 16000, 1);
    const items = join(store, "items.jsonl");
    appendFileSync(items, `${item(1, { status: "Blocked" })}\n${item(2, { status: "wip" })}\n`);
    const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW } });
    for (let read = 0; read < 2; read += 1) {
      const r = run(["list", "--status", "blocked", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r).map((i: { id: string }) => i.id)).toEqual(["bl_000000000001"]);
      expect(warnings(r)).toContain(`${items}:16001: status: "Blocked" read as "blocked"`);
      expect(warnings(r)).toContain(`${items}:16002: unreadable line skipped (status: "wip" is not one of`);
      expect(existsSync(join(store, ".items.jsonl.index"))).toBe(true);
    }
  });
});

/** Several CLI writers, and exports taken meanwhile: each export must restore into an empty store. */
async function exportsWhileWriting(dir: string, env: Record<string, string>, restoreEnv: (n: number) => Record<string, string>) {
  const writers = Array.from({ length: 3 }, async (_, w) => {
    for (let i = 0; i < 8; i += 1) {
      const r = await cliAsync(["create", "--service", `writer-${w}`, "--category", "refactor", "--title", `write ${i}`], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
    }
  });
  const exports: string[] = [];
  const exporter = (async () => {
    for (let i = 0; i < 6; i += 1) {
      const r = await cliAsync(["export"], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      exports.push(r.stdout);
    }
  })();
  await Promise.all([...writers, exporter]);
  exports.forEach((text, n) => {
    const file = join(dir, `export-${n}.jsonl`);
    writeFileSync(file, text);
    const restored = cli(["import", file, "--actor", "scheduler", "--json"], { cwd: dir, env: restoreEnv(n) });
    expect(restored.code, restored.stderr).toBe(0);
    const records = text.trim().split("\n").map((l) => JSON.parse(l));
    const items = new Set(records.filter((r) => r.item).map((r) => r.item.id));
    for (const r of records) if (r.event) expect(items.has(r.event.item_id), `event ${r.event.id} without its item`).toBe(true);
    // Every item version was written with its event, so a consistent snapshot has one per item at least.
    const withEvents = new Set(records.filter((r) => r.event).map((r) => r.event.item_id));
    for (const id of items) expect(withEvents.has(id), `item ${id} without its events`).toBe(true);
  });
}

describe("export is one consistent snapshot while writers run", () => {
  it("JSONL: every export taken during writes restores into an empty store", async () => {
    const dir = tempDir();
    const store = join(dir, "ops/backlog");
    mkdirSync(store, { recursive: true });
    // A large store makes each export take long enough for writes to land while it reads.
    seedStore(store, 3000, 1);
    await exportsWhileWriting(dir, { BACKLOG_NOW: NOW, BACKLOG_LOCK_TIMEOUT_MS: "60000" }, (n) => ({ BACKLOG_NOW: NOW, BACKLOG_DIR: join(dir, `restore-${n}`) }));
  }, 240_000);
});

describe.skipIf(!POSTGRES.dsn)(suiteTitle("export and import on PostgreSQL"), () => {
  it("import refuses the same hostile records with the same lines, writing nothing", async () => {
    const dir = tempDir();
    const dsn = await freshDatabase();
    const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn } });
    ok(run(["migrate", "--actor", "scheduler"]));
    expectHostileImportRefused(dir, run, () => ok(run(["export"])).stdout);
  });

  it("a row with a value outside its enum, even a case variant, is exit 6 naming table, row and column", async () => {
    const dir = tempDir();
    const dsn = await freshDatabase();
    const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn } });
    ok(run(["migrate", "--actor", "scheduler"]));
    const { id } = json(ok(run(["create", "--service", "api", "--category", "security", "--title", "hand edited", "--json"]))).item;
    const client = new pg.Client({ connectionString: dsn });
    await client.connect();
    try {
      await client.query("UPDATE backlog_items SET status = 'Done' WHERE id = $1", [id]);
    } finally {
      await client.end();
    }
    for (const args of [["list", "--status", "all"], ["get", id], ["export"]]) {
      const r = run(args);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toContain(`backlog_items row ${id}: status "Done" is not one of open|in_progress|blocked|done|canceled`);
      expect(r.stderr).toContain("SET status = 'done'");
    }
  });

  it("every export taken during writes restores into an empty store", async () => {
    const dir = tempDir();
    const dsn = await freshDatabase();
    const env = { BACKLOG_NOW: NOW, BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn, BACKLOG_LOCK_TIMEOUT_MS: "60000" };
    ok(cli(["migrate", "--actor", "scheduler"], { cwd: dir, env }));
    const seed = join(dir, "seed");
    mkdirSync(seed);
    seedStore(seed, 3000, 1);
    const seeded = cli(["export"], { cwd: dir, env: { BACKLOG_NOW: NOW, BACKLOG_DIR: seed } }).stdout;
    writeFileSync(join(dir, "seed.jsonl"), seeded);
    ok(cli(["import", "seed.jsonl", "--actor", "scheduler"], { cwd: dir, env }));
    await exportsWhileWriting(dir, env, (n) => ({ BACKLOG_NOW: NOW, BACKLOG_DIR: join(dir, `restore-${n}`) }));
  }, 240_000);
});

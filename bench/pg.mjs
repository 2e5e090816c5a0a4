// PostgreSQL at 100k items (issue 15): `dashboard`, `list --service`, `list --status open` and `get`
// of the postgres backend beside one `SELECT status, count(*) … GROUP BY status` run by `psql`, in
// the same run, interleaved. Two comparisons:
//   - process level: the `backlog` process against the `psql` process (both start, connect, query,
//     print, exit), and `node -e 0` for scale: Node's start-up is most of a backlog command here;
//   - in process: the store's own calls (PgStore, bundled from src/ by esbuild, one connection),
//     against psql's `\timing` of the GROUP BY (the round trip psql measures, without its start-up)
//     and the same GROUP BY sent by the same driver.
// Then EXPLAIN ANALYZE of the statements the CLI itself sends for `list --service` and
// `list --status`, captured by auto_explain in the server's log (a role that preloads it), so the
// plans shown are those of the shipped code path, not of a copy of its SQL.
//
//   npm run build && node bench/pg.mjs [--runs N] [--items N]
//
// A throwaway cluster (initdb + pg_ctl on a temp dir, a free port, 127.0.0.1 only, fsync off) is
// started and removed. The items are those of bench/generate.mjs (ITEMS items in 3×ITEMS lines, the
// latest version of each), loaded in batches through json_populate_recordset, as the store's own
// writes are, then VACUUM ANALYZE (what autovacuum would have done by the next day).
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, openSync, readSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "backlog");
const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const RUNS = arg("--runs", 7);
const KEEP = process.argv.includes("--keep"); // leave the cluster running, for trying queries by hand
const ITEMS = arg("--items", 100_000);
const NOW = "2026-06-01T00:00:00Z";
const TODAY = NOW.slice(0, 10);
const ENV = "prod";
const CATEGORIES = ["arch_review", "refactor", "slo_hardening", "cleanup_followups", "security"];
const ACTIVE = ["open", "in_progress", "blocked"];
const SERVICE = "svc-1a";
const FLOOR_SQL = "SELECT status, count(*) FROM backlog_items GROUP BY status";

if (!existsSync(join(ROOT, "dist", "backlog.cjs"))) {
  console.error("bench: build first (npm run build)");
  process.exit(2);
}
const bindir = ["15", ...(existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)) : [])]
  .map((v) => `/usr/lib/postgresql/${v}/bin`)
  .find((d) => existsSync(join(d, "initdb")) && existsSync(join(d, "pg_ctl")));
if (!bindir) {
  console.error("bench: no PostgreSQL server binaries under /usr/lib/postgresql (install Debian's postgresql)");
  process.exit(2);
}
const require = createRequire(join(ROOT, "package.json"));
const pg = require("pg");
const esbuild = require("esbuild");

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function must(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 28, ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

// --- the cluster -------------------------------------------------------------------------------
const base = mkdtempSync(join(tmpdir(), "backlog-bench-pg-"));
const asRoot = process.getuid?.() === 0;
const pgUser = (command, args) => (asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args]);
const data = join(base, "data");
const serverLog = join(base, "server.log");
let started = false;

let port = 0;
async function startCluster() {
  if (asRoot) chownSync(base, Number(must("id", ["-u", "postgres"]).stdout.trim()), Number(must("id", ["-g", "postgres"]).stdout.trim()));
  must(...pgUser(join(bindir, "initdb"), ["-D", data, "-U", "backlog", "--auth=trust", "-E", "UTF8", "--no-sync"]));
  port = await freePort();
  const options = `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off`;
  must(...pgUser(join(bindir, "pg_ctl"), ["-D", data, "-l", serverLog, "-o", options, "-w", "-t", "60", "start"]));
  started = true;
  return port;
}

function stopCluster() {
  if (KEEP && started) {
    console.log(`\nCluster kept: psql -h 127.0.0.1 -p ${port} -U backlog bench; stop it with: ${pgUser(join(bindir, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]).flat().join(" ")}; rm -rf ${base}`);
    return;
  }
  if (started) spawnSync(...pgUser(join(bindir, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]), { encoding: "utf8" });
  rmSync(base, { recursive: true, force: true });
}

// --- the data ----------------------------------------------------------------------------------
function latestItems(file) {
  const latest = new Map();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const item = JSON.parse(line);
    latest.set(item.id, item);
  }
  return [...latest.values()];
}

async function load(client, table, rows) {
  const columns = table === "backlog_items"
    ? "id, created_at, updated_at, env, service, category, title, description, priority, status, owner, due_date, source, dedupe_key, evidence_refs, tags, meta"
    : "id, item_id, ts, type, message, actor, meta";
  for (let i = 0; i < rows.length; i += 5000) {
    await client.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)`, [JSON.stringify(rows.slice(i, i + 5000))]);
  }
}

// --- measuring -------------------------------------------------------------------------------------
function timed(command, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, args, { env, encoding: "utf8", maxBuffer: 1 << 28 });
  const elapsed = ms(t0);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return { elapsed, stdout: r.stdout };
}

/** The part of the server log written while fn ran. */
function logDuring(fn) {
  const before = statSync(serverLog).size;
  fn();
  const size = statSync(serverLog).size;
  const buffer = Buffer.alloc(size - before);
  const fd = openSync(serverLog, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, before);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

/** auto_explain entries of a log segment: the statement and its plan, the schema check left out. */
function plans(segment) {
  const entries = segment.split(/\n(?=\S)/).filter((e) => e.includes("plan:"));
  return entries
    .map((e) => e.replace(/^.*?LOG:\s+/s, "").replace(/\n\t/g, "\n  "))
    .filter((e) => !e.includes("backlog_schema_version"));
}

async function main() {
  const t0 = process.hrtime.bigint();
  await startCluster();
  const admin = `postgresql://backlog@127.0.0.1:${port}/postgres`;
  const dsn = `postgresql://backlog@127.0.0.1:${port}/bench`;
  const explainDsn = `postgresql://explainer@127.0.0.1:${port}/bench`;
  {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query("CREATE DATABASE bench");
    // A second role whose sessions log every statement's EXPLAIN ANALYZE; the timed runs use `backlog`.
    await c.query("CREATE ROLE explainer LOGIN SUPERUSER");
    await c.query("ALTER ROLE explainer SET session_preload_libraries = 'auto_explain'");
    await c.query("ALTER ROLE explainer SET auto_explain.log_min_duration = 0");
    await c.query("ALTER ROLE explainer SET auto_explain.log_analyze = on");
    await c.query("ALTER ROLE explainer SET auto_explain.log_buffers = on");
    await c.end();
  }
  const cliEnv = { ...process.env, NO_COLOR: "1", BACKLOG_NOW: NOW, BACKLOG_ACTOR: "cto", BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn };
  const backlog = (args, env = cliEnv) => timed(process.execPath, [BIN, ...args], env);
  backlog(["migrate", "--actor", "scheduler"]);

  const gen = join(base, "gen");
  must(process.execPath, [join(ROOT, "bench", "generate.mjs"), gen, String(ITEMS), String(ITEMS * 3)]);
  const items = latestItems(join(gen, "items.jsonl"));
  const events = readFileSync(join(gen, "events.jsonl"), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  rmSync(gen, { recursive: true, force: true });
  {
    const c = new pg.Client({ connectionString: dsn });
    await c.connect();
    await c.query("BEGIN");
    await load(c, "backlog_items", items);
    await load(c, "backlog_events", events);
    await c.query("COMMIT");
    // What autovacuum (off here, for quiet runs) would have done by then: statistics, and the
    // visibility map that index-only scans need. A first VACUUM right after the load may leave
    // pages not yet all-visible; the second sets them. The dashboard counts, updated by every
    // loading statement, are vacuumed as well.
    await c.query("VACUUM ANALYZE");
    await c.query("VACUUM");
    const size = (await c.query(`SELECT pg_size_pretty(pg_total_relation_size('backlog_items')) AS items, pg_size_pretty(pg_total_relation_size('backlog_events')) AS events,
      (SELECT round(100.0 * relallvisible / greatest(relpages, 1)) FROM pg_class WHERE relname = 'backlog_items') AS visible,
      (SELECT count(*) FROM backlog_item_counts) AS counts`)).rows[0];
    console.log(`Loaded ${items.length} items (table with indexes ${size.items}, ${size.visible}% of its pages all-visible, ${size.counts} rows of dashboard counts) and ${events.length} events (${size.events}) in ${(ms(t0) / 1000).toFixed(1)} s, cluster start included.`);
    await c.end();
  }
  const someId = items[Math.floor(items.length / 2)].id;

  // --- process level, interleaved ---
  const psqlArgs = ["-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", "backlog", "-d", "bench"];
  const psqlTimings = [];
  const cases = {
    "node -e 0": () => timed(process.execPath, ["-e", "0"], cliEnv).elapsed,
    [`psql -c "${FLOOR_SQL}"`]: () => {
      const r = timed("psql", [...psqlArgs, "-c", "\\timing on", "-c", FLOOR_SQL], cliEnv);
      psqlTimings.push(Number(/Time: ([\d.]+) ms/.exec(r.stdout)[1]));
      return r.elapsed;
    },
    "backlog dashboard --json": () => backlog(["dashboard", "--json"]).elapsed,
    [`backlog list --service ${SERVICE} --json`]: () => backlog(["list", "--service", SERVICE, "--json"]).elapsed,
    "backlog list --status open --json": () => backlog(["list", "--status", "open", "--json"]).elapsed,
    "backlog get ID --json": () => backlog(["get", someId, "--json"]).elapsed,
  };
  for (const measure of Object.values(cases)) measure(); // warm-up: page cache, server caches
  psqlTimings.length = 0;
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let run = 0; run < RUNS; run += 1) for (const [name, measure] of Object.entries(cases)) samples[name].push(measure());

  // --- in process, interleaved ---
  const bundle = join(ROOT, "bench", "out", "pg-store.bundle.mjs");
  await esbuild.build({ entryPoints: [join(ROOT, "src", "store", "pg", "pg-store.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: bundle, logLevel: "error" });
  const { PgStore } = await import(pathToFileURL(bundle).href);
  const store = new PgStore({ dsn, lockTimeoutMs: 10_000 });
  const driver = new pg.Client({ connectionString: dsn });
  await driver.connect();
  const calls = {
    [`driver: ${FLOOR_SQL}`]: () => driver.query(FLOOR_SQL),
    "store.dashboard(prod)": () => store.dashboard(ENV, TODAY, CATEGORIES),
    [`store.listItems(service ${SERVICE}, active)`]: () => store.listItems({ service: [SERVICE], statuses: ACTIVE }, { limit: 50, offset: 0 }),
    "store.listItems(status open)": () => store.listItems({ statuses: ["open"] }, { limit: 50, offset: 0 }),
    "store.getItem + listEvents": async () => {
      await store.getItem(someId);
      await store.listEvents(someId);
    },
  };
  for (const call of Object.values(calls)) await call();
  const inProcess = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
  for (let run = 0; run < RUNS * 3; run += 1) {
    for (const [name, call] of Object.entries(calls)) {
      const t = process.hrtime.bigint();
      await call();
      inProcess[name].push(ms(t));
    }
  }
  const explainFloor = await driver.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${FLOOR_SQL}`);

  // --- what the dashboard counts cost writes: the same writes with their triggers on and off ---
  const batch = items.slice(0, 1000);
  let flips = 0;
  const flip = (item) => ({ ...item, status: flips % 2 === 0 ? "in_progress" : "open", updated_at: `2026-05-${String(1 + (flips % 28)).padStart(2, "0")}T00:00:00.000Z` });
  const writes = {
    "store.write: 1 item, status changed": () => store.write(async (tx) => tx.putItem(flip(items[7]))),
    "store.write: 1000 items, status changed": () => store.write(async (tx) => {
      for (const item of batch) tx.putItem(flip(item));
    }),
    // As a CLI command does: a new session, whose first trigger call compiles the function.
    "new PgStore (connect) + store.write: 1 item": async () => {
      const fresh = new PgStore({ dsn, lockTimeoutMs: 10_000 });
      try {
        await fresh.write(async (tx) => tx.putItem(flip(items[8])));
      } finally {
        await fresh.close();
      }
    },
  };
  const writeTimes = {};
  for (const mode of ["on", "off"]) for (const name of Object.keys(writes)) writeTimes[`${name}, counts' triggers ${mode}`] = [];
  for (let run = 0; run < RUNS; run += 1) {
    for (const mode of ["on", "off"]) {
      await driver.query(`ALTER TABLE backlog_items ${mode === "on" ? "ENABLE" : "DISABLE"} TRIGGER USER`);
      await writes["store.write: 1 item, status changed"](); // not timed: plans cached before the change are remade
      for (const [name, write] of Object.entries(writes)) {
        const t = process.hrtime.bigint();
        await write();
        writeTimes[`${name}, counts' triggers ${mode}`].push(ms(t));
        flips += 1;
      }
    }
  }
  // Writes with the triggers off left the counts behind: recount, as migration 3 does.
  await driver.query("ALTER TABLE backlog_items ENABLE TRIGGER USER");
  await driver.query(`BEGIN; DELETE FROM backlog_item_counts; DELETE FROM backlog_item_due_counts;
    INSERT INTO backlog_item_counts (env, status, priority, category, service, n) SELECT env, status, priority, category, service, count(*) FROM backlog_items GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO backlog_item_due_counts (env, due_date, n) SELECT env, due_date, count(*) FROM backlog_items WHERE status NOT IN ('done', 'canceled') AND due_date <> '' GROUP BY 1, 2; COMMIT`);
  await driver.end();
  await store.close();

  // --- plans of the CLI's own statements ---
  const explainEnv = { ...cliEnv, BACKLOG_POSTGRES_DSN: explainDsn };
  const captured = {};
  for (const args of [["list", "--service", SERVICE], ["list", "--status", "open"], ["dashboard"]]) {
    captured[`backlog ${args.join(" ")}`] = plans(logDuring(() => backlog([...args, "--json"], explainEnv)));
  }

  // --- report ---
  const load1 = loadavg()[0].toFixed(1);
  console.log(`\nRun of ${new Date().toISOString().slice(0, 10)}, ${items.length} items / ${events.length} events, ${RUNS} interleaved runs (in process: ${RUNS * 3}), load average ${load1} (machine shared with other builds: read the ratios).\n`);
  const psqlMedian = median(samples[`psql -c "${FLOOR_SQL}"`]);
  const nodeMedian = median(samples["node -e 0"]);
  console.log("Process level (spawn to exit):\n");
  console.log("| command | median | × psql GROUP BY | × node -e 0 |\n|---|---|---|---|");
  for (const [name, xs] of Object.entries(samples)) console.log(`| ${name} | ${fmt(median(xs))} ms | ${(median(xs) / psqlMedian).toFixed(2)}× | ${(median(xs) / nodeMedian).toFixed(2)}× |`);

  const psqlTiming = median(psqlTimings);
  const execution = explainFloor.rows[0]["QUERY PLAN"][0]["Execution Time"];
  console.log(`\nIn process (one connection, after warm-up). Floors: psql's \\timing of the GROUP BY ${fmt(psqlTiming)} ms (median of ${psqlTimings.length}), its EXPLAIN ANALYZE execution time ${fmt(execution)} ms.\n`);
  console.log("| call | median | × psql \\timing GROUP BY |\n|---|---|---|");
  for (const [name, xs] of Object.entries(inProcess)) console.log(`| ${name} | ${fmt(median(xs))} ms | ${(median(xs) / psqlTiming).toFixed(2)}× |`);

  console.log("\nWrites in process (each a transaction with its advisory lock; the 1000 items are updated by one upsert):\n");
  console.log("| write | median |\n|---|---|");
  for (const [name, xs] of Object.entries(writeTimes)) console.log(`| ${name} | ${fmt(median(xs))} ms |`);

  let seqScans = 0;
  for (const [command, entries] of Object.entries(captured)) {
    console.log(`\nauto_explain of \`${command}\` (${entries.length} statements):\n`);
    for (const entry of entries) {
      console.log(entry.trimEnd());
      console.log("");
      if (/Seq Scan on backlog_items/.test(entry) && command.startsWith("backlog list")) seqScans += 1;
    }
  }
  console.log(seqScans === 0 ? "list --service / --status: no sequential scan of backlog_items." : `list --service / --status: ${seqScans} statement(s) with a sequential scan of backlog_items.`);
  const dashboard = median(inProcess["store.dashboard(prod)"]);
  console.log(`Goal "dashboard ≤ 2× psql GROUP BY", judged in process: ${(dashboard / psqlTiming).toFixed(2)}× ${dashboard <= 2 * psqlTiming ? "(met)" : "(NOT met)"}; process level ${(median(samples["backlog dashboard --json"]) / psqlMedian).toFixed(2)}×.`);
}

try {
  await main();
} finally {
  stopCluster();
}

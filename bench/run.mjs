// Benchmarks of the built CLI on generated stores. Prints figures (median and spread of several
// runs) next to floors: `node -e 0` for start-up; for reads, a plain loop that reads items.jsonl
// and JSON.parses every line (readFileSync where the file fits in a string, and the stricter
// streamed loop). Nothing here asserts: tests assert behaviour, this measures.
//
//   npm run bench               10k/30k, 100k/300k and 100k/1M stores, 5 runs each
//   npm run bench -- --quick    10k/30k and 100k/300k, 3 runs (under a minute)
import { spawnSync } from "node:child_process";
import { appendFileSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench", "out");
const BIN = join(ROOT, "bin", "backlog");
const quick = process.argv.includes("--quick");
const RUNS = quick ? 3 : 5;
const STORES = quick
  ? [{ items: 10_000, lines: 30_000 }, { items: 100_000, lines: 300_000 }]
  : [{ items: 10_000, lines: 30_000 }, { items: 100_000, lines: 300_000 }, { items: 100_000, lines: 1_000_000 }];
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const NOW = "2026-06-01T00:00:00Z";

if (!existsSync(join(ROOT, "dist", "backlog.cjs"))) {
  console.error("bench: build first (npm ci, or npm run build)");
  process.exit(2);
}

/** One run: wall time in ms and peak RSS in MB (when /usr/bin/time is there). */
function once(command, args, env) {
  const full = TIME ? [TIME, ["-f", "%M", command, ...args]] : [command, args];
  const start = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { env: { ...process.env, NO_COLOR: "1", BACKLOG_NOW: NOW, ...env }, encoding: "utf8", maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && r.status !== 10) throw new Error(`${command} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  const rss = TIME ? Number(r.stderr.trim().split("\n").pop()) / 1024 : NaN;
  return { ms, rss };
}

/** RUNS runs (after one warm-up when `warmup`), `before` called ahead of each, untimed. */
function measure(command, args, env = {}, { before = () => {}, warmup = true } = {}) {
  if (warmup) {
    before();
    once(command, args, env);
  }
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) {
    before();
    runs.push(once(command, args, env));
  }
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms[ms.length - 1], rss: Math.max(...runs.map((r) => r.rss)) };
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const rows = [];
let plain = null;
const ratio = (m, floor) => `${(m.median / floor.median).toFixed(2)}×`;
const row = (store, what, cache, m, floor, floorName) => {
  // Reads are set against both floors: "plain / strict".
  const ratios = floor ? (floorName === "parse" ? `${plain ? `${ratio(m, plain)} / ` : "— / "}${ratio(m, floor)}` : `${ratio(m, floor)} ${floorName}`) : "";
  rows.push(`| ${store} | ${what} | ${cache} | ${fmt(m.median)} | ${fmt(m.min)}–${fmt(m.max)} | ${ratios} | ${Number.isNaN(m.rss) ? "n/a" : `${m.rss.toFixed(0)} MB`} |`);
};

function storeDir({ items, lines }) {
  const dir = join(OUT, `store-${items}-${lines}`);
  if (!existsSync(join(dir, "events.jsonl"))) {
    rmSync(dir, { recursive: true, force: true });
    console.error(`bench: generating ${items} items in ${lines} lines…`);
    const r = spawnSync(process.execPath, [join(ROOT, "bench", "generate.mjs"), dir, String(items), String(lines)], { stdio: "inherit" });
    if (r.status !== 0) process.exit(1);
  }
  return dir;
}

function digestOf200(dir) {
  const path = join(dir, "digest-200.json");
  const services = Array.from({ length: 200 }, (_, i) => ({
    service: `svc-${i.toString(36)}`,
    pressure_score: 50 + (i % 50),
    pressure_band: ["medium", "high", "critical"][i % 3],
    pressure_requires_arch_review: i % 2 === 0,
    risk_score: 40 + (i % 60),
    risk_band: ["low", "high", "critical"][i % 3],
    risk_has_slo_violations: i % 5 === 0,
    followups_overdue: i % 4,
    signals: ["error budget burn 2.4x"],
    evidence_refs: { alerts: [`ALR-${i}`], incidents: [], release_checks: [], artifacts: [], followups: [] },
  }));
  writeFileSync(path, JSON.stringify({ week: "2026-W22", env: "prod", services }));
  writeFileSync(join(dir, "policy.yml"), "defaults: {max_items_per_run: 1000}\n");
  return path;
}

mkdirSync(OUT, { recursive: true });
const machine = `${cpus()[0]?.model ?? "unknown CPU"} · ${cpus().length} cores · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · node ${process.version}`;
console.error(`bench: ${quick ? "quick, " : ""}${RUNS} runs per figure on ${machine}`);

const nodeFloor = measure(process.execPath, ["-e", "0"]);
row("—", "`node -e 0` (floor)", "—", nodeFloor);
row("—", "`backlog --version`", "—", measure(process.execPath, [BIN, "--version"]), nodeFloor, "node -e 0");

for (const spec of STORES) {
  const dir = storeDir(spec);
  const label = `${spec.items / 1000}k items / ${spec.lines / 1000}k lines (${mb(statSync(join(dir, "items.jsonl")).size)})`;
  const env = { BACKLOG_DIR: dir, BACKLOG_ACTOR: "scheduler" };
  // Two floors: the plainest loop (whole file read, then each line parsed), where the file fits in
  // a string; and the same loop streaming 4 MiB chunks, stricter, which always works.
  const fits = statSync(join(dir, "items.jsonl")).size < 512 * 2 ** 20;
  const plainFloor = fits ? measure(process.execPath, [join(ROOT, "bench", "floor-parse.mjs"), join(dir, "items.jsonl")]) : null;
  plain = plainFloor;
  if (plainFloor) row(label, "readFileSync + JSON.parse every line (floor)", "—", plainFloor);
  const parseFloor = measure(process.execPath, [join(ROOT, "bench", "floor-stream.mjs"), join(dir, "items.jsonl")]);
  row(label, "streamed + JSON.parse every line (strict floor)", "—", parseFloor);
  const dropIndexes = () => {
    rmSync(join(dir, ".items.jsonl.index"), { force: true });
    rmSync(join(dir, ".events.jsonl.index"), { force: true });
  };
  const middleId = `bl_${Math.floor(spec.items / 2).toString(16).padStart(12, "0")}`;
  const commands = [
    ["get", ["get", middleId, "--json"]],
    ["list", ["list", "--json"]],
    ["dashboard", ["dashboard", "--json"]],
  ];
  for (const [name, args] of commands) {
    row(label, `\`${name}\``, "cold (no index)", measure(process.execPath, [BIN, ...args], env, { before: dropIndexes }), parseFloor, "parse");
    // One run to leave a saved index; the warm runs then start from it.
    once(process.execPath, [BIN, ...args], env);
    row(label, `\`${name}\``, "warm (unchanged)", measure(process.execPath, [BIN, ...args], env, { warmup: false }), parseFloor, "parse");
  }
  // Appends since the index was saved: each run first adds 200 item versions (~150 KB).
  const generatedSize = statSync(join(dir, "items.jsonl")).size;
  const head = Buffer.alloc(8192);
  const headFd = openSync(join(dir, "items.jsonl"), "r");
  readSync(headFd, head, 0, head.length, 0);
  closeSync(headFd);
  const sample = head.toString("utf8").split("\n")[0];
  let appended = 0;
  const appendSome = () => {
    const item = JSON.parse(sample);
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ ...item, id: `bl_f${String(appended * 200 + i).padStart(11, "0")}`, dedupe_key: `bench:${appended}:${i}` }));
    appendFileSync(join(dir, "items.jsonl"), `${lines.join("\n")}\n`);
    appended += 1;
  };
  once(process.execPath, [BIN, "dashboard", "--json"], env);
  row(label, "`dashboard`", "warm + appends", measure(process.execPath, [BIN, "dashboard", "--json"], env, { before: appendSome, warmup: false }), parseFloor, "parse");

  const digest = digestOf200(dir);
  const generate = ["generate-weekly", "--digest", digest, "--policy", join(dir, "policy.yml"), "--dry-run", "--json"];
  row(label, "`generate-weekly` 200 services (dry run)", "warm", measure(process.execPath, [BIN, ...generate], env), parseFloor, "parse");

  const scratch = join(OUT, "scratch");
  const copy = () => {
    rmSync(scratch, { recursive: true, force: true });
    cpSync(dir, scratch, { recursive: true });
    // Flushed now, so that the compaction's own fsyncs do not pay for writing back the copy.
    spawnSync("sync");
  };
  row(label, "`cleanup` (compacts every run)", "—", measure(process.execPath, [BIN, "cleanup", "--json"], { ...env, BACKLOG_DIR: scratch }, { before: copy, warmup: false }), parseFloor, "parse");
  rmSync(scratch, { recursive: true, force: true });
  // Leave the store as generated (the appended lines cut off) for the next run of the benchmark.
  truncateSync(join(dir, "items.jsonl"), generatedSize);
}

const table = [
  `Machine: ${machine}. ${RUNS} runs per figure (median, min–max); peak RSS is the largest of the runs.`,
  "",
  "| store | command | index | median | spread | ratio to floor (plain / strict) | peak RSS |",
  "|---|---|---|---|---|---|---|",
  ...rows,
].join("\n");
console.log(table);
writeFileSync(join(OUT, quick ? "results-quick.md" : "results.md"), `${table}\n`);

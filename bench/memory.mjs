// Peak RSS of every command on the 100k-item / 300k-line store (the store of `npm run bench`),
// against issue 15's memory goal: 2 × items × average item size. Each command runs RUNS times
// (the largest peak is shown: where V8 collects moves it by a few MB) on a private copy of the
// store, in the states a user meets: saved indexes in place; writes; indexes missing (the first
// command after a cleanup, a restore or a new checkout); an import of the whole store. Nothing here
// asserts: tests assert behaviour, this measures.
//
//   node bench/memory.mjs [--runs N]
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench", "out");
const BIN = join(ROOT, "bin", "backlog");
const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
const ITEMS = 100_000;
const LINES = 300_000;
const NOW = "2026-06-01T00:00:00Z";

if (!existsSync(join(ROOT, "dist", "backlog.cjs"))) {
  console.error("bench: build first (npm ci, or npm run build)");
  process.exit(2);
}
if (!existsSync("/usr/bin/time")) {
  console.error("bench: needs GNU time (/usr/bin/time) to read peak RSS");
  process.exit(2);
}

const source = join(OUT, `store-${ITEMS}-${LINES}`);
if (!existsSync(join(source, "events.jsonl"))) {
  console.error(`bench: generating ${ITEMS} items in ${LINES} lines…`);
  const r = spawnSync(process.execPath, [join(ROOT, "bench", "generate.mjs"), source, String(ITEMS), String(LINES)], { stdio: "inherit" });
  if (r.status !== 0) process.exit(1);
}
const work = join(OUT, "memory");
const store = join(work, "store");
const logs = ["items.jsonl", "events.jsonl"];
/** A fresh copy of the generated logs alone (no saved index), into `dir`. */
function copyLogs(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const log of logs) cpSync(join(source, log), join(dir, log));
}

const goal = (2 * ITEMS * (statSync(join(source, "items.jsonl")).size / LINES)) / 2 ** 20;
const env = (dir) => ({ ...process.env, NO_COLOR: "1", BACKLOG_NOW: NOW, BACKLOG_DIR: dir, BACKLOG_ACTOR: "scheduler" });

/** One run: peak RSS in MB and wall time in ms; exit codes 0 and 10 (a gate that fails) are answers. */
function once(args, dir, before) {
  before?.();
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, BIN, ...args], { env: env(dir), encoding: "utf8", maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && r.status !== 10) throw new Error(`backlog ${args.join(" ")} exited ${r.status}:\n${r.stderr.slice(0, 2000)}`);
  return { ms, rss: Number(r.stderr.trim().split("\n").pop()) / 1024 };
}

const rows = [];
let over = 0;
function measure(state, args, { dir = store, before } = {}) {
  const runs = Array.from({ length: RUNS }, () => once(args, dir, before));
  const rss = Math.max(...runs.map((r) => r.rss));
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  if (rss > goal) over += 1;
  const shown = args.map((a) => (a.startsWith(work) ? a.slice(work.length + 1) : a)).join(" ");
  rows.push(`| ${state} | \`backlog ${shown}\` | ${ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`} | ${rss.toFixed(0)} MB | ${(rss / goal).toFixed(2)}×${rss > goal ? " **over**" : ""} |`);
  console.error(`${state}: backlog ${shown}: ${rss.toFixed(0)} MB`);
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(", ");
const loadBefore = load();
copyLogs(store);
// Every saved index in place: items and events (a report), the text index (a search).
for (const args of [["list"], ["report"], ["list", "--search", "latency"]]) once(args, store);
const id = `bl_${(ITEMS / 2).toString(16).padStart(12, "0")}`;
const board = join(work, "board.html");
const exported = join(work, "export.jsonl");

const reads = [
  ["list"], ["list", "--all"], ["list", "--all", "--json"], ["list", "--all", "--jsonl"], ["list", "--all", "--format", "csv"],
  ["list", "--search", "latency", "--all", "--json"], ["list", "--tag", "auto", "--sort", "title", "--json"],
  ["get", id], ["get", id, "--json"], ["dashboard"], ["dashboard", "--json"], ["report", "--weeks", "52"], ["report", "--json"],
  ["log"], ["log", "--since", "52w", "--json"], ["log", "--since", "52w", "--limit", "100000", "--json"], ["log", "--since", "52w", "--limit", "100000"],
  ["gate"], ["export"], ["export", "--output", exported], ["board", "--output", board],
  ["tool", '{"action":"list","all":true}'], ["tool", '{"action":"dashboard"}'],
];
for (const args of reads) measure("saved indexes", args);

// Writes: each run on the store as the previous left it (the indexes follow the appends).
measure("saved indexes", ["create", "--service", "svc-new", "--category", "refactor", "--title", "bench"]);
for (const args of [["edit", id, "--title", "bench"], ["comment", id, "a note"], ["set-status", id, "in_progress"], ["set-status", id, "blocked"]]) measure("saved indexes", args);
measure("saved indexes", ["upsert", "--service", "svc-new", "--category", "refactor", "--title", "bench", "--dedupe-key", "bench:1"]);
measure("saved indexes", ["cleanup", "--dry-run"]);

// No saved index (the first command after a cleanup, a restore or a new checkout): each run on a fresh copy.
const cold = join(work, "cold");
for (const args of [["list"], ["dashboard"], ["get", id], ["report"], ["log"], ["list", "--search", "latency"], ["edit", id, "--title", "cold"], ["cleanup"]]) {
  measure("no saved index", args, { dir: cold, before: () => copyLogs(cold) });
}

// A restored copy (a backup, `cp -r`): its saved indexes came along, but the logs beside them are
// other files now, so that they no longer describe them (each run on a fresh copy).
const restored = join(work, "restored");
const restoreCopy = () => {
  rmSync(restored, { recursive: true, force: true });
  cpSync(store, restored, { recursive: true });
};
for (const args of [["list"], ["report"]]) measure("restored copy", args, { dir: restored, before: restoreCopy });

// The whole store imported into an empty one, then again into the result (which changes nothing).
const target = join(work, "import");
const emptyTarget = () => {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target);
};
measure("import", ["import", exported], { dir: target, before: emptyTarget });
measure("import", ["import", exported], { dir: target });

const table = [
  `Machine: ${cpus()[0]?.model ?? "unknown CPU"} · ${cpus().length} cores · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · node ${process.version}. Load average ${loadBefore} before, ${load()} after. Store: ${ITEMS / 1000}k items in ${LINES / 1000}k lines; memory goal ${goal.toFixed(0)} MB (2 × items × average item size). Peak RSS: the largest of ${RUNS} runs; time: their median.`,
  "",
  "| state | command | time | peak RSS | × goal |",
  "|---|---|---|---|---|",
  ...rows,
  "",
  `${over} of ${rows.length} over the goal.`,
].join("\n");
console.log(table);
writeFileSync(join(OUT, "memory.md"), `${table}\n`);

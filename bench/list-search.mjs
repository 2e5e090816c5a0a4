// `list --search` and `list --sort` against plain `list` on a generated 100k-item store (300k lines),
// JSONL backend with its saved index warm. Prints medians and ratios to plain `list`; asserts nothing.
//
//   node bench/list-search.mjs [--runs N]
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "backlog");
const DIR = join(ROOT, "bench", "out", "store-100000-300000");
const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;

if (!existsSync(join(ROOT, "dist", "backlog.cjs"))) {
  console.error("bench: build first (npm run build)");
  process.exit(2);
}
if (!existsSync(join(DIR, "events.jsonl"))) {
  rmSync(DIR, { recursive: true, force: true });
  console.error("bench: generating 100000 items in 300000 lines…");
  const r = spawnSync(process.execPath, [join(ROOT, "bench", "generate.mjs"), DIR, "100000", "300000"], { stdio: "inherit" });
  if (r.status !== 0) process.exit(1);
}

function once(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(BIN, ["--dir", DIR, "list", ...args], { env: { ...process.env, NO_COLOR: "1", BACKLOG_NOW: "2026-06-01T00:00:00Z" }, encoding: "utf8", maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`list ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return ms;
}

function median(args) {
  once(args); // warm-up: the saved index is written, the page cache filled
  const ms = Array.from({ length: RUNS }, () => once(args)).sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const cases = [
  ["plain list", []],
  ["--sort -updated", ["--sort", "-updated"]],
  ["--sort service,-due", ["--sort", "service,-due"]],
  ["--sort title", ["--sort", "title"]],
  ["--search svc-1a (service)", ["--search", "svc-1a"]],
  ["--search latency (text)", ["--search", "latency"]],
  ["--search + --env prod --priority P0", ["--search", "latency", "--env", "prod", "--priority", "P0"]],
];
const base = median(cases[0][1]);
console.log(`| list on 100k items / 300k lines | median | × plain list |\n|---|---|---|`);
for (const [name, args] of cases) {
  const m = name === "plain list" ? base : median(args);
  console.log(`| ${name} | ${m.toFixed(0)} ms | ${(m / base).toFixed(2)}× |`);
}

// `list --search`, `--tag` and `--sort` against plain `list` on a generated 100k-item store (300k
// lines), JSONL backend with its saved indexes warm (items and text). Each case runs right after a
// plain `list`, several runs; prints medians, the median ratio to plain `list`, and the load
// average. Then the text index's memory: peak RSS of the same queries with the text index saved,
// absent (deleted before each run: built, then saved) and with saved indexes off, against the
// memory goal (2 × items × average item size), with their time beside a plain `list` of the same
// kind. Asserts nothing.
//
//   node bench/list-search.mjs [--runs N]
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
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

// CPU time (user + system) of each command too, when GNU time is there: on a loaded machine it
// moves less than the wall clock.
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

function once(args, env = {}) {
  const command = TIME ? [TIME, ["-f", "cpu %U %S %M", BIN, "--dir", DIR, "list", ...args]] : [BIN, ["--dir", DIR, "list", ...args]];
  const start = process.hrtime.bigint();
  const r = spawnSync(command[0], command[1], { env: { ...process.env, NO_COLOR: "1", BACKLOG_NOW: "2026-06-01T00:00:00Z", ...env }, encoding: "utf8", maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`list ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  return { ms, cpu: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : null, rss: cpu ? Number(cpu[3]) / 1024 : Number.NaN };
}

const cases = [
  ["--sort -updated", ["--sort", "-updated"]],
  ["--sort service,-due", ["--sort", "service,-due"]],
  ["--sort title", ["--sort", "title"]],
  ["--sort -title,priority", ["--sort", "-title,priority"]],
  ["--search svc-1a (service)", ["--search", "svc-1a"]],
  ["--search latency (text)", ["--search", "latency"]],
  ["--search + --env prod --priority P0", ["--search", "latency", "--env", "prod", "--priority", "P0"]],
  ["--tag week:2026-W05", ["--tag", "week:2026-W05"]],
  ["--tag auto (every item)", ["--tag", "auto"]],
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = () => loadavg().map((n) => n.toFixed(2)).join(" ");

// Warm-up: the saved indexes are written (the text index by the first search), the page cache filled.
once([]);
for (const [, args] of cases) once(args);

// Interleaved: each case right after a plain list, so that both see the same machine; the ratio of
// a case is the median of its ratios to the plain list just before it.
const loadBefore = load();
const times = new Map(cases.map(([name]) => [name, { plain: [], ms: [], ratio: [], cpuRatio: [] }]));
for (let run = 0; run < RUNS; run += 1) {
  for (const [name, args] of cases) {
    const t = times.get(name);
    const plain = once([]);
    const it = once(args);
    t.plain.push(plain.ms);
    t.ms.push(it.ms);
    t.ratio.push(it.ms / plain.ms);
    if (it.cpu !== null && plain.cpu) t.cpuRatio.push(it.cpu / plain.cpu);
  }
}
console.log(`${RUNS} runs, load average ${loadBefore} before, ${load()} after (${cpus().length} cores)\n`);
console.log(`| list on 100k items / 300k lines | median | plain list beside it | × plain list | × plain list, CPU time |\n|---|---|---|---|---|`);
for (const [name] of cases) {
  const t = times.get(name);
  const cpu = t.cpuRatio.length > 0 ? `${median(t.cpuRatio).toFixed(2)}×` : "n/a";
  console.log(`| ${name} | ${median(t.ms).toFixed(0)} ms | ${median(t.plain).toFixed(0)} ms | ${median(t.ratio).toFixed(2)}× | ${cpu} |`);
}

// Memory. "absent": the text index deleted before the run, so that the command builds and saves
// it (with the items index saved); "off": BACKLOG_INDEX_CACHE=off, nothing saved read or written.
// Each case right after a plain `list` of the same kind (saved indexes, or off).
const TEXT = join(DIR, ".items.jsonl.text");
const OFF = { BACKLOG_INDEX_CACHE: "off" };
const memoryCases = [
  ["--search latency", ["--search", "latency"]],
  ["--search latency --all --json", ["--search", "latency", "--all", "--json"]],
  ["--tag auto", ["--tag", "auto"]],
  ["--sort title", ["--sort", "title"]],
];
const kinds = [
  ["saved", {}, () => undefined],
  ["absent", {}, () => rmSync(TEXT, { force: true })],
  ["off", OFF, () => undefined],
];
const goal = (2 * 100_000 * (statSync(join(DIR, "items.jsonl")).size / 300_000)) / 2 ** 20;
const memory = new Map();
const memoryLoad = load();
for (let run = 0; run < RUNS; run += 1) {
  for (const [name, args] of memoryCases) {
    for (const [kind, env, before] of kinds) {
      const key = `${name}|${kind}`;
      if (!memory.has(key)) memory.set(key, { rss: [], ratio: [] });
      const m = memory.get(key);
      const plain = once([], env);
      before();
      const it = once(args, env);
      m.rss.push(it.rss);
      m.ratio.push(it.ms / plain.ms);
    }
  }
}
console.log(`\nMemory: ${RUNS} runs, load average ${memoryLoad} before, ${load()} after; goal ${goal.toFixed(0)} MB (2 × items × average item size)\n`);
console.log("| list on 100k items / 300k lines | text index | peak RSS (largest, smallest) | × goal | × plain list of that kind (median) |\n|---|---|---|---|---|");
for (const [name] of memoryCases) {
  for (const [kind] of kinds) {
    const m = memory.get(`${name}|${kind}`);
    const most = Math.max(...m.rss);
    console.log(`| ${name} | ${kind} | ${most.toFixed(0)} MB (${Math.min(...m.rss).toFixed(0)}) | ${(most / goal).toFixed(2)}× | ${median(m.ratio).toFixed(2)}× |`);
  }
}
// Left as the timing runs found it: saved.
once(["--search", "latency"]);

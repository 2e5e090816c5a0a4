// Start-up and small stores (issues 15 and 12): `node -e 0`, `backlog --version`, on a 1k-item store
// (3k lines) `list`, `get`, `dashboard`, `report`, each measured first after a write (the write's
// index is saved by the writer) and again unchanged, and the shell completion of item ids
// (`backlog __complete ids PREFIX`, as the completion scripts ask at each <Tab>) on a 100k-item
// store. Interleaved runs, median of RUNS. The commands keep their policy cache in a directory of
// the run's own ($XDG_CACHE_HOME), as they would in ~/.cache/backlog.
//   npm run build && node bench/small.mjs [RUNS]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin/backlog");
const RUNS = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(join(tmpdir(), "backlog-bench-small-"));
const large = mkdtempSync(join(tmpdir(), "backlog-bench-large-"));
const cacheHome = mkdtempSync(join(tmpdir(), "backlog-bench-cache-"));
const env = { ...process.env, NO_COLOR: "1", BACKLOG_NOW: "2026-06-01T00:00:00Z", BACKLOG_DIR: dir, BACKLOG_ACTOR: "cto", XDG_CACHE_HOME: cacheHome };

function time(args, node = false) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, node ? args : [BIN, ...args], { env, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  spawnSync(process.execPath, [join(ROOT, "bench/generate.mjs"), dir, "1000", "3000"], { stdio: "inherit" });
  const id = `bl_${(500).toString(16).padStart(12, "0")}`;
  const reads = { list: ["list", "--json"], get: ["get", id, "--json"], dashboard: ["dashboard", "--json"], report: ["report", "--json"] };
  const cases = { "node -e 0": () => time(["-e", "0"], true), "backlog --version": () => time(["--version"]) };
  for (const [name, args] of Object.entries(reads)) {
    cases[`${name} (after a write)`] = () => {
      time(["create", "--service", "bench", "--category", "security", "--title", "small bench"]);
      return time(args);
    };
    cases[`${name} (unchanged)`] = () => time(args);
  }
  time(["list", "--json"]);
  // 100k items, 100k lines: the first read saves the index and the id list completion reads.
  spawnSync(process.execPath, [join(ROOT, "bench/generate.mjs"), large, "100000", "100000"], { stdio: "inherit" });
  time(["--dir", large, "list", "--json"]);
  cases["complete ids, 100k items (bl_000000001)"] = () => time(["--dir", large, "__complete", "ids", "bl_000000001"]);
  cases["complete ids, 100k items (bl_, 1000 shown)"] = () => time(["--dir", large, "__complete", "ids", "bl_"]);
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let run = 0; run < RUNS; run += 1) for (const [name, measure] of Object.entries(cases)) samples[name].push(measure());
  const floor = median(samples["node -e 0"]);
  console.log(`load average: ${loadavg().map((l) => l.toFixed(2)).join(" ")}, ${RUNS} runs`);
  console.table(Object.entries(samples).map(([name, xs]) => ({ case: name, "median ms": Math.round(median(xs)), "× node -e 0": (median(xs) / floor).toFixed(2) })));
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(large, { recursive: true, force: true });
  rmSync(cacheHome, { recursive: true, force: true });
}

// Benchmarks of the built CLI on generated stores. Prints figures (median and spread of several
// runs) next to floors measured in the same run: `node -e 0` for start-up; for reads, a plain
// loop that reads items.jsonl and JSON.parses every line (readFileSync where the file fits in a
// string, and the stricter streamed loop). The read-only cases of a store run interleaved (one
// round visits every case, floors included), so a change of the machine's load falls on all of
// them; the cases that change the store come after. Then the same items in what a user would use
// instead: Taskwarrior and jq. Nothing here asserts: tests assert behaviour, this measures.
//
//   npm run bench               10k/30k, 100k/300k and 100k/1M stores, 5 runs each
//   npm run bench -- --quick    10k/30k and 100k/300k, 3 runs, no compaction of 100k and no
//                               comparison at 100k (about two minutes)
import { spawnSync } from "node:child_process";
import { appendFileSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JQ_STATUS_COUNT, taskData, taskwarrior } from "./taskwarrior.mjs";

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
const DIGEST_SERVICES = 500;

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

const summary = (runs) => {
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms[ms.length - 1], rss: Math.max(...runs.map((r) => r.rss)) };
};

/**
 * Cases measured together: one untimed warm-up round, then RUNS rounds each running every case
 * once, in order (`before` of a case runs ahead of it, untimed).
 */
function interleaved(cases) {
  const runs = cases.map(() => []);
  for (let round = -1; round < RUNS; round += 1) {
    cases.forEach((c, i) => {
      if (round < 0 && c.warmup === false) return;
      c.before?.();
      const r = once(c.command, c.args, c.env ?? {});
      if (round >= 0) runs[i].push(r);
    });
  }
  return runs.map(summary);
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const rows = [];
const ratio = (m, floor) => `${(m.median / floor.median).toFixed(2)}×`;
/** `goal`: the memory goal of the store in MB (2 × items × average item size), shown beside peak RSS. */
const row = (store, what, cache, m, { plain = null, strict = null, floorName = null, goal = null } = {}) => {
  // Reads are set against both floors: "plain / strict".
  const ratios = floorName ? `${ratio(m, strict)} ${floorName}` : strict ? `${plain ? ratio(m, plain) : "—"} / ${ratio(m, strict)}` : "";
  const rss = Number.isNaN(m.rss) ? "n/a" : `${m.rss.toFixed(0)} MB${goal ? ` (${(m.rss / goal).toFixed(2)}× goal)` : ""}`;
  rows.push(`| ${store} | ${what} | ${cache} | ${fmt(m.median)} | ${fmt(m.min)}–${fmt(m.max)} | ${ratios} | ${rss} |`);
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

/** A weekly platform digest of `count` services, and a policy that lets one run make every item. */
function digestOf(dir, count) {
  const path = join(dir, `digest-${count}.json`);
  const services = Array.from({ length: count }, (_, i) => ({
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
  writeFileSync(join(dir, "policy.yml"), `defaults: {max_items_per_run: ${count * 5}}\n`);
  return path;
}

mkdirSync(OUT, { recursive: true });
const machine = `${cpus()[0]?.model ?? "unknown CPU"} · ${cpus().length} cores · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · node ${process.version}`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(", ");
console.error(`bench: ${quick ? "quick, " : ""}${RUNS} runs per figure on ${machine}; load average ${load()}`);
const loadBefore = load();

const [nodeFloor, version] = interleaved([
  { command: process.execPath, args: ["-e", "0"] },
  { command: process.execPath, args: [BIN, "--version"] },
]);
row("—", "`node -e 0` (floor)", "—", nodeFloor);
row("—", "`backlog --version`", "—", version, { strict: nodeFloor, floorName: "node -e 0" });

for (const spec of STORES) {
  const dir = storeDir(spec);
  const itemsPath = join(dir, "items.jsonl");
  const eventsPath = join(dir, "events.jsonl");
  const label = `${spec.items / 1000}k items / ${spec.lines / 1000}k lines (${mb(statSync(itemsPath).size)})`;
  const env = { BACKLOG_DIR: dir, BACKLOG_ACTOR: "scheduler" };
  const uncached = { ...env, BACKLOG_INDEX_CACHE: "off" };
  // The memory goal of a large store: twice the items' size, an item's size the average line of
  // the log (on small stores Node's own 40 MB dominate).
  const goal = spec.items >= 100_000 ? (2 * spec.items * (statSync(itemsPath).size / spec.lines)) / 2 ** 20 : null;
  const generatedSize = { items: statSync(itemsPath).size, events: statSync(eventsPath).size };
  const middleId = `bl_${Math.floor(spec.items / 2).toString(16).padStart(12, "0")}`;
  const digest = digestOf(dir, DIGEST_SERVICES);
  const generate = ["generate-weekly", "--digest", digest, "--policy", join(dir, "policy.yml"), "--dry-run", "--json"];
  const reads = [
    ["`get`", ["get", middleId, "--json"]],
    ["`list`", ["list", "--json"]],
    ["`dashboard`", ["dashboard", "--json"]],
    [`\`generate-weekly\` ${DIGEST_SERVICES} services (dry run)`, generate],
  ];
  // Saved indexes of the unchanged log, for the cases that use them (uncached runs neither read nor write them).
  rmSync(join(dir, ".items.jsonl.index"), { force: true });
  rmSync(join(dir, ".events.jsonl.index"), { force: true });
  for (const [, args] of reads) once(process.execPath, [BIN, ...args], env);

  // Two floors: the plainest loop (whole file read, then each line parsed), where the file fits in
  // a string; and the same loop streaming 4 MiB chunks, stricter, which always works.
  const fits = statSync(itemsPath).size < 512 * 2 ** 20;
  const cases = [
    ...(fits ? [{ name: "floor-plain", command: process.execPath, args: [join(ROOT, "bench", "floor-parse.mjs"), itemsPath] }] : []),
    { name: "floor-strict", command: process.execPath, args: [join(ROOT, "bench", "floor-stream.mjs"), itemsPath] },
    ...reads.flatMap(([name, args]) => [
      { name, cache: "uncached (`BACKLOG_INDEX_CACHE=off`)", command: process.execPath, args: [BIN, ...args], env: uncached },
      { name, cache: "saved index (unchanged log)", command: process.execPath, args: [BIN, ...args], env },
    ]),
  ];
  const measured = interleaved(cases);
  const plain = fits ? measured[0] : null;
  const strict = measured[fits ? 1 : 0];
  const floors = { plain, strict, goal };
  if (plain) row(label, "readFileSync + JSON.parse every line (floor)", "—", plain);
  row(label, "streamed + JSON.parse every line (strict floor)", "—", strict);
  cases.forEach((c, i) => {
    if (c.cache) row(label, c.name, c.cache, measured[i], floors);
  });

  // Cases that change the store, after the read-only ones.
  const head = Buffer.alloc(8192);
  const headFd = openSync(itemsPath, "r");
  readSync(headFd, head, 0, head.length, 0);
  closeSync(headFd);
  const sample = head.toString("utf8").split("\n")[0];
  let appended = 0;
  // Appends since the index was saved: each run first adds 200 item versions (~150 KB).
  const appendSome = () => {
    const item = JSON.parse(sample);
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ ...item, id: `bl_f${String(appended * 200 + i).padStart(11, "0")}`, dedupe_key: `bench:${appended}:${i}` }));
    appendFileSync(itemsPath, `${lines.join("\n")}\n`);
    appended += 1;
  };
  const [withAppends] = interleaved([{ command: process.execPath, args: [BIN, "dashboard", "--json"], env, before: appendSome }]);
  row(label, "`dashboard`", "saved index + 200 lines appended", withAppends, floors);
  // One write (an item's new version and its event) and the read after it, as one shell command.
  const edits = `"${process.execPath}" "${BIN}" edit ${middleId} --description "edited at $(date +%s%N)" --json >/dev/null && "${process.execPath}" "${BIN}" get ${middleId} --json`;
  const [writeRead] = interleaved([{ command: "sh", args: ["-c", edits], env }]);
  row(label, "`edit` then `get`", "saved index", writeRead, floors);

  const restore = () => {
    // Leave the store as generated (the appended lines cut off) for the next run of the benchmark.
    truncateSync(itemsPath, generatedSize.items);
    truncateSync(eventsPath, generatedSize.events);
    rmSync(join(dir, ".items.jsonl.index"), { force: true });
    rmSync(join(dir, ".events.jsonl.index"), { force: true });
  };
  const scratch = join(OUT, "scratch");
  const copy = () => {
    rmSync(scratch, { recursive: true, force: true });
    cpSync(dir, scratch, { recursive: true });
    // Flushed now, so that the compaction's own fsyncs do not pay for writing back the copy.
    spawnSync("sync");
  };
  // Quick: the compaction of the 10k store only (a 100k one takes over half a minute a figure).
  if (quick && spec.items >= 100_000) {
    restore();
    continue;
  }
  const [cleanup] = interleaved([{ command: process.execPath, args: [BIN, "cleanup", "--json"], env: { ...env, BACKLOG_DIR: scratch }, before: copy, warmup: false }]);
  row(label, "`cleanup` (compacts every run)", "—", cleanup, floors);
  rmSync(scratch, { recursive: true, force: true });
  restore();
}

// What a user would use instead, on the same items: Taskwarrior's tasks written from the latest
// versions of the items of a 1k-item and of the 100k-item store, jq over their logs.
const compared = [];
const tw = taskwarrior();
const big = storeDir({ items: 100_000, lines: 300_000 });
if (tw.missing) console.error(`bench: ${tw.missing}; skipping the Taskwarrior comparison`);
// Quick: 1k only (100k takes a minute).
for (const count of quick ? [1_000] : [1_000, 100_000]) {
  const dir = count === 100_000 ? big : storeDir({ items: count, lines: count * 3 });
  const env = { BACKLOG_DIR: dir, BACKLOG_ACTOR: "scheduler" };
  for (const args of [["list", "--all", "--json"], ["dashboard", "--json"]]) once(process.execPath, [BIN, ...args], env);
  const cases = [
    { name: "`backlog list --all --json`", command: process.execPath, args: [BIN, "list", "--all", "--json"], env },
    { name: "`backlog dashboard --json`", command: process.execPath, args: [BIN, "dashboard", "--json"], env },
  ];
  if (!tw.missing) {
    const data = taskData(OUT, dir, count);
    cases.push({ name: "`task export`", command: "task", args: ["export"], env: data.env, vs: 0 });
    cases.push({ name: "`task summary`", command: "task", args: ["summary"], env: data.env, vs: 1 });
  }
  const jq = spawnSync("jq", ["--version"], { encoding: "utf8" });
  if (jq.status === 0) cases.push({ name: "`jq`: items per status, latest versions", command: "jq", args: [...JQ_STATUS_COUNT, join(dir, "items.jsonl")], vs: 1 });
  else console.error("bench: jq not found; skipping the jq comparison");
  const measured = interleaved(cases);
  cases.forEach((c, i) => {
    const versus = c.vs === undefined ? "" : `${(measured[i].median / measured[c.vs].median).toFixed(2)}× ${cases[c.vs].name}`;
    const m = measured[i];
    compared.push(`| ${count / 1000}k | ${c.name} | ${fmt(m.median)} | ${fmt(m.min)}–${fmt(m.max)} | ${versus} | ${Number.isNaN(m.rss) ? "n/a" : `${m.rss.toFixed(0)} MB`} |`);
  });
}

const table = [
  `Machine: ${machine}. Load average ${loadBefore} before, ${load()} after. ${RUNS} runs per figure (median, min–max), interleaved per store; peak RSS is the largest of the runs, and the memory goal is 2 × items × average item size.`,
  "",
  "| store | command | index | median | spread | ratio to floor (plain / strict) | peak RSS |",
  "|---|---|---|---|---|---|---|",
  ...rows,
  "",
  `The same items elsewhere${tw.version ? ` (Taskwarrior ${tw.version}: tasks from the latest versions of the items, saved indexes for backlog)` : ""}:`,
  "",
  "| items | command | median | spread | against backlog | peak RSS |",
  "|---|---|---|---|---|---|",
  ...compared,
].join("\n");
console.log(table);
writeFileSync(join(OUT, quick ? "results-quick.md" : "results.md"), `${table}\n`);

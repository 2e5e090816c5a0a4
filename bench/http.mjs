// HTTP benchmark of `backlog serve` with autocannon, beside a bare Hono hello-world in the same run:
//   npm run build && node bench/http.mjs [--quick] [ITEMS...]     (default: 10000 100000)
// For each store size: GET /items/{id}, GET /items?status=open&limit=50, GET /dashboard, POST /items;
// 50 connections. The machine may be shared, so every case is run in rounds, each round right after
// a round of the hello-world (a separate process too, like serve), and the ratio to it is the
// median of the paired rounds. Prints req/s, p50 and p99 latency (ms), non-2xx/errors per case.
// "first ms": one request timed alone before the rounds (for list and dashboard, the answer's
// computation, as after every write); then a 0.5 s warm-up.
// --quick: 2 s rounds, 2 rounds (default 5 s, 3 rounds; BENCH_SECONDS and BENCH_ROUNDS override).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(REPO, "bin/backlog");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const sizes = args.filter((a) => a !== "--quick").map(Number);
const SIZES = sizes.length > 0 ? sizes : [10_000, 100_000];
const DURATION = Number(process.env.BENCH_SECONDS ?? (quick ? 2 : 5));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 3));
const CONNECTIONS = 50;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const once = (url, request) =>
  autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests: [request] }).then((r) => ({
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failed: r.errors + r.timeouts + r.non2xx,
  }));

/** Starts a child that prints `serving http://…` on stderr once it listens. */
function startChild(argv, env = process.env) {
  const child = spawn(process.execPath, argv, { cwd: REPO, stdio: ["ignore", "ignore", "pipe"], env });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (chunk) => {
      err += chunk;
      const m = /serving (http:\/\/\S+)/.exec(err);
      if (m) {
        child.stderr.removeAllListeners("data");
        child.stderr.resume();
        resolve({ url: m[1], stop: () => new Promise((r) => { child.on("exit", r); child.kill("SIGTERM"); }) });
      }
    });
    child.on("exit", () => reject(new Error(err)));
  });
}

const HELLO = `
import { Hono } from "hono";
import { serve } from "@hono/node-server";
const app = new Hono().get("/", (c) => c.json({ hello: "world" }));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => process.stderr.write("serving http://127.0.0.1:" + info.port + "\\n"));
process.on("SIGTERM", () => process.exit(0));
`;
const hello = await startChild(["--input-type=module", "-e", HELLO]);
// Warm-up (JIT, connections) so that the first measured round is not the slowest.
await autocannon({ url: hello.url, connections: CONNECTIONS, duration: 1 });
const helloRequest = { method: "GET", path: "/" };

const rows = [];
const ms = (x) => Math.round(x);
/** Runs `request` in rounds, each after a hello-world round; one row with medians and the paired ratio. */
async function measure(store, name, url, request, { withHello = true } = {}) {
  const mine = [];
  const bare = [];
  // The first answer to a question is computed (and then remembered until the next write): timed
  // alone, then a short warm-up, so that the rounds measure the steady state and the table says both.
  const started = performance.now();
  const first = await fetch(new URL(request.path, url), { method: request.method, headers: request.headers, body: request.body });
  await first.arrayBuffer();
  const firstMs = performance.now() - started;
  await autocannon({ url, connections: CONNECTIONS, duration: 0.5, requests: [request] });
  for (let round = 0; round < ROUNDS; round += 1) {
    if (withHello) bare.push(await once(hello.url, helloRequest));
    mine.push(await once(url, request));
  }
  const ratio = withHello ? median(mine.map((m, i) => m.rps / bare[i].rps)) : null;
  rows.push({
    store,
    case: name,
    "req/s": ms(median(mine.map((m) => m.rps))),
    "hello req/s": withHello ? ms(median(bare.map((b) => b.rps))) : "",
    "× hello": ratio === null ? "" : ratio.toFixed(2),
    "p50 ms": median(mine.map((m) => m.p50)),
    "p99 ms": median(mine.map((m) => m.p99)),
    "worst p99 ms": Math.max(...mine.map((m) => m.p99)),
    "first ms": ms(firstMs),
    failed: mine.reduce((n, m) => n + m.failed, 0),
  });
}

const load = [loadavg()[0]];
try {
  await measure("-", "bare Hono hello-world (separate process)", hello.url, helloRequest, { withHello: false });
  for (const items of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), "backlog-bench-http-"));
    try {
      const gen = spawnSync(process.execPath, [join(REPO, "bench/generate.mjs"), dir, String(items)], { stdio: "inherit" });
      if (gen.status !== 0) throw new Error("generate failed");
      const server = await startChild([BIN, "serve", "--port", "0", "--dir", dir, "--actor", "cto"], { ...process.env, BACKLOG_ACTOR: "" });
      try {
        const id = `bl_${(items >> 1).toString(16).padStart(12, "0")}`;
        await measure(items, "GET /v1/backlog/items/{id}", server.url, { method: "GET", path: `/v1/backlog/items/${id}` });
        await measure(items, "GET /v1/backlog/items?status=open&limit=50", server.url, { method: "GET", path: "/v1/backlog/items?status=open&limit=50" });
        await measure(items, "GET /v1/backlog/dashboard", server.url, { method: "GET", path: "/v1/backlog/dashboard" });
        load.push(loadavg()[0]);
        // Last: writes change the store (and so what the reads above would find).
        const body = JSON.stringify({ service: "bench", category: "security", title: "bench" });
        await measure(items, "POST /v1/backlog/items (fsync)", server.url, { method: "POST", path: "/v1/backlog/items", headers: { "content-type": "application/json" }, body });
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await hello.stop();
}
load.push(loadavg()[0]);
console.table(rows);
console.log(`${new Date().toISOString().slice(0, 10)}: ${ROUNDS} rounds of ${DURATION} s per case, ${CONNECTIONS} connections; load average (1 min) during the run: ${load.map((l) => l.toFixed(1)).join(", ")}`);

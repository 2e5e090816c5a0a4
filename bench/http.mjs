// HTTP benchmark of `backlog serve` with autocannon, beside a bare Hono hello-world in the same run:
//   npm run build && node bench/http.mjs [ITEMS...]     (default: 10000 100000)
// For each store size: GET /items/{id}, GET /items?status=open&limit=50, GET /dashboard, POST /items;
// 50 connections, 10 s each. Prints req/s, p50 and p99 latency (ms) per case.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Hono } from "hono";
import { serve } from "@hono/node-server";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(REPO, "bin/backlog");
const sizes = process.argv.slice(2).map(Number);
const SIZES = sizes.length > 0 ? sizes : [10_000, 100_000];
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

const run = (url, request) =>
  autocannon({ url, connections: 50, duration: DURATION, requests: [request] }).then((r) => ({
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
  }));

function startServe(dir) {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--dir", dir, "--actor", "cto"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, BACKLOG_ACTOR: "" } });
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

const rows = [];
const hello = new Hono().get("/", (c) => c.json({ hello: "world" }));
const bare = await new Promise((resolve) => {
  const server = serve({ fetch: hello.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
});
rows.push({ store: "-", case: "bare Hono hello-world", ...(await run(bare.url, { method: "GET", path: "/" })) });
bare.server.close();

for (const items of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), "backlog-bench-http-"));
  try {
    const gen = spawnSync(process.execPath, [join(REPO, "bench/generate.mjs"), dir, String(items)], { stdio: "inherit" });
    if (gen.status !== 0) throw new Error("generate failed");
    const server = await startServe(dir);
    const id = `bl_${(items >> 1).toString(16).padStart(12, "0")}`;
    const cases = [
      ["GET /v1/backlog/items/{id}", { method: "GET", path: `/v1/backlog/items/${id}` }],
      ["GET /v1/backlog/items?status=open&limit=50", { method: "GET", path: "/v1/backlog/items?status=open&limit=50" }],
      ["GET /v1/backlog/dashboard", { method: "GET", path: "/v1/backlog/dashboard" }],
      ["POST /v1/backlog/items", { method: "POST", path: "/v1/backlog/items", headers: { "content-type": "application/json" }, body: JSON.stringify({ service: "bench", category: "security", title: "bench" }) }],
    ];
    for (const [name, request] of cases) rows.push({ store: items, case: name, ...(await run(server.url, request)) });
    await server.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.table(rows);

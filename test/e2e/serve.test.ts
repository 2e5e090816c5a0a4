import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { cpSync, statSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import pg from "pg";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, cliAsync, json, REPO } from "../helpers/cli.js";
import { freshDatabase, POSTGRES, suiteTitle } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const running: ChildProcess[] = [];
afterEach(() => {
  while (running.length > 0) running.pop()!.kill("SIGKILL");
});

interface Server {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `backlog serve` on a free loopback port and waits for its start line. */
function startServer(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], { cwd: dir, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  running.push(child);
  let err = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line: ${err}`)), 10_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(err);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, stderr: () => err, exited });
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`exited: ${err}`));
    });
  });
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("backlog serve", () => {
  it("CLI and HTTP see each other's writes; SIGTERM stops it with exit 0", async () => {
    const dir = tempDir();
    const server = await startServer(dir, ["--actor", "oncall"]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const created = await post(`${server.url}/v1/backlog/items`, { service: "gateway", category: "security", title: "from http" });
    expect(created.status).toBe(201);
    const httpId = (await created.json()).item.id;
    expect(json(cli(["get", httpId, "--json"], { cwd: dir })).item.title).toBe("from http");
    const cliId = json(cli(["create", "--service", "billing", "--category", "security", "--title", "from cli", "--json"], { cwd: dir })).item.id;
    const got = await fetch(`${server.url}/v1/backlog/items/${cliId}`);
    expect(got.status).toBe(200);
    expect((await got.json()).item.title).toBe("from cli");
    const list = await (await fetch(`${server.url}/v1/backlog/items`)).json();
    expect(list.total).toBe(2);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const log = server.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(log[0]).toMatchObject({ method: "POST", path: "/v1/backlog/items", status: 201, actor: "oncall" });
  });

  it("a server holding the logs open sees each CLI change on the next request: new versions, events, a compaction; one log line per request", async () => {
    const dir = tempDir();
    const server = await startServer(dir, ["--actor", "oncall"]);
    const get = async (id: string) => {
      const res = await fetch(`${server.url}/v1/backlog/items/${id}`);
      return { status: res.status, body: await res.json() };
    };
    const keep = json(cli(["create", "--service", "gateway", "--category", "security", "--title", "kept", "--json"], { cwd: dir })).item.id;
    const gone = json(cli(["create", "--service", "billing", "--category", "security", "--title", "gone", "--json"], { cwd: dir })).item.id;
    let requests = 0;
    for (let round = 0; round < 3; round += 1) {
      // Read twice (the second from what the server holds), then change it from the CLI.
      for (let i = 0; i < 2; i += 1) {
        const { status, body } = await get(keep);
        requests += 1;
        expect(status).toBe(200);
        expect(body.item.title).toBe(round === 0 ? "kept" : `kept ${round}`);
        expect(body.events).toHaveLength(1 + round);
      }
      expect(cli(["edit", keep, "--title", `kept ${round + 1}`], { cwd: dir }).code).toBe(0);
    }
    expect((await get(keep)).body.item.title).toBe("kept 3");
    expect(cli(["close", gone, "--status", "canceled"], { cwd: dir }).code).toBe(0);
    expect((await get(gone)).body.item.status).toBe("canceled");
    expect(cli(["cleanup", "--retention-days", "0", "--actor", "scheduler"], { cwd: dir }).code).toBe(0);
    expect((await get(gone)).status).toBe(404);
    expect((await get(keep)).body.item.title).toBe("kept 3");
    requests += 4;
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const lines = server.stderr().split("\n").filter((l) => l.startsWith("{"));
    expect(lines.map((l) => JSON.parse(l).method)).toEqual(Array(requests).fill("GET"));
  });

  it("refuses a non-loopback address without tokens (exit 2 naming token add)", () => {
    const dir = tempDir();
    const r = cli(["serve", "--host", "0.0.0.0", "--port", "0"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("backlog token add");
  });

  it("token add prints only the token, stores only its hash (0600); list and revoke; the server honours it", async () => {
    const dir = tempDir();
    const file = join(dir, "tokens.json");
    const add = cli(["token", "add", "cto", "--tokens", file], { cwd: dir });
    expect(add.code, add.stderr).toBe(0);
    const token = add.stdout.trim();
    expect(add.stdout).toBe(`${token}\n`);
    expect(token.length).toBeGreaterThan(30);
    const stored = readFileSync(file, "utf8");
    expect(stored).not.toContain(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const listed = cli(["token", "list", "--tokens", file, "--json"], { cwd: dir });
    expect(json(listed)).toEqual([{ actor: "cto", created_at: expect.any(String) }]);
    expect(listed.stdout).not.toContain(token);

    const server = await startServer(dir, ["--tokens", file]);
    expect((await fetch(`${server.url}/v1/backlog/items`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/backlog/items`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(server.stderr()).not.toContain(token);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);

    expect(cli(["token", "revoke", "cto", "--tokens", file], { cwd: dir }).code).toBe(0);
    expect(json(cli(["token", "list", "--tokens", file, "--json"], { cwd: dir }))).toEqual([]);
    expect(cli(["token", "revoke", "cto", "--tokens", file], { cwd: dir }).code).toBe(3);
  });

  it("8 HTTP clients and 4 CLI writers at once lose nothing and duplicate no dedupe key", async () => {
    const dir = tempDir();
    const server = await startServer(dir, ["--actor", "oncall"]);
    const perClient = 6;
    const http = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const res = await post(`${server.url}/v1/backlog/upsert`, { service: "gateway", category: "security", title: `h${c}-${i}`, dedupe_key: `shared:${i}` });
        expect([200, 201]).toContain(res.status);
        const own = await post(`${server.url}/v1/backlog/items`, { service: "gateway", category: "security", title: `own h${c}-${i}`, dedupe_key: `http:${c}:${i}` });
        expect(own.status).toBe(201);
      }
    });
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 3; i++) {
        const r = await cliAsync(["create", "--service", "billing", "--category", "security", "--title", `cli ${w}-${i}`, "--dedupe-key", `cli:${w}:${i}`], { cwd: dir });
        expect(r.code, r.stderr).toBe(0);
      }
    });
    await Promise.all([...http, ...writers]);
    const all = json(cli(["list", "--all", "--status", "open", "--json"], { cwd: dir })) as Array<{ dedupe_key: string }>;
    const keys = all.map((i) => i.dedupe_key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(perClient + 8 * perClient + 4 * 3);
    const viaHttp = await (await fetch(`${server.url}/v1/backlog/items?limit=1000`)).json();
    expect(viaHttp.total).toBe(keys.length);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("SIGTERM lets a request in flight finish, then exits 0 and refuses new connections", async () => {
    const dir = tempDir();
    const server = await startServer(dir, ["--actor", "oncall"]);
    const body = JSON.stringify({ service: "gateway", category: "security", title: "in flight" });
    const url = new URL(`${server.url}/v1/backlog/items`);
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, text }));
      });
      req.on("error", reject);
      // Half the body now; SIGTERM; then the rest.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server.child.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 300);
    });
    const done = await response;
    expect(done.status, done.text).toBe(201);
    expect(await server.exited).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(json(cli(["list", "--json"], { cwd: dir })).map((i: { title: string }) => i.title)).toEqual(["in flight"]);
  });

  it("takes the reference tool examples verbatim on /v1/tools/execute; --read-only refuses writes", async () => {
    const dir = tempDir();
    cpSync(join(REPO, "ops/reports"), join(dir, "ops/reports"), { recursive: true });
    const server = await startServer(dir);
    const execute = (body: unknown) => post(`${server.url}/v1/tools/execute`, body);
    const created = await execute({ action: "create", env: "prod", item: { service: "gateway", category: "security", title: "Rotate keys" } });
    expect(created.status).toBe(200);
    const id = (await created.json()).item.id;
    expect((await execute({ action: "set_status", id: "bl_abc123456789", status: "in_progress", actor: "oncall" })).status).toBe(404);
    const moved = await execute({ action: "set_status", id, status: "in_progress", actor: "oncall" });
    expect((await moved.json()).event.actor).toBe("oncall");
    const run = await execute({ tool: "backlog_tool", action: "auto_generate_weekly", params: { env: "prod", dry_run: true, digest: "ops/reports/platform/2026-W48.json" }, actor: "scheduler" });
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({ week: "2026-W48", env: "prod", dry_run: true });
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);

    const readOnly = await startServer(dir, ["--read-only"]);
    expect((await post(`${readOnly.url}/v1/backlog/items`, { service: "gateway", category: "security" })).status).toBe(403);
    expect((await fetch(`${readOnly.url}/v1/backlog/items/${id}`)).status).toBe(200);
    readOnly.child.kill("SIGTERM");
    expect(await readOnly.exited).toBe(0);
  });
});

describe.skipIf(!POSTGRES.dsn)(suiteTitle("backlog serve on PostgreSQL"), () => {
  it("serves a PostgreSQL store: HTTP and CLI writers at once, each other's writes, healthz, graceful stop, no DSN in the log", async () => {
    const dir = tempDir();
    const dsn = await freshDatabase();
    const env = { BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn, BACKLOG_LOCK_TIMEOUT_MS: "60000" };
    expect(cli(["migrate", "--actor", "scheduler"], { cwd: dir, env }).code).toBe(0);
    const server = await startServer(dir, ["--actor", "oncall"], env);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ status: "ok", backend: "postgres" });
    const http = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; i < 3; i++) {
        const shared = await post(`${server.url}/v1/backlog/upsert`, { service: "gateway", category: "security", title: `h${c}`, dedupe_key: `shared:${i}` });
        expect([200, 201]).toContain(shared.status);
        expect((await post(`${server.url}/v1/backlog/items`, { service: "gateway", category: "security", dedupe_key: `http:${c}:${i}` })).status).toBe(201);
      }
    });
    const writers = Array.from({ length: 4 }, async (_, w) => {
      const r = await cliAsync(["create", "--service", "billing", "--category", "security", "--dedupe-key", `cli:${w}`], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
    });
    await Promise.all([...http, ...writers]);
    const keys = (json(cli(["list", "--all", "--json"], { cwd: dir, env })) as Array<{ dedupe_key: string }>).map((i) => i.dedupe_key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(3 + 8 * 3 + 4);
    expect((await (await fetch(`${server.url}/v1/backlog/items?limit=1000`)).json()).total).toBe(keys.length);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const password = new URL(dsn).password;
    if (password) expect(server.stderr()).not.toContain(password);
    expect(server.stderr()).not.toContain(dsn);
  });

  it("healthz is 503 once the PostgreSQL database is gone, naming the backend, and the server keeps running", async () => {
    if (POSTGRES.skipped) return;
    const dir = tempDir();
    const dsn = await freshDatabase();
    const env = { BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: dsn };
    expect(cli(["migrate", "--actor", "scheduler"], { cwd: dir, env }).code).toBe(0);
    const server = await startServer(dir, ["--actor", "oncall"], env);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const admin = new pg.Client({ connectionString: POSTGRES.dsn! });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${new URL(dsn).pathname.slice(1)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    const down = await fetch(`${server.url}/healthz`);
    expect(down.status).toBe(503);
    const body = await down.json();
    expect(body).toMatchObject({ status: "unavailable", backend: "postgres" });
    expect(JSON.stringify(body)).not.toContain(dsn);
    const list = await fetch(`${server.url}/v1/backlog/items`);
    expect(list.status).toBe(503);
    expect((await list.json()).error).toHaveProperty("hint");
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("healthz is 503 when the JSONL store directory becomes unreadable, 200 again once it is back", async () => {
    const dir = tempDir();
    expect(cli(["create", "--service", "gateway", "--category", "security", "--title", "x"], { cwd: dir }).code).toBe(0);
    const server = await startServer(dir, ["--actor", "oncall"]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const store = join(dir, "ops", "backlog");
    const saved = join(dir, "saved-store");
    cpSync(store, saved, { recursive: true });
    rmSync(store, { recursive: true });
    writeFileSync(store, "not a directory");
    const down = await fetch(`${server.url}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: "unavailable", backend: "jsonl" });
    rmSync(store);
    cpSync(saved, store, { recursive: true });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});

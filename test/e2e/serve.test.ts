import { spawn, type ChildProcess } from "node:child_process";
import { statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, cliAsync, json } from "../helpers/cli.js";
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
});

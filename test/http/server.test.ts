/** startServer: real sockets on 127.0.0.1: the bound URL, the loopback rule, the header limit, a busy port, graceful close. */
import { createServer, request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { AppDeps } from "../../src/http/app.js";
import { MAX_HEADER_BYTES, startServer, type RunningServer } from "../../src/http/server.js";
import { loadPolicy } from "../../src/policy/load.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-11-24T06:20:00Z");
const stores: Store[] = [];
const servers: RunningServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
  while (stores.length > 0) await stores.pop()!.close();
});

async function deps(extra: Partial<AppDeps> = {}): Promise<AppDeps> {
  const dir = tempDir();
  const store = await openStore({ backend: "jsonl", dir: join(dir, "store"), dsnFile: undefined, cwd: dir, env: {}, warn: () => undefined, now: () => NOW });
  stores.push(store);
  return { store, policy: loadPolicy(undefined, process.cwd()).policy, now: () => NOW, actor: "oncall", actorExplicit: true, version: "t", cwd: dir, env: {}, ...extra };
}

async function start(d: AppDeps, port = 0): Promise<RunningServer> {
  const s = await startServer(d, { host: "127.0.0.1", port });
  servers.push(s);
  return s;
}

/** One raw GET: its status, or the socket error's code. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    req.end();
  });
}

describe("startServer", () => {
  it("binds the given loopback address, the real port when 0 is asked, and serves the API", async () => {
    const s = await start(await deps());
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const res = await fetch(`${s.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", backend: "jsonl" });
  });

  it("refuses a non-loopback address without tokens before binding anything", async () => {
    await expect(startServer(await deps(), { host: "0.0.0.0", port: 0 })).rejects.toMatchObject({ code: "invalid_usage", hint: expect.stringContaining("backlog token add") });
  });

  it("answers 431 to headers over the limit", async () => {
    const s = await start(await deps());
    expect(await rawGet(`${s.url}/healthz`, { "x-pad": "a".repeat(MAX_HEADER_BYTES + 1024) })).toBe(431);
    expect(await rawGet(`${s.url}/healthz`, { "x-pad": "a".repeat(1024) })).toBe(200);
  });

  it("a busy port is listen_failed naming --port", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startServer(await deps(), { host: "127.0.0.1", port })).rejects.toMatchObject({ code: "listen_failed", hint: expect.stringContaining("--port") });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("close lets a request in flight finish, then refuses new connections; closing twice is one close", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const s = await start(
      await deps({
        mount: (app) =>
          app.get("/slow", async (c) => {
            entered();
            await gate;
            return c.text("done");
          }),
      }),
    );
    const slow = fetch(`${s.url}/slow`);
    await inHandler;
    const closed = s.close();
    expect(s.close()).toBe(closed);
    release();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("done");
    await closed;
    expect(await rawGet(`${s.url}/healthz`)).toBe("ECONNREFUSED");
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { createApp, MAX_BODY } from "../../src/http/app.js";
import { addToken, readTokens } from "../../src/service/tokens.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-11-24T06:20:00Z");
const stores: Store[] = [];
afterEach(async () => {
  while (stores.length > 0) await stores.pop()!.close();
});

async function setup(options: { tokens?: boolean; readOnly?: boolean; actor?: string; explicit?: boolean } = {}) {
  const dir = tempDir();
  const store = await openStore({ backend: "jsonl", dir: join(dir, "store"), dsnFile: undefined, cwd: dir, env: {}, warn: () => undefined, now: () => NOW });
  stores.push(store);
  const { policy } = loadPolicy(undefined, process.cwd());
  const file = join(dir, "tokens.json");
  const tokenOf: Record<string, string> = {};
  if (options.tokens) for (const actor of ["cto", "alice"]) tokenOf[actor] = addToken(file, actor, NOW);
  const lines: string[] = [];
  const app = createApp({
    store, policy, now: () => NOW, actor: options.actor ?? "oncall", actorExplicit: options.explicit ?? true,
    tokens: options.tokens ? readTokens(file) : undefined, readOnly: options.readOnly, version: "test", cwd: dir, env: {}, log: (l) => lines.push(l),
  });
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(`http://127.0.0.1${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return { app, store, request, tokenOf, lines, dir };
}

const ITEM = { service: "gateway", category: "security", title: "Rotate keys", dedupe_key: "k:rotate" };

describe("HTTP API in process", () => {
  it("creates, reads, lists, moves, comments and closes an item, the CLI's JSON shapes", async () => {
    const { request, lines } = await setup();
    const created = await request("POST", "/v1/backlog/items", ITEM);
    expect(created.status).toBe(201);
    const { item } = await created.json();
    expect(item).toMatchObject({ service: "gateway", priority: "P0", status: "open", owner: "oncall" });
    const got = await request("GET", `/v1/backlog/items/${item.id}`);
    expect(got.status).toBe(200);
    expect((await got.json()).item.id).toBe(item.id);
    const list = await (await request("GET", "/v1/backlog/items?status=open&limit=10")).json();
    expect(list).toMatchObject({ total: 1, limit: 10, offset: 0 });
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([item.id]);
    const moved = await request("POST", `/v1/backlog/items/${item.id}/status`, { status: "in_progress", message: "on it" });
    expect(moved.status).toBe(200);
    expect((await moved.json()).event).toMatchObject({ actor: "oncall", meta: { from: "open", to: "in_progress" } });
    const comment = await request("POST", `/v1/backlog/items/${item.id}/comments`, { message: "halfway" });
    expect(comment.status).toBe(201);
    expect((await comment.json()).event).toMatchObject({ type: "comment", message: "halfway" });
    const closed = await request("POST", `/v1/backlog/items/${item.id}/close`, { message: "done" });
    expect((await closed.json()).item.status).toBe("done");
    const upserted = await request("POST", "/v1/backlog/upsert", { ...ITEM, title: "Rotate keys v2" });
    expect(upserted.status).toBe(200);
    expect(await upserted.json()).toMatchObject({ action: "updated", item: { id: item.id, title: "Rotate keys v2" } });
    const fresh = await request("POST", "/v1/backlog/upsert", { ...ITEM, dedupe_key: "k:other" });
    expect(fresh.status).toBe(201);
    const dashboard = await request("GET", "/v1/backlog/dashboard?env=prod");
    expect(dashboard.status).toBe(200);
    expect(await dashboard.json()).toHaveProperty("env", "prod");
    expect(JSON.parse(lines[0]!)).toMatchObject({ method: "POST", path: "/v1/backlog/items", status: 201, actor: "oncall" });
    expect(JSON.parse(lines[0]!)).toHaveProperty("ms");
  });

  it("maps errors to statuses with {error:{code,message,hint}}", async () => {
    const { request } = await setup();
    const id = (await (await request("POST", "/v1/backlog/items", ITEM)).json()).item.id;
    const check = async (res: Response, status: number, code: string) => {
      expect(res.status).toBe(status);
      const body = await res.json();
      expect(body.error.code).toBe(code);
      expect(body.error).toHaveProperty("hint");
      expect(typeof body.error.message).toBe("string");
    };
    await check(await request("GET", "/v1/backlog/items/bl_ffffffffffff"), 404, "item_not_found");
    await check(await request("POST", "/v1/backlog/items", ITEM), 409, "duplicate_dedupe_key");
    await check(await request("POST", `/v1/backlog/items/${id}/close`, { status: "finished" }), 400, "invalid_request");
    await check(await request("POST", "/v1/backlog/items", { service: "gateway", category: "security", priority: "urgent" }), 400, "invalid_input");
    await check(await request("GET", "/v1/backlog/items?limit=1001"), 400, "invalid_usage");
    await check(await request("GET", "/v1/backlog/items?colour=red"), 400, "invalid_usage");
    await check(await request("POST", "/v1/backlog/items", "{oops"), 400, "invalid_json");
    await check(await request("POST", "/v1/backlog/items", "{}", { "content-type": "text/plain" }), 415, "unsupported_media_type");
    await check(await request("DELETE", `/v1/backlog/items/${id}`), 405, "method_not_allowed");
    await check(await request("GET", "/v1/nothing"), 404, "not_found");
    await check(await request("POST", "/v1/backlog/cleanup", { dry_run: true }), 403, "permission_denied");
    await check(await request("POST", "/v1/backlog/items", JSON.stringify({ ...ITEM, description: "x".repeat(MAX_BODY) })), 413, "payload_too_large");
    const plain = await request("GET", "/v1/backlog/items/bl_ffffffffffff");
    expect((await plain.json()).error.hint).not.toBeUndefined();
  });

  it("answers only loopback Host names without tokens", async () => {
    const { app } = await setup();
    expect((await app.request("http://127.0.0.1:8787/healthz")).status).toBe(200);
    expect((await app.request("http://localhost:8787/healthz")).status).toBe(200);
    expect((await app.request("http://[::1]:8787/healthz")).status).toBe(200);
    const rebound = await app.request("http://attacker.example/v1/backlog/items");
    expect(rebound.status).toBe(403);
    expect((await rebound.json()).error.code).toBe("host_not_allowed");
  });

  it("with tokens: 401 without or with a bad token, the actor and role come from the token, cookie works", async () => {
    const { request, tokenOf } = await setup({ tokens: true });
    const none = await request("GET", "/v1/backlog/items");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await request("GET", "/v1/backlog/items", undefined, { authorization: "Bearer nope" })).status).toBe(401);
    expect((await request("GET", "/healthz")).status).toBe(200);
    const as = (actor: string) => ({ authorization: `Bearer ${tokenOf[actor]}` });
    const created = await request("POST", "/v1/backlog/items", ITEM, as("alice"));
    expect(created.status).toBe(201);
    const id = (await created.json()).item.id;
    const moved = await request("POST", `/v1/backlog/items/${id}/status`, { status: "in_progress" }, as("alice"));
    expect((await moved.json()).event.actor).toBe("alice");
    expect((await request("POST", "/v1/backlog/cleanup", { dry_run: true }, as("alice"))).status).toBe(403);
    expect((await request("POST", "/v1/backlog/cleanup", { dry_run: true }, as("cto"))).status).toBe(200);
    expect((await request("GET", "/v1/backlog/items", undefined, { cookie: `backlog_token=${tokenOf.cto}` })).status).toBe(200);
    const spoof = await request("POST", "/v1/tools/execute", { action: "list", actor: "cto" }, as("alice"));
    expect(spoof.status).toBe(403);
    expect((await spoof.json()).error.code).toBe("actor_mismatch");
  });

  it("--read-only refuses every write with 403 and still reads", async () => {
    const { request } = await setup({ readOnly: true });
    const refused = await request("POST", "/v1/backlog/items", ITEM);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe("read_only");
    expect((await request("POST", "/v1/tools/execute", { action: "list" })).status).toBe(403);
    expect((await request("GET", "/v1/backlog/items")).status).toBe(200);
  });

  it("runs tool requests, the reference's envelope forms included", async () => {
    const { request } = await setup({ explicit: false, actor: "someone" });
    const created = await request("POST", "/v1/tools/execute", { tool: "backlog_tool", action: "create", env: "staging", item: { service: "gateway", category: "security" }, actor: "oncall" });
    expect(created.status).toBe(200);
    const body = await created.json();
    expect(body.item).toMatchObject({ env: "staging" });
    const events = (await (await request("GET", `/v1/backlog/items/${body.item.id}`)).json()).events;
    expect(events[0].actor).toBe("oncall");
    const list = await request("POST", "/v1/tools/execute", { action: "list", params: { env: "staging" } });
    expect((await list.json()).map((i: { id: string }) => i.id)).toEqual([body.item.id]);
    expect((await request("POST", "/v1/tools/execute", { tool: "other", action: "list" })).status).toBe(400);
  });

  it("healthz reports ok on a store with no files yet", async () => {
    const { request } = await setup();
    const res = await request("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", backend: "jsonl", version: "test" });
  });

  it("generates from a digest posted in the body (admin), dry run first, and runs the gate", async () => {
    const { request } = await setup({ actor: "scheduler" });
    const digest = JSON.parse(readFileSync(join(process.cwd(), "ops/reports/platform/2026-W48.json"), "utf8"));
    const dry = await request("POST", "/v1/backlog/generate/weekly?env=prod", { dry_run: true, digest });
    expect(dry.status).toBe(200);
    const dryReport = await dry.json();
    expect(dryReport).toMatchObject({ week: "2026-W48", env: "prod", dry_run: true, updated: 0 });
    expect(dryReport.created).toBeGreaterThan(0);
    expect((await (await request("GET", "/v1/backlog/items")).json()).total).toBe(0);
    const real = await (await request("POST", "/v1/backlog/generate/weekly?env=prod", { digest })).json();
    expect(real.created).toBe(dryReport.created);
    expect((await (await request("GET", "/v1/backlog/items?limit=1000")).json()).total).toBe(real.created);
    const bad = await request("POST", "/v1/backlog/generate/weekly", { digest: { week: "nope" } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe("invalid_digest");
    const gate = await request("GET", "/v1/backlog/gate?env=prod&max_open=P0=0");
    expect(gate.status).toBe(200);
    expect(await gate.json()).toHaveProperty("pass");
    expect((await request("GET", "/v1/backlog/gate?max_open=P9")).status).toBe(400);
  });

  it("a 2 MiB digest is accepted on generate but a 2 MiB item is 413", async () => {
    const { request } = await setup({ actor: "scheduler" });
    const digest = JSON.parse(readFileSync(join(process.cwd(), "ops/reports/platform/2026-W48.json"), "utf8"));
    const padded = JSON.stringify({ dry_run: true, digest }).replace(/\}$/, `${" ".repeat(2 * MAX_BODY)}}`);
    expect((await request("POST", "/v1/backlog/generate/weekly", padded)).status).toBe(200);
    expect((await request("POST", "/v1/backlog/items", JSON.stringify(ITEM).replace(/\}$/, `${" ".repeat(2 * MAX_BODY)}}`))).status).toBe(413);
  });

  it("serves Prometheus metrics and an OpenAPI 3.1 document naming every route", async () => {
    const { request } = await setup();
    await request("POST", "/v1/backlog/items", ITEM);
    await request("GET", "/v1/backlog/items/bl_ffffffffffff");
    const metrics = await request("GET", "/metrics");
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/backlog_http_requests_total\{route="\/v1\/backlog\/items",method="POST",status="201"\} 1/);
    expect(text).toMatch(/backlog_http_requests_total\{route="\/v1\/backlog\/items\/:id",method="GET",status="404"\} 1/);
    expect(text).toMatch(/backlog_items\{status="open",priority="P0"\} 1/);
    expect(text).toContain("backlog_http_request_duration_seconds_bucket");
    const doc = await (await request("GET", "/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    for (const path of ["/v1/backlog/items", "/v1/backlog/items/{id}", "/v1/backlog/items/{id}/close", "/v1/tools/execute", "/v1/backlog/gate", "/healthz"]) expect(doc.paths).toHaveProperty([path]);
  });

  it("a failed request changes no stored byte", async () => {
    const { request, dir } = await setup();
    const id = (await (await request("POST", "/v1/backlog/items", ITEM)).json()).item.id;
    const snapshot = () => {
      const root = join(dir, "store");
      return Object.fromEntries(readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), "utf8")]));
    };
    const before = snapshot();
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const failures: Array<[string, string, unknown, number]> = [
      ["POST", "/v1/backlog/items", ITEM, 409],
      ["POST", "/v1/backlog/upsert", { ...ITEM, priority: "P9" }, 400],
      ["PATCH", `/v1/backlog/items/${id}`, { status: "done" }, 400],
      ["PATCH", `/v1/backlog/items/${id}`, { title: "" }, 400],
      ["POST", `/v1/backlog/items/${id}/status`, { status: "finished" }, 400],
      ["POST", `/v1/backlog/items/${id}/comments`, { message: "" }, 400],
      ["POST", "/v1/backlog/items/bl_ffffffffffff/close", { status: "done" }, 404],
      ["POST", "/v1/backlog/cleanup", { retention_days: 0 }, 403],
      ["POST", "/v1/tools/execute", { action: "create", item: { service: "Bad Name", category: "security" } }, 400],
    ];
    for (const [method, path, body, status] of failures) expect((await request(method, path, body)).status, `${method} ${path}`).toBe(status);
    expect(snapshot()).toEqual(before);
  });
});

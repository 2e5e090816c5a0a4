/**
 * /openapi.json is generated from the routes' zod schemas: every route the app serves is in the
 * document with its schemas and every documented operation is served; the document holds together
 * as OpenAPI 3.1 (checked structurally); path and query validation come from the same schemas.
 */
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { Hono } from "hono";
import { createApp } from "../../src/http/app.js";
import { loadPolicy } from "../../src/policy/load.js";
import { readFileSync } from "node:fs";
import type * as z from "zod";
import { API } from "../../src/http/routes.js";
import { TOOL_RESULT_SCHEMAS } from "../../src/http/schemas.js";
import { LIST_PARAMS } from "../../src/service/list-query.js";
import { TOOL_ACTIONS } from "../../src/service/tool-protocol.js";
import { addToken, readTokens } from "../../src/service/tokens.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { boardRoutes } from "../../src/web/routes.js";
import { loginRoutes } from "../../src/web/login-page.js";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-11-24T06:20:00Z");
const stores: Store[] = [];
afterEach(async () => {
  while (stores.length > 0) await stores.pop()!.close();
});

async function setup(tokens = false, mount?: (app: Hono<any>) => void, actor = "oncall") {
  const dir = tempDir();
  const store = await openStore({ backend: "jsonl", dir: join(dir, "store"), dsnFile: undefined, cwd: dir, env: {}, warn: () => undefined, now: () => NOW });
  stores.push(store);
  const file = join(dir, "tokens.json");
  if (tokens) addToken(file, "cto", NOW);
  const { policy } = loadPolicy(undefined, process.cwd());
  const app = createApp({ store, policy, now: () => NOW, actor, actorExplicit: true, tokens: tokens ? readTokens(file) : undefined, version: "9.9.9", cwd: dir, env: {}, mount });
  const doc = (await (await app.request("http://127.0.0.1/openapi.json")).json()) as OpenApi;
  return { app, doc };
}

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
  "x-entitlement"?: string;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, unknown> };
  security?: Array<Record<string, unknown>>;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const BOARD = new Set([...boardRoutes().routes, ...loginRoutes(() => true).routes].map((r) => `${r.method} ${r.path}`));

/** The app's handler routes as "METHOD /path/{param}", the board's pages and middleware left out. */
function servedOperations(app: Hono<any>): Set<string> {
  return new Set(
    app.routes
      .filter((r) => r.method !== "ALL" && !r.path.endsWith("*") && !BOARD.has(`${r.method} ${r.path}`))
      .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`),
  );
}

function documentedOperations(doc: OpenApi): Set<string> {
  return new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`)));
}

/** Served but not in the document (a route added without its route config and schemas). */
const undocumented = (app: Hono<any>, doc: OpenApi) => [...servedOperations(app)].filter((op) => !documentedOperations(doc).has(op));

/** Structural problems of an OpenAPI 3.1 document (empty when it holds together). */
function structuralProblems(doc: OpenApi): string[] {
  const problems: string[] = [];
  if (!/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi ${doc.openapi}`);
  if (typeof doc.info?.title !== "string" || typeof doc.info?.version !== "string") problems.push("info");
  const schemes = Object.keys(doc.components?.securitySchemes ?? {});
  const checkSecurity = (where: string, security: unknown[] | undefined) => {
    for (const requirement of security ?? []) for (const name of Object.keys(requirement as object)) if (!schemes.includes(name)) problems.push(`${where}: unknown security scheme ${name}`);
  };
  checkSecurity("root", doc.security);
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
  for (const ref of refs) {
    const pointer = ref.slice(9, -1);
    let node: unknown = doc;
    for (const part of pointer.replace(/^#\//, "").split("/")) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    if (!pointer.startsWith("#/") || node === undefined) problems.push(`dangling ${pointer}`);
  }
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/")) problems.push(`path ${path}`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) {
        problems.push(`${where}: not a method`);
        continue;
      }
      const seen = new Set<string>();
      for (const p of op.parameters ?? []) {
        if (typeof p.name !== "string" || !["query", "header", "path", "cookie"].includes(p.in) || p.schema === undefined) problems.push(`${where}: parameter ${JSON.stringify(p)}`);
        if (seen.has(`${p.in} ${p.name}`)) problems.push(`${where}: duplicate parameter ${p.name}`);
        seen.add(`${p.in} ${p.name}`);
        if (p.in === "path" && (p.required !== true || !templated.includes(p.name))) problems.push(`${where}: path parameter ${p.name}`);
      }
      for (const name of templated) if (!seen.has(`path ${name}`)) problems.push(`${where}: {${name}} has no parameter`);
      const statuses = Object.keys(op.responses ?? {});
      if (!statuses.some((s) => /^2\d\d$/.test(s))) problems.push(`${where}: no success response`);
      for (const s of statuses) {
        if (!/^[1-5](\d\d|XX)$/.test(s) || typeof op.responses[s].description !== "string") problems.push(`${where}: response ${s}`);
        for (const [type, media] of Object.entries(op.responses[s].content ?? {})) if (media.schema === undefined) problems.push(`${where}: ${s} ${type} has no schema`);
      }
      checkSecurity(where, op.security);
    }
  }
  return problems;
}

describe("/openapi.json from the route schemas", () => {
  it("is a structurally sound OpenAPI 3.1 document, served without a token", async () => {
    const { doc } = await setup(true);
    expect(structuralProblems(doc)).toEqual([]);
    expect(doc.info).toEqual({ title: "backlog", version: "9.9.9" });
    expect(doc.paths["/healthz"].get.security).toEqual([]);
    expect(doc.paths["/v1/backlog/items"].post.security).toBeUndefined();
    expect(doc.paths["/v1/backlog/items"].post["x-entitlement"]).toBe("write");
  });

  it("names every route the app serves and serves every route it names", async () => {
    for (const tokens of [false, true]) {
      const { app, doc } = await setup(tokens);
      expect(servedOperations(app).size).toBeGreaterThanOrEqual(16);
      expect([...servedOperations(app)].sort()).toEqual([...documentedOperations(doc)].sort());
    }
  });

  it("finds a route added without a schema", async () => {
    const plain = await setup();
    expect(undocumented(plain.app, plain.doc)).toEqual([]);
    const { app, doc } = await setup(false, (a) => a.get("/v1/backlog/extra/:name", (c) => c.json({})));
    expect(undocumented(app, doc)).toEqual(["GET /v1/backlog/extra/{name}"]);
  });

  it("gives every /v1 operation its request and response schemas", async () => {
    const { doc } = await setup();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const ok = Object.entries(op.responses).filter(([s]) => s.startsWith("2"));
        for (const [s, r] of ok) expect(Object.values(r.content ?? {}).length, `${method} ${path} ${s}`).toBeGreaterThan(0);
        if (!path.startsWith("/v1/")) continue;
        expect(op.responses["400"]?.content?.["application/json"]?.schema, `${method} ${path}`).toMatchObject({ properties: { error: { required: ["code", "message", "hint"] } } });
        if (method === "post" || method === "patch") {
          const schema = op.requestBody?.content["application/json"]?.schema;
          expect(schema, `${method} ${path}`).toBeDefined();
          expect(Object.keys(schema!).some((k) => k === "properties" || k === "anyOf"), `${method} ${path}`).toBe(true);
        }
      }
    }
    const create = doc.paths["/v1/backlog/items"].post.requestBody!.content["application/json"].schema!;
    expect(create).toMatchObject({ type: "object", additionalProperties: false, properties: { service: { type: "string" }, priority: { enum: ["P0", "P1", "P2", "P3"] } } });
    expect(doc.paths["/v1/backlog/items/{id}/close"].post.requestBody!.content["application/json"].schema).toMatchObject({ properties: { status: { enum: ["done", "canceled"] } } });
    const got = doc.paths["/v1/backlog/items/{id}"].get.responses["200"].content!["application/json"].schema;
    expect(got).toMatchObject({ properties: { item: { properties: { evidence_refs: { properties: { alerts: { type: "array" } } } } }, events: { type: "array" } } });
    expect(doc.paths["/v1/backlog/gate"].get.parameters!.map((p) => p.name)).toEqual(["env", "service", "max_overdue", "max_overdue_by_priority", "max_open", "max_age_days"]);
  });

  it("documents every list parameter the list parser takes", async () => {
    const { doc } = await setup();
    const names = doc.paths["/v1/backlog/items"].get.parameters!.filter((p) => p.in === "query").map((p) => p.name);
    expect(names).toEqual([...LIST_PARAMS]);
  });

  it("validates path and query with the documented schemas, in the API's error shape", async () => {
    const { app } = await setup();
    const get = (path: string) => app.request(`http://127.0.0.1${path}`);
    const unknown = await get("/v1/backlog/dashboard?bogus=1");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: { code: "invalid_query", message: "query: bogus: unknown key", hint: expect.stringContaining("/openapi.json") } });
    const twice = await get("/v1/backlog/dashboard?env=prod&env=stage");
    expect(twice.status).toBe(400);
    expect((await twice.json()).error.message).toContain("env");
    const gate = await get("/v1/backlog/gate?max_open=P9=1");
    expect(gate.status).toBe(400);
    expect((await gate.json()).error).toMatchObject({ code: "invalid_query", message: expect.stringContaining("max_open") });
    // Unknown list parameters pass the schema and reach the one list parser (did-you-mean).
    const typo = await get("/v1/backlog/items?statu=open");
    expect(typo.status).toBe(400);
    expect((await typo.json()).error.message).toContain("did you mean status?");
    expect((await get("/v1/backlog/items?status=open&status=blocked&limit=5")).status).toBe(200);
  });

  it("answers every route in its documented response schema, whole (no field the schema lacks)", async () => {
    const { app } = await setup(false, undefined, "cto");
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await app.request(`http://127.0.0.1${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as unknown };
    };
    const routeOf = (method: string, path: string) => Object.values(API).find((r) => r.method === method.toLowerCase() && new RegExp(`^${r.path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path.split("?")[0]))!;
    /** The body parsed by the route's schema for its status, and what parsing dropped (strip = a field the schema lacks). */
    const check = async (method: string, path: string, body?: unknown) => {
      const { status, json } = await call(method, path, body);
      expect(status < 300 || (status === 404 && path.endsWith("bl_000000000000")), `${method} ${path} ${status}: ${JSON.stringify(json)}`).toBe(true);
      const schema = (routeOf(method, path).responses as Record<number, { content?: Record<string, { schema: z.ZodType }> }>)[status]?.content?.["application/json"]?.schema;
      expect(schema, `${method} ${path} ${status}: ${JSON.stringify(json)}`).toBeDefined();
      const parsed = schema!.safeParse(json);
      expect(parsed.success, `${method} ${path}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      expect(parsed.data, `${method} ${path}`).toEqual(json);
      return json as Record<string, any>;
    };
    const digest = JSON.parse(readFileSync(join(process.cwd(), "ops/reports/platform/2026-W48.json"), "utf8"));
    const generated = await check("POST", "/v1/backlog/generate/weekly?env=prod", { digest });
    expect(generated.created).toBeGreaterThan(0);
    await check("POST", "/v1/backlog/generate/weekly?env=prod", { digest, dry_run: true });
    const { item } = await check("POST", "/v1/backlog/items", { service: "gateway", category: "security", dedupe_key: "k:1" });
    await check("POST", "/v1/backlog/upsert", { service: "gateway", category: "security", dedupe_key: "k:1", title: "renamed" });
    await check("GET", `/v1/backlog/items/${item.id}`);
    await check("GET", "/v1/backlog/items?limit=5");
    await check("GET", "/v1/backlog/dashboard");
    await check("PATCH", `/v1/backlog/items/${item.id}`, { owner: "alice" });
    await check("POST", `/v1/backlog/items/${item.id}/status`, { status: "in_progress" });
    await check("POST", `/v1/backlog/items/${item.id}/status`, { status: "in_progress" });
    await check("POST", `/v1/backlog/items/${item.id}/comments`, { message: "halfway" });
    await check("POST", `/v1/backlog/items/${item.id}/close`, { status: "done" });
    const failing = await check("GET", "/v1/backlog/gate?env=prod&max_open=P0=0,P1=0,P2=0,P3=0&max_overdue=0");
    expect(failing.violations.length).toBeGreaterThan(0);
    await check("POST", "/v1/backlog/cleanup", { retention_days: 0, dry_run: true });
    await check("POST", "/v1/backlog/cleanup", { retention_days: 0 });
    await check("GET", "/v1/backlog/items/bl_000000000000");
    await check("GET", "/healthz");
    const tool = async (request: Record<string, unknown>) => {
      const json = await check("POST", "/v1/tools/execute", request);
      // Each action's own schema, not only the union of them all.
      const own = TOOL_RESULT_SCHEMAS[request.action as keyof typeof TOOL_RESULT_SCHEMAS].safeParse(json);
      expect(own.success && own.data, String(request.action)).toEqual(json);
      return json;
    };
    const created = await tool({ action: "create", item: { service: "api", category: "security" } });
    const id = created.item.id;
    for (const request of [
      { action: "list", env: "prod" },
      { action: "list", fields: "id,title" },
      { action: "get", id },
      { action: "dashboard" },
      { action: "upsert", item: { service: "api", category: "security", dedupe_key: created.item.dedupe_key } },
      { action: "edit", id, changes: { owner: "bob" } },
      { action: "set_status", id, status: "blocked" },
      { action: "add_comment", id, message: "waiting" },
      { action: "close", id, status: "canceled" },
      { action: "auto_generate_weekly", digest: join(process.cwd(), "ops/reports/platform/2026-W48.json"), dry_run: true },
      { action: "cleanup", dry_run: true },
    ]) await tool(request);
    expect(Object.keys(TOOL_RESULT_SCHEMAS).sort()).toEqual([...TOOL_ACTIONS].sort());
  });
});

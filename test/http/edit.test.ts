/** PATCH /v1/backlog/items/{id} and the tool action `edit`: the service's edit behind two doors. */
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { createApp } from "../../src/http/app.js";
import { loadPolicy } from "../../src/policy/load.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-11-24T06:20:00Z");
const stores: Store[] = [];
afterEach(async () => {
  while (stores.length > 0) await stores.pop()!.close();
});

async function setup(readOnly = false) {
  const dir = tempDir();
  const store = await openStore({ backend: "jsonl", dir: join(dir, "store"), dsnFile: undefined, cwd: dir, env: {}, warn: () => undefined, now: () => NOW });
  stores.push(store);
  const { policy } = loadPolicy(undefined, process.cwd());
  const app = createApp({ store, policy, now: () => NOW, actor: "oncall", actorExplicit: true, readOnly, version: "test", cwd: dir, env: {} });
  const request = (method: string, path: string, body?: unknown, type = "application/json") =>
    app.request(`http://127.0.0.1${path}`, { method, headers: body === undefined ? {} : { "content-type": type }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (readOnly) return { request, id: "bl_000000000000" };
  const { item } = await (await request("POST", "/v1/backlog/items", { service: "gateway", category: "security", title: "Rotate keys", tags: ["a"] })).json();
  return { request, id: item.id as string };
}

describe("PATCH /v1/backlog/items/{id}", () => {
  it("changes the given fields with one edited event listing from/to; lists replace, meta merges, null clears the due date", async () => {
    const { request, id } = await setup();
    const r = await request("PATCH", `/v1/backlog/items/${id}`, { owner: "cto", priority: "P1", due_date: null, tags: ["b", "c"], meta: { ticket: "OPS-1" } });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.item).toMatchObject({ owner: "cto", priority: "P1", due_date: "", tags: ["b", "c"], meta: { ticket: "OPS-1" } });
    expect(body.event).toMatchObject({ type: "edited", actor: "oncall" });
    expect(body.event.meta.owner).toEqual({ from: "oncall", to: "cto" });
    expect(body.event.meta.priority).toEqual({ from: "P0", to: "P1" });
    const again = await (await request("PATCH", `/v1/backlog/items/${id}`, { owner: "cto" })).json();
    expect(again.event).toBeNull();
    const events = (await (await request("GET", `/v1/backlog/items/${id}`)).json()).events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(["created", "edited"]);
  });

  it("refuses fields edit does not change (400), unknown ids (404), non-JSON bodies (415) and a read-only server (403)", async () => {
    const { request, id } = await setup();
    for (const field of ["status", "env", "service", "category", "dedupe_key"]) {
      const r = await request("PATCH", `/v1/backlog/items/${id}`, { [field]: "x" });
      expect(r.status, field).toBe(400);
      expect((await r.json()).error.hint).toBeTruthy();
    }
    expect((await request("PATCH", `/v1/backlog/items/${id}`, { priority: "P9" })).status).toBe(400);
    expect((await request("PATCH", "/v1/backlog/items/bl_000000000000", { owner: "x" })).status).toBe(404);
    expect((await request("PATCH", `/v1/backlog/items/${id}`, { owner: "x" }, "text/plain")).status).toBe(415);
    const reader = await setup(true);
    expect((await reader.request("PATCH", `/v1/backlog/items/${reader.id}`, { owner: "x" })).status).toBe(403);
  });

  it("the tool action edit does the same through /v1/tools/execute", async () => {
    const { request, id } = await setup();
    const r = await request("POST", "/v1/tools/execute", { action: "edit", id, changes: { title: "Rotate all keys" } });
    expect(r.status).toBe(200);
    expect((await r.json()).item.title).toBe("Rotate all keys");
    expect((await request("POST", "/v1/tools/execute", { action: "edit", id, changes: { status: "done" } })).status).toBe(400);
  });
});

/** GET /v1/backlog/items takes list's parameters: lists, tag, search, sort and fields. */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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

async function setup() {
  const dir = tempDir();
  const store = await openStore({ backend: "jsonl", dir: join(dir, "store"), dsnFile: undefined, cwd: dir, env: {}, warn: () => undefined, now: () => NOW });
  stores.push(store);
  const { policy } = loadPolicy(undefined, process.cwd());
  const app = createApp({ store, policy, now: () => NOW, actor: "oncall", actorExplicit: true, version: "test", cwd: dir, env: {}, log: () => undefined });
  const request = (method: string, path: string, body?: unknown) =>
    app.request(`http://127.0.0.1${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { request };
}

describe("GET /v1/backlog/items with list parameters", () => {
  it("filters by lists, tags and search, sorts, and returns only the asked fields", async () => {
    const { request } = await setup();
    const ids: string[] = [];
    for (const [title, priority, tags] of [["Disk full", "P2", ["db"]], ["Timeout, again", "P0", ["db", "net"]], ["Other", "P1", []]] as const) {
      const r = await request("POST", "/v1/backlog/items", { service: "gateway", category: "refactor", title, priority, tags, dedupe_key: `k:${title}` });
      expect(r.status).toBe(201);
      ids.push((await r.json()).item.id);
    }
    const get = async (query: string) => (await request("GET", `/v1/backlog/items?${query}`)).json();
    expect((await get("priority=P0,P2&sort=-priority&fields=id,priority")).items).toEqual([{ id: ids[0], priority: "P2" }, { id: ids[1], priority: "P0" }]);
    expect((await get("priority=P0&priority=P1&fields=id")).items).toEqual([{ id: ids[1] }, { id: ids[2] }]);
    expect((await get("tag=db&tag=net&fields=id")).items).toEqual([{ id: ids[1] }]);
    expect((await get(`search=${encodeURIComponent("timeout, AGAIN")}&fields=title`)).items).toEqual([{ title: "Timeout, again" }]);
    expect((await get("sort=title&fields=title&limit=2")).items.map((i: { title: string }) => i.title)).toEqual(["Disk full", "Other"]);
    const bad = await request("GET", "/v1/backlog/items?fields=id,titel");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("did you mean title?");
    expect((await request("GET", "/v1/backlog/items?format=csv")).status).toBe(400);
  });
});

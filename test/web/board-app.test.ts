import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app.js";
import { loadPolicy } from "../../src/policy/load.js";
import { addToken, readTokens } from "../../src/service/tokens.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-11-24T06:20:00Z");
const stores: Store[] = [];
afterEach(async () => {
  while (stores.length > 0) await stores.pop()!.close();
});

async function setup(tokens: boolean) {
  const dir = tempDir();
  const store = await openStore({ backend: "jsonl", dir: join(dir, "store"), dsnFile: undefined, cwd: dir, env: {}, warn: () => undefined, now: () => NOW });
  stores.push(store);
  const { policy } = loadPolicy(undefined, process.cwd());
  const file = join(dir, "tokens.json");
  const token = tokens ? addToken(file, "cto", NOW) : "";
  const app = createApp({ store, policy, now: () => NOW, actor: "oncall", actorExplicit: true, tokens: tokens ? readTokens(file) : undefined, version: "test", cwd: dir, env: {} });
  return { app, token };
}

describe("the board inside `backlog serve`", () => {
  it("serves the dashboard with its trend at / and board 404 pages, while the API keeps JSON", async () => {
    const { app } = await setup(false);
    await app.request("http://127.0.0.1/v1/backlog/items", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "gateway", category: "security", title: "<img src=x onerror=alert(1)>", due_date: "2026-11-01" }),
    });
    const res = await app.request("http://127.0.0.1/?env=prod");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<span class="big" id="total">1</span>');
    expect(html).toContain('data-series="created"');
    expect(html).not.toContain("<img");
    const missing = await app.request("http://127.0.0.1/nothing/here");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^text\/html/);
    const api = await app.request("http://127.0.0.1/v1/nothing");
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("with tokens: pages send browsers to /login, which sets an HttpOnly SameSite=Strict cookie; cross-site posts are refused", async () => {
    const { app, token } = await setup(true);
    const page = await app.request("http://127.0.0.1/");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login");
    expect((await app.request("http://127.0.0.1/v1/backlog/dashboard")).status).toBe(401);
    const form = await app.request("http://127.0.0.1/login");
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<label for="token">Token</label>');
    const post = (body: string, headers: Record<string, string>, url = "http://127.0.0.1/login") =>
      app.request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
    expect((await post(`token=${token}`, { origin: "http://evil.example" })).status).toBe(403);
    expect((await post(`token=${token}`, { "sec-fetch-site": "cross-site", origin: "http://127.0.0.1" })).status).toBe(403);
    expect((await post("token=wrong", { origin: "http://127.0.0.1" })).status).toBe(401);
    const ok = await post(`token=${encodeURIComponent(token)}`, { origin: "http://127.0.0.1" });
    expect(ok.status).toBe(303);
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^backlog_token=/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure");
    const https = await post(`token=${encodeURIComponent(token)}`, { origin: "http://127.0.0.1", "x-forwarded-proto": "https" });
    expect(https.headers.get("set-cookie")).toContain("Secure");
    const signedIn = await app.request("http://127.0.0.1/", { headers: { cookie: cookie.split(";")[0]! } });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.text()).toContain("Dashboard: prod");
    const out = await post("", { origin: "http://127.0.0.1" }, "http://127.0.0.1/logout");
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^backlog_token=;.*Max-Age=0/);
  });
});

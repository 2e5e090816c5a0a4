import { Hono } from "hono";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { BacklogService } from "../../src/service/backlog-service.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { boardNotFound, boardRoutes, type BoardEnv } from "../../src/web/routes.js";
import type { TrendWeek } from "../../src/web/trend-chart.js";

const HOSTILE = "<img src=x onerror=alert(1)></script>";

function harness(service: BacklogService, weeks: TrendWeek[] | null = null) {
  const app = new Hono<BoardEnv>();
  app.use("*", async (c, next) => {
    c.set("service", service);
    await next();
  });
  app.route("/", boardRoutes({ trend: async () => weeks }));
  app.notFound(boardNotFound);
  return app;
}

function newService() {
  let n = 0;
  return new BacklogService({
    store: new MemoryStore(),
    policy: DEFAULT_POLICY,
    actor: "cto",
    now: () => new Date("2026-11-24T06:20:00Z"),
    randomHex: () => (n++).toString(16).padStart(12, "0"),
  });
}

const category = Object.keys(DEFAULT_POLICY.categories)[0]!;

function expectBoardHeaders(res: Response) {
  expect(res.headers.get("content-security-policy")).toBe(
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
}

describe("board routes", () => {
  let service: BacklogService;
  let hostileId: string;
  let doneId: string;

  beforeEach(async () => {
    service = newService();
    hostileId = (await service.create({ service: "gateway", category, title: HOSTILE, priority: "P0", owner: "alice", due_date: "2026-11-01", env: "prod" })).item.id;
    await service.create({ service: "gateway", category, title: "Rotate keys", priority: "P1", owner: "bob", due_date: "2026-12-30", env: "prod" });
    doneId = (await service.create({ service: "billing", category, title: "Fix cron", priority: "P2", owner: "carol", env: "prod" })).item.id;
    await service.create({ service: "search", category, title: "Staging only", priority: "P3", owner: "dave", env: "staging" });
    await service.setStatus(doneId, "in_progress");
    await service.comment(doneId, "looking <b>now</b>");
  });

  it("/ renders the dashboard of the env with the dashboard numbers, escaped titles and the trend", async () => {
    const weeks: TrendWeek[] = [
      { week: "2026-W47", created: 3, done: 0, canceled: 0, active: 3, overdue: 1, median_days_to_done: null },
      { week: "2026-W48", created: 1, done: 1, canceled: 0, active: 3, overdue: 1, median_days_to_done: 2 },
    ];
    const res = await harness(service, weeks).request("/?env=prod");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html; charset=UTF-8/i);
    expectBoardHeaders(res);
    const html = await res.text();
    const dashboard = await service.dashboard("prod");
    expect(html).toContain(`<span class="big" id="total">${dashboard.total}</span>`);
    expect(dashboard.total).toBe(3);
    expect(html).toContain(`${dashboard.overdue_count} overdue`);
    expect(html).toContain(`<td class="num" data-count="open">${dashboard.status_counts.open}</td>`);
    expect(html).toContain(`<td class="num" data-count="in_progress">1</td>`);
    expect(html).toContain("<td>alice</td>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("</script>");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;");
    expect(html).toContain('data-series="overdue"');
    expect(html).not.toContain("Staging only");
    expect(html).toContain('<link rel="stylesheet" href="/board.css"/>');
    // The CSP allows no inline style or script: the page must not need any.
    expect(html).not.toMatch(/<script|<[^>]*\s(style|on[a-z]+)=/);
  });

  it("/ says so when the env has no items and rejects an unknown env with a 400 page", async () => {
    const app = harness(newService());
    const empty = await app.request("/?env=prod");
    expect(empty.status).toBe(200);
    expect(await empty.text()).toContain("No items in env prod yet.");
    const bad = await app.request("/?env=nowhere");
    expect(bad.status).toBe(400);
    expectBoardHeaders(bad);
    expect(await bad.text()).toContain("unknown env &quot;nowhere&quot;");
  });

  it("/items applies the filters of list from the GET form and keeps them in the form", async () => {
    const app = harness(service);
    const all = await (await app.request("/items?env=prod")).text();
    expect(all).toContain("1–3 of 3");
    const res = await app.request("/items?env=prod&service=gateway&priority=P1");
    expect(res.status).toBe(200);
    expectBoardHeaders(res);
    const html = await res.text();
    expect(html).toContain("Rotate keys");
    expect(html).not.toContain("Fix cron");
    expect(html).toContain("1–1 of 1");
    expect(html).toContain('<option value="P1" selected="">P1</option>');
    const overdue = await (await app.request("/items?env=prod&overdue=1")).text();
    expect(overdue).toContain("1–1 of 1");
    expect(overdue).toContain("&lt;img src=x");
    expect(overdue).not.toContain("<img");
    const byStatus = await (await app.request("/items?env=prod&status=in_progress")).text();
    expect(byStatus).toContain("Fix cron");
    expect(byStatus).not.toContain("Rotate keys");
    const none = await (await app.request("/items?env=prod&owner=nobody")).text();
    expect(none).toContain("No items match these filters.");
    const bad = await app.request("/items?env=prod&priority=P9");
    expect(bad.status).toBe(400);
  });

  it("/items/:id shows the item and its timeline; an unknown id is a 404 page", async () => {
    const app = harness(service);
    const res = await app.request(`/items/${doneId}`);
    expect(res.status).toBe(200);
    expectBoardHeaders(res);
    const html = await res.text();
    expect(html).toContain("<h1>Fix cron</h1>");
    expect(html).toContain("open → in_progress");
    expect(html).toContain("looking &lt;b&gt;now&lt;/b&gt;");
    expect(html).toMatch(/data-event="created"[\s\S]*data-event="status_change"[\s\S]*data-event="comment"/);
    const hostile = await (await app.request(`/items/${hostileId}`)).text();
    expect(hostile).not.toContain("<img");
    for (const path of ["/items/bl_ffffffffffff", "/items/nope", "/no/such/page"]) {
      const missing = await app.request(path);
      expect(missing.status).toBe(404);
      expectBoardHeaders(missing);
      expect(missing.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await missing.text()).toContain("<h1>Not found</h1>");
    }
  });

  it("/board.css is served as cacheable CSS with the board headers", async () => {
    const res = await harness(service).request("/board.css");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+/);
    expectBoardHeaders(res);
    const css = await res.text();
    expect(css).toContain("prefers-color-scheme: dark");
    expect(css).not.toMatch(/https?:\/\//);
  });
});

/**
 * The board in a real browser: Debian's Chromium driven by puppeteer-core against `createApp` on
 * 127.0.0.1. Skipped (with the reason printed) when Chromium is absent, unless
 * BACKLOG_REQUIRE_BROWSER is set (CI), where its absence fails.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app.js";
import { loadPolicy } from "../../src/policy/load.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { cli, json, REPO } from "../helpers/cli.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE = existsSync(CHROMIUM);
const REQUIRED = process.env.BACKLOG_REQUIRE_BROWSER !== undefined && process.env.BACKLOG_REQUIRE_BROWSER !== "";
if (!HAVE && !REQUIRED) console.warn(`board browser tests skipped: ${CHROMIUM} not found (apt-get install chromium, or set BACKLOG_REQUIRE_BROWSER=1 to fail instead)`);

const NOW = "2026-12-20T00:00:00Z";
const HOSTILE = "<img src=x onerror=alert(1)></script>";
const OUT = join(REPO, "test-output");

describe.skipIf(!HAVE && !REQUIRED)("the board in Chromium", () => {
  let browser: Browser;
  let server: ServerType;
  let store: Store;
  let base: string;
  let dir: string;
  let dashboard: any;
  let hostileId: string;

  beforeAll(async () => {
    // One directory for the whole suite (the shared tempDir helper removes its own after each test).
    dir = mkdtempSync(join(tmpdir(), "backlog-board-"));
    const env = { BACKLOG_NOW: NOW, BACKLOG_DIR: join(dir, "store") };
    const run = (args: string[]) => cli(args, { cwd: REPO, env });
    expect(run(["generate-weekly", "--actor", "scheduler"]).code).toBe(0);
    hostileId = json(run(["create", "--service", "gateway", "--category", "security", "--title", HOSTILE, "--priority", "P0", "--owner", "mallory", "--due", "2026-12-01", "--actor", "scheduler", "--json"])).item.id;
    dashboard = json(run(["dashboard", "--json"]));
    store = await openStore({ backend: "jsonl", dir: join(dir, "store"), dsnFile: undefined, cwd: dir, env: {}, warn: () => undefined, now: () => new Date(NOW) });
    const { policy } = loadPolicy(undefined, REPO);
    const app = createApp({ store, policy, now: () => new Date(NOW), actor: "cto", actorExplicit: true, version: "test", cwd: dir, env: {} });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: join(dir, "chromium-profile"),
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    mkdirSync(OUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a page and collects console errors, failed requests and dialogs (a running script). */
  async function open(path: string, width = 1440, height = 900) {
    const page = await browser.newPage();
    // axe-core is injected as a script tag, which the board's CSP forbids (as it should).
    await page.setBypassCSP(true);
    await page.setViewport({ width, height });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${String(e)}`));
    page.on("dialog", async (d) => {
      problems.push(`dialog: ${d.message()}`);
      await d.dismiss();
    });
    page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()}`));
    const res = await page.goto(`${base}${path}`, { waitUntil: "load" });
    return { page, res, problems };
  }

  async function axe(page: Page) {
    await page.addScriptTag({ path: join(REPO, "node_modules/axe-core/axe.min.js") });
    const result = await page.evaluate(async () => (globalThis as any).axe.run());
    return (result.violations as Array<{ id: string; impact: string; nodes: unknown[] }>).filter((v) => v.impact === "serious" || v.impact === "critical");
  }

  it("renders the dashboard with the numbers of `dashboard --json`, no script from the hostile title, no axe violation", async () => {
    const { page, res, problems } = await open("/?env=prod");
    expect(res?.status()).toBe(200);
    expect(await page.$eval("#total", (e) => e.textContent)).toBe(String(dashboard.total));
    expect(await page.$eval("#overdue-count", (e) => e.textContent)).toBe(`${dashboard.overdue_count} overdue`);
    for (const [status, n] of Object.entries(dashboard.status_counts)) {
      expect(await page.$eval(`[data-count="${status}"]`, (e) => e.textContent)).toBe(String(n));
    }
    const owners = await page.$$eval("table.overdue tbody tr td:nth-child(3)", (tds) => tds.map((t) => t.textContent));
    expect(owners).toEqual(dashboard.overdue.map((i: { owner: string }) => i.owner));
    // The hostile title is text: no <img>, no extra script element, no dialog.
    expect(await page.$$eval("img", (n) => n.length)).toBe(0);
    expect(await page.$$eval("script", (n) => n.length)).toBe(0);
    expect(await page.$eval(`a[href="/items/${hostileId}"]`, (e) => e.textContent)).toBe(HOSTILE);
    expect(await page.$("svg.trend-chart")).not.toBeNull();
    expect(await axe(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(OUT, "board-1440.png"), fullPage: true });
    await page.close();
  });

  it("is readable at 320 px without horizontal scrolling of the page", async () => {
    const { page, problems } = await open("/?env=prod", 320, 800);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
    expect(await axe(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(OUT, "board-320.png") });
    await page.close();
  });

  it("the filter form navigates to a URL with the query and shows only matching items", async () => {
    const { page, problems } = await open("/items?env=prod");
    await page.select('select[name="priority"]', "P0");
    await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
    const url = new URL(page.url());
    expect(url.pathname).toBe("/items");
    expect(url.searchParams.get("priority")).toBe("P0");
    expect(url.searchParams.get("env")).toBe("prod");
    const priorities = await page.$$eval("table.items tbody tr td:first-child", (tds) => tds.map((t) => t.textContent));
    expect(priorities.length).toBeGreaterThan(0);
    expect(new Set(priorities)).toEqual(new Set(["P0"]));
    expect(await axe(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the item page shows the timeline; an unknown id is a 404 page; both pass axe", async () => {
    const item = await open(`/items/${hostileId}`);
    expect(item.res?.status()).toBe(200);
    expect(await item.page.$eval("h1", (e) => e.textContent)).toBe(HOSTILE);
    expect(await item.page.$$eval("ol.timeline li", (n) => n.length)).toBeGreaterThan(0);
    expect(await axe(item.page)).toEqual([]);
    expect(item.problems).toEqual([]);
    await item.page.close();
    const missing = await open("/items/bl_ffffffffffff");
    expect(missing.res?.status()).toBe(404);
    expect(await missing.page.$eval("h1", (e) => e.textContent)).toBe("Not found");
    expect(await axe(missing.page)).toEqual([]);
    await missing.page.close();
  });

  it("the self-contained `board --output` file opens offline with the same numbers", async () => {
    const env = { BACKLOG_NOW: NOW, BACKLOG_DIR: join(dir, "store") };
    expect(cli(["board", "--output", join(dir, "board.html")], { cwd: REPO, env }).code).toBe(0);
    const html = readFileSync(join(dir, "board.html"), "utf8");
    const page = await browser.newPage();
    const requests: string[] = [];
    await page.setRequestInterception(true);
    page.on("request", (r) => {
      if (!r.url().startsWith("data:") && r.url() !== "about:blank") requests.push(r.url());
      void r.continue();
    });
    await page.setContent(html, { waitUntil: "load" });
    expect(requests).toEqual([]);
    expect(await page.$eval("#total", (e) => e.textContent)).toBe(String(dashboard.total));
    expect(await page.$$eval("img", (n) => n.length)).toBe(0);
    await page.close();
  });
});

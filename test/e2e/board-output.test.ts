import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, type CliResult, json, REPO, snapshot } from "../helpers/cli.js";
import { freshDatabase, POSTGRES } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-12-20T00:00:00Z";
const HOSTILE = "<img src=x onerror=alert(1)></script>";

function ok(r: CliResult) {
  expect(r.code, r.stderr).toBe(0);
  return r;
}

type Backend = { name: string; env: () => Promise<Record<string, string>> | Record<string, string> };

const backends: Backend[] = [
  { name: "jsonl", env: () => ({ BACKLOG_BACKEND: "jsonl" }) },
  ...(POSTGRES.dsn ? [{ name: "postgres", env: async () => ({ BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: await freshDatabase() }) }] : []),
];

/** What the self-contained file shows for one count, read back out of its markup. */
const countIn = (html: string, key: string) => Number(new RegExp(`data-count="${key}">(\\d+)<`).exec(html)?.[1]);

describe.each(backends)("board --output ($name)", (backend) => {
  it("writes one self-contained HTML file with the dashboard's numbers and escaped titles", async () => {
    const dir = tempDir();
    cpSync(join(REPO, "ops/reports"), join(dir, "ops/reports"), { recursive: true });
    const env = { BACKLOG_NOW: NOW, ...(await backend.env()) };
    const run = (args: string[]) => cli(args, { cwd: dir, env });
    if (backend.name === "postgres") ok(run(["migrate", "--actor", "scheduler"]));
    ok(run(["generate-weekly", "--actor", "scheduler"]));
    ok(run(["create", "--service", "gateway", "--category", "security", "--title", HOSTILE, "--priority", "P0", "--owner", "mallory", "--due", "2026-12-01", "--actor", "scheduler"]));
    const dashboard = json(ok(run(["dashboard", "--json"])));
    const written = json(ok(run(["board", "--output", "board.html", "--json"])));
    expect(written).toMatchObject({ env: "prod", output: join(dir, "board.html") });
    const html = readFileSync(join(dir, "board.html"), "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    // Nothing to fetch: no stylesheet link, no script, no http(s) reference at all.
    expect(html).not.toMatch(/<link rel="stylesheet"|<script|\s(src|href)="(https?:)?\/\/|https?:\/\//);
    for (const ref of html.matchAll(/\s(?:src|href)="([^"]*)"/g)) expect(ref[1]).toMatch(/^(data:|#)/);
    expect(html).toMatch(new RegExp(`<span class="big" id="total">${dashboard.total}</span>`));
    expect(html).toContain(`${dashboard.overdue_count} overdue`);
    for (const [status, n] of Object.entries(dashboard.status_counts)) expect(countIn(html, status)).toBe(n);
    for (const [priority, n] of Object.entries(dashboard.priority_counts)) expect(countIn(html, priority)).toBe(n);
    for (const { service, count } of dashboard.top_services) expect(countIn(html, service)).toBe(count);
    expect(dashboard.overdue.length).toBeGreaterThan(0);
    for (const item of dashboard.overdue) expect(html).toContain(`<td>${item.owner}</td>`);
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;");
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
});

describe("board --output refusals", () => {
  it("refuses to write into the data directory and changes no byte; an unknown env is exit 2", () => {
    const dir = tempDir();
    const env = { BACKLOG_NOW: NOW, BACKLOG_DIR: join(dir, "store") };
    ok(cli(["create", "--service", "gateway", "--category", "security", "--title", "t", "--actor", "scheduler"], { cwd: dir, env }));
    expect(existsSync(join(dir, "store/items.jsonl"))).toBe(true);
    const before = snapshot(dir);
    for (const target of ["store/items.jsonl", "store/events.jsonl", "store/new.html"]) {
      const r = cli(["board", "--output", target], { cwd: dir, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("inside the data directory");
    }
    const other = cli(["board", "--output", "x.html", "--env", "nowhere"], { cwd: dir, env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("unknown env");
    expect(snapshot(dir)).toEqual(before);
    writeFileSync(join(dir, "old.html"), "old");
    ok(cli(["board", "--output", "old.html"], { cwd: dir, env }));
    expect(readFileSync(join(dir, "old.html"), "utf8")).toContain("<!doctype html>");
  });
});

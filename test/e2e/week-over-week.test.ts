/**
 * SPEC section 12 end to end: weeks W08 → W09 → W10 of generation (carry-over, recurrence,
 * escalation, cleared, unchanged), stale digests, `report` against a hand-computed history and
 * `log`, on the JSONL store and (where a server is available) on PostgreSQL.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliAsync, type CliResult, json, snapshot } from "../helpers/cli.js";
import { freshDatabase, POSTGRES, suiteTitle } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const MONDAY: Record<string, string> = { "2026-W08": "2026-02-16T06:20:00Z", "2026-W09": "2026-02-23T06:20:00Z", "2026-W10": "2026-03-02T06:20:00Z" };

interface Svc {
  service: string;
  arch?: boolean;
  band?: string;
  slo?: boolean;
  signal?: string;
}

const digestOf = (week: string, services: Svc[]) => ({
  week,
  env: "prod",
  services: services.map((s) => ({
    service: s.service,
    pressure_score: 70,
    pressure_band: s.band ?? "low",
    pressure_requires_arch_review: s.arch ?? false,
    risk_score: 60,
    risk_band: s.band ?? "low",
    risk_has_slo_violations: s.slo ?? false,
    followups_overdue: 0,
    signals: [s.signal ?? `signal of ${week}`],
    evidence_refs: { alerts: [`ALR-${week}`] },
  })),
});

type Backend = { name: string; env: () => Promise<Record<string, string>> };
const BACKENDS: Backend[] = [{ name: "jsonl", env: async () => ({}) }];
if (POSTGRES.dsn) BACKENDS.push({ name: "postgres", env: async () => ({ BACKLOG_BACKEND: "postgres", BACKLOG_POSTGRES_DSN: await freshDatabase() }) });

async function workspace(backend: Backend, policy?: string) {
  const dir = tempDir();
  mkdirSync(join(dir, "digests"), { recursive: true });
  if (policy !== undefined) writeFileSync(join(dir, "policy.yml"), policy);
  const base = { BACKLOG_ACTOR: "scheduler", BACKLOG_DIGEST_DIR: join(dir, "digests"), ...(policy !== undefined ? { BACKLOG_POLICY: join(dir, "policy.yml") } : {}), ...(await backend.env()) };
  const run = (args: string[], now: string, extra: Record<string, string> = {}) => cli(args, { cwd: dir, env: { ...base, BACKLOG_NOW: now, ...extra } });
  const runAsync = (args: string[], now: string) => cliAsync(args, { cwd: dir, env: { ...base, BACKLOG_NOW: now, BACKLOG_LOCK_TIMEOUT_MS: "60000" } });
  if (backend.name === "postgres") ok(run(["migrate"], MONDAY["2026-W08"]));
  const publish = (week: string, services: Svc[]) => writeFileSync(join(dir, "digests", `${week}.json`), JSON.stringify(digestOf(week, services)));
  const generate = (week: string, extra: string[] = []) => json(ok(run(["generate-weekly", "--json", ...extra], MONDAY[week])));
  const items = (now = MONDAY["2026-W10"]) => json(ok(run(["list", "--all", "--status", "all", "--json"], now))) as Array<Record<string, any>>;
  return { dir, store: join(dir, "ops/backlog"), run, runAsync, publish, generate, items };
}

function ok(r: CliResult) {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  return r;
}

const hot: Svc = { service: "gateway", arch: true, band: "high" };
const flaky: Svc = { service: "billing", slo: true };
const actions = (report: { items: Array<{ action: string; service: string; category: string }> }) =>
  Object.fromEntries(report.items.map((i) => [`${i.service}/${i.category}`, i.action]));

for (const backend of BACKENDS) {
  describe(suiteTitle(`week over week (${backend.name})`), () => {
    it("carries active items into later weeks, recreates after done, reports cleared and writes nothing when unchanged", async () => {
      const w = await workspace(backend);
      w.publish("2026-W08", [hot, flaky]);
      const w08 = w.generate("2026-W08");
      expect(w08).toMatchObject({ week: "2026-W08", created: 3, carried_over: 0, cleared: 0 });
      const arch = w08.items.find((i: { category: string }) => i.category === "arch_review");
      ok(w.run(["set-status", arch.id, "in_progress"], "2026-02-18T10:00:00Z"));
      const before = w.items().find((i) => i.id === arch.id)!;

      w.publish("2026-W09", [hot, { ...flaky, slo: false, signal: "quiet now" }]);
      const w09 = w.generate("2026-W09");
      expect(w09).toMatchObject({ week: "2026-W09", created: 0, carried_over: 2, updated: 0, unchanged: 0, cleared: 1 });
      expect(actions(w09)).toEqual({ "gateway/arch_review": "carried_over", "gateway/refactor": "carried_over" });
      expect(w09.cleared_items).toEqual([
        { id: expect.stringMatching(/^bl_/), service: "billing", category: "slo_hardening", dedupe_key: "platform_backlog:2026-W08:prod:billing:slo_hardening", last_week: "2026-W08", status: "open" },
      ]);
      const carried = w.items().find((i) => i.id === arch.id)!;
      expect(carried).toMatchObject({
        status: "in_progress",
        owner: before.owner,
        due_date: before.due_date,
        priority: "P1",
        dedupe_key: "platform_backlog:2026-W08:prod:gateway:arch_review",
        evidence_refs: expect.objectContaining({ alerts: ["ALR-2026-W09"] }),
        meta: expect.objectContaining({ weeks_seen: 2, last_week: "2026-W09" }),
      });
      expect(carried.tags).toEqual(expect.arrayContaining(["week:2026-W08", "week:2026-W09"]));
      expect(carried.description).toContain("signal of 2026-W09");
      // The cleared item is listed, not closed.
      expect(w.items().filter((i) => i.service === "billing")).toEqual([expect.objectContaining({ status: "open" })]);

      // A re-run of the same week changes nothing: no byte written, every action "unchanged".
      const bytes = backend.name === "jsonl" ? snapshot(w.store) : null;
      const again = w.generate("2026-W09");
      expect(again).toMatchObject({ created: 0, carried_over: 0, updated: 0, unchanged: 2, cleared: 1 });
      expect(Object.values(actions(again))).toEqual(["unchanged", "unchanged"]);
      if (bytes) expect(snapshot(w.store)).toEqual(bytes);
      expect(w.items()).toHaveLength(3);

      // Done in W09: W10's match is a recurrence (a new item with W10's key); the other carries on.
      ok(w.run(["close", arch.id], "2026-02-26T10:00:00Z"));
      w.publish("2026-W10", [hot]);
      const w10 = w.generate("2026-W10");
      expect(w10).toMatchObject({ created: 1, carried_over: 1, cleared: 1 });
      expect(w10.items.find((i: { category: string }) => i.category === "arch_review")).toMatchObject({
        action: "created",
        dedupe_key: "platform_backlog:2026-W10:prod:gateway:arch_review",
      });
      const refactor = w.items().find((i) => i.category === "refactor")!;
      expect(refactor.meta).toMatchObject({ weeks_seen: 3, last_week: "2026-W10" });
      expect(w.items().filter((i) => i.service === "gateway")).toHaveLength(3);
    });

    it("with carry_over: false gives each week its own items; escalate_after_weeks raises priority once per N weeks", async () => {
      const separate = await workspace(backend, "generation: {carry_over: false}\n");
      separate.publish("2026-W08", [hot]);
      expect(separate.generate("2026-W08")).toMatchObject({ created: 2 });
      separate.publish("2026-W09", [hot]);
      expect(separate.generate("2026-W09")).toMatchObject({ created: 2, carried_over: 0 });
      expect(separate.items().map((i) => i.dedupe_key).sort()).toEqual([
        "platform_backlog:2026-W08:prod:gateway:arch_review",
        "platform_backlog:2026-W08:prod:gateway:refactor",
        "platform_backlog:2026-W09:prod:gateway:arch_review",
        "platform_backlog:2026-W09:prod:gateway:refactor",
      ]);

      const w = await workspace(backend, "generation: {escalate_after_weeks: 2}\n");
      w.publish("2026-W08", [hot]);
      w.generate("2026-W08");
      w.publish("2026-W09", [hot]);
      w.generate("2026-W09");
      const [arch] = w.items().filter((i) => i.category === "arch_review");
      expect(arch.priority).toBe("P0");
      const events = json(ok(w.run(["get", arch.id, "--json"], MONDAY["2026-W10"]))).events;
      expect(events.map((e: { type: string }) => e.type)).toEqual(["created", "auto_update", "edited"]);
      expect(events[2]).toMatchObject({ meta: { priority: { from: "P1", to: "P0" } }, message: expect.stringContaining("seen 2 weeks") });
      // Re-running the week does not escalate again; neither does week 3 (next at 4).
      expect(w.generate("2026-W09")).toMatchObject({ unchanged: 2 });
      w.publish("2026-W10", [hot]);
      w.generate("2026-W10");
      expect(w.items().filter((i) => i.category === "arch_review")).toEqual([expect.objectContaining({ priority: "P0", meta: expect.objectContaining({ weeks_seen: 3 }) })]);
    });

    it("two processes generating a new week at once still make one item per series", async () => {
      const w = await workspace(backend);
      w.publish("2026-W08", [hot, flaky]);
      w.generate("2026-W08");
      w.publish("2026-W09", [hot, flaky, { service: "search", slo: true }]);
      const runs = await Promise.all([0, 1, 2].map(() => w.runAsync(["generate-weekly", "--json"], MONDAY["2026-W09"])));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const reports = runs.map((r) => JSON.parse(r.stdout));
      // Exactly one run created search's item and carried each old series; the others found them.
      expect(reports.reduce((n, r) => n + r.created, 0)).toBe(1);
      expect(reports.reduce((n, r) => n + r.carried_over, 0)).toBe(3);
      const all = w.items();
      expect(all).toHaveLength(4);
      const series = all.map((i) => `${i.service}/${i.category}`);
      expect(new Set(series).size).toBe(series.length);
    });

    it("report: per-week figures against a hand-computed history, in every format", async () => {
      const w = await workspace(backend);
      const create = (service: string, at: string, due: string) =>
        json(ok(w.run(["create", "--service", service, "--category", "refactor", "--due", due, "--json"], at))).item.id as string;
      const a = create("gateway", "2026-02-16T10:00:00Z", "2026-02-20");
      const b = create("gateway", "2026-02-17T10:00:00Z", "2026-03-20");
      const c = create("billing", "2026-02-24T10:00:00Z", "2026-02-27");
      const d = create("search", "2026-02-24T00:00:00Z", "");
      ok(w.run(["set-status", a, "in_progress"], "2026-02-18T10:00:00Z"));
      ok(w.run(["close", a], "2026-02-25T10:00:00Z")); // 9 days
      ok(w.run(["set-status", d, "in_progress"], "2026-02-24T01:00:00Z"));
      ok(w.run(["close", d], "2026-02-26T00:00:00Z")); // 2 days
      ok(w.run(["close", b, "--status", "canceled"], "2026-03-03T09:00:00Z"));
      const now = "2026-03-04T12:00:00Z";
      const report = json(ok(w.run(["report", "--weeks", "3", "--json"], now)));
      expect(report).toEqual({
        env: "prod",
        weeks: [
          // W08 ends Monday 02-23: a and b active; a (due 02-20) overdue on Sunday 02-22.
          { week: "2026-W08", created: 2, done: 0, canceled: 0, active: 2, overdue: 1, median_days_to_done: null },
          // W09: c and d created, a and d done (9 and 2 days: median 5.5); b and c active, c overdue.
          { week: "2026-W09", created: 2, done: 2, canceled: 0, active: 2, overdue: 1, median_days_to_done: 5.5 },
          // W10 so far: b canceled; c active and overdue.
          { week: "2026-W10", created: 0, done: 0, canceled: 1, active: 1, overdue: 1, median_days_to_done: null },
        ],
        top_services: [{ service: "billing", active: 1 }],
      });
      expect(c).toMatch(/^bl_/);

      const text = ok(w.run(["report", "--weeks", "3"], now)).stdout;
      expect(text).toMatch(/^\s+done\s+[▁-█]{3}\s+0$/m);
      expect(text).toMatch(/^2026-W09\s+2\s+2\s+0\s+2\s+1\s+5\.5$/m);

      const markdown = ok(w.run(["report", "--weeks", "3", "--format", "markdown"], now)).stdout;
      const rows = markdown.split("\n").filter((l) => l.startsWith("| 2026-W"));
      const cells = rows.map((r) => r.split("|").slice(1, -1).map((s) => s.trim()));
      expect(cells).toEqual([
        ["2026-W08", "2", "0", "0", "2", "1", "-"],
        ["2026-W09", "2", "2", "0", "2", "1", "5.5"],
        ["2026-W10", "0", "0", "1", "1", "1", "-"],
      ]);

      const html = ok(w.run(["report", "--weeks", "3", "--format", "html"], now)).stdout;
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(html).not.toMatch(/<script|<link|src=|href=/i);
      const svg = html.match(/<svg[\s\S]*<\/svg>/)?.[0] ?? "";
      expect(svg.match(/<polyline/g)).toHaveLength(4);
      const tbody = html.match(/<table id="weeks">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/)?.[1] ?? "";
      const htmlRows = [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td>(.*?)<\/td>/g)].map((x) => x[1]));
      expect(htmlRows[1]).toEqual(["2026-W09", "2", "2", "0", "2", "1", "5.5"]);

      for (const bad of [["--env", "nope"], ["--weeks", "0"], ["--weeks", "521"], ["--format", "pdf"]]) {
        const r = w.run(["report", ...bad], now);
        expect(r.code, bad.join(" ")).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr, "the message names the option").toContain(bad[0]);
      }
    });

    it("log: events across items, newest first, filtered, with titles", async () => {
      const w = await workspace(backend);
      const id = json(ok(w.run(["create", "--service", "gateway", "--category", "refactor", "--json"], "2026-02-16T10:00:00Z"))).item.id;
      json(ok(w.run(["create", "--service", "billing", "--category", "security", "--env", "staging", "--json"], "2026-02-20T10:00:00Z")));
      ok(w.run(["comment", id, "looking", "--actor", "alice"], "2026-02-21T10:00:00Z"));
      ok(w.run(["set-status", id, "in_progress", "--actor", "alice"], "2026-02-22T10:00:00Z"));
      const now = "2026-02-23T10:00:00Z";
      const all = json(ok(w.run(["log", "--json", "--since", "30d"], now)));
      expect(all.map((e: { type: string }) => e.type)).toEqual(["status_change", "comment", "created", "created"]);
      expect(all[0]).toMatchObject({ item_id: id, actor: "alice", item_title: "[REFACTOR] Reduce pressure on gateway" });
      expect(json(ok(w.run(["log", "--json", "--since", "36h"], now))).map((e: { type: string }) => e.type)).toEqual(["status_change"]);
      expect(json(ok(w.run(["log", "--json", "--since", "30d", "--env", "staging"], now)))).toEqual([expect.objectContaining({ type: "created", item_title: "[SEC] Security work on billing" })]);
      expect(json(ok(w.run(["log", "--json", "--since", "30d", "--actor", "alice", "--type", "comment"], now))).map((e: { message: string }) => e.message)).toEqual(["looking"]);
      expect(json(ok(w.run(["log", "--json", "--since", "30d", "--service", "gateway", "--limit", "1"], now)))).toHaveLength(1);
      expect(ok(w.run(["log", "--since", "30d"], now)).stdout).toContain("[REFACTOR] Reduce pressure on gateway");
      expect(w.run(["log", "--since", "yesterday"], now).code).toBe(2);
      expect(w.run(["log", "--type", "nope"], now).code).toBe(2);
      for (const limit of ["0", "abc", "100001"]) {
        const r = w.run(["log", "--limit", limit], now);
        expect(r.code, limit).toBe(2);
        expect(r.stderr, limit).toContain("--limit");
        expect(r.stderr, limit).toContain("a whole number from 1 to 100000");
      }
    });
  });
}

describe("series", () => {
  it("only keys of the generated format form series: a hand-made key under the prefix is neither carried nor cleared", async () => {
    const w = await workspace(BACKENDS[0]);
    ok(w.run(["create", "--service", "gateway", "--category", "arch_review", "--source", "digest", "--dedupe-key", "platform_backlog:hand-made"], MONDAY["2026-W08"]));
    ok(w.run(["create", "--service", "billing", "--category", "refactor", "--source", "digest", "--dedupe-key", "platform_backlog:2026-W01:prod:billing"], MONDAY["2026-W08"]));
    w.publish("2026-W08", [hot]);
    expect(w.generate("2026-W08")).toMatchObject({ created: 2, carried_over: 0, cleared: 0 });
  });
});

describe("generate-daily", () => {
  it("follows the same rules: carries the series into the next week's risk digest, recreates after done", async () => {
    const w = await workspace(BACKENDS[0], "generation: {daily_from_risk_digest: true}\n");
    const riskDir = join(w.dir, "risk");
    mkdirSync(riskDir);
    const publish = (date: string, services: Svc[]) => writeFileSync(join(riskDir, `${date}.json`), JSON.stringify({ ...digestOf("ignored", services), week: undefined, date }));
    const daily = (now: string) => json(ok(w.run(["generate-daily", "--json"], now, { BACKLOG_RISK_DIGEST_DIR: riskDir })));
    publish("2026-02-17", [flaky]);
    expect(daily("2026-02-17T05:00:00Z")).toMatchObject({ week: "2026-W08", created: 1 });
    publish("2026-02-18", [flaky]);
    expect(daily("2026-02-18T05:00:00Z")).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    publish("2026-02-24", [flaky]);
    const next = daily("2026-02-24T05:00:00Z");
    expect(next).toMatchObject({ week: "2026-W09", created: 0, carried_over: 1 });
    const [item] = w.items();
    expect(item).toMatchObject({ source: "risk", meta: expect.objectContaining({ weeks_seen: 2, last_week: "2026-W09" }) });
    ok(w.run(["close", item.id, "--status", "canceled"], "2026-02-25T05:00:00Z"));
    publish("2026-03-02", [{ service: "billing" }]);
    expect(daily("2026-03-02T05:00:00Z")).toMatchObject({ created: 0, cleared: 0 });
    publish("2026-03-03", [flaky]);
    expect(daily("2026-03-03T05:00:00Z")).toMatchObject({ week: "2026-W10", created: 1, carried_over: 0 });
  });
});

describe("stale digest", () => {
  it("warns naming both weeks; --require-current makes it exit 3 and writes nothing; --digest is never stale", async () => {
    const w = await workspace(BACKENDS[0]);
    w.publish("2026-W08", [hot]);
    const warned = w.run(["generate-weekly", "--json"], MONDAY["2026-W09"]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain("2026-W08");
    expect(warned.stderr).toContain("2026-W09");
    const before = snapshot(w.store);
    const refused = w.run(["generate-weekly", "--require-current", "--quiet"], MONDAY["2026-W10"]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/2026-W08.*2026-W10/);
    expect(snapshot(w.store)).toEqual(before);
    ok(w.run(["generate-weekly", "--digest", join(w.dir, "digests/2026-W08.json"), "--require-current", "--quiet"], MONDAY["2026-W10"]));
    w.publish("2026-W10", [hot]);
    expect(ok(w.run(["generate-weekly", "--require-current", "--quiet"], MONDAY["2026-W10"])).stdout).toBe("");
  });
});

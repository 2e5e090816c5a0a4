import { appendFileSync, cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliAsync, type CliResult, json, REPO, snapshot } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-11-24T06:20:00Z";
const SAMPLE = JSON.parse(readFileSync(join(REPO, "ops/reports/platform/2026-W48.json"), "utf8"));

function workspace() {
  const dir = tempDir();
  cpSync(join(REPO, "ops/reports"), join(dir, "ops/reports"), { recursive: true });
  const run = (args: string[], env: Record<string, string | undefined> = {}) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, BACKLOG_ACTOR: "scheduler", ...env } });
  const digest = (name: string, body: unknown) => {
    const path = join(dir, "digests", name);
    mkdirSync(join(dir, "digests"), { recursive: true });
    writeFileSync(path, typeof body === "string" ? body : JSON.stringify(body));
    return path;
  };
  return { dir, store: join(dir, "ops/backlog"), run, digest };
}

function ok(r: CliResult) {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  return r;
}

const items = (w: ReturnType<typeof workspace>) => json(ok(w.run(["list", "--all", "--json"])));

describe("generate-weekly", () => {
  it("turns the sample digest into one item per matched service and category", () => {
    const w = workspace();
    const report = json(ok(w.run(["generate-weekly", "--json"])));
    expect(Object.keys(report)).toEqual(["week", "env", "digest", "dry_run", "created", "updated", "carried_over", "unchanged", "skipped", "cleared", "items", "skipped_items", "cleared_items"]);
    expect(report).toMatchObject({ week: "2026-W48", env: "prod", digest: "ops/reports/platform/2026-W48.json", dry_run: false, created: 16, updated: 0, skipped: 0, skipped_items: [] });
    const rules = new Set(report.items.map((i: { rule: string }) => i.rule));
    expect(rules).toEqual(new Set(["arch_review_required", "high_pressure_refactor", "slo_violations", "followup_backlog"]));
    const services = new Set(report.items.map((i: { service: string }) => i.service));
    for (const quiet of ["catalog", "inventory", "reporting"]) expect(services.has(quiet)).toBe(false);

    const stored = items(w);
    expect(stored).toHaveLength(16);
    const gatewayArch = stored.find((i: { dedupe_key: string }) => i.dedupe_key === "platform_backlog:2026-W48:prod:gateway:arch_review");
    expect(gatewayArch).toMatchObject({
      title: "[ARCH] Architecture review: gateway",
      priority: "P1",
      due_date: "2026-12-08",
      owner: "oncall",
      source: "digest",
      tags: ["auto", "week:2026-W48", "rule:arch_review_required"],
      evidence_refs: { alerts: ["ALR-1", "ALR-4"], incidents: ["INC-7", "INC-9", "INC-12"], release_checks: [], artifacts: [], followups: ["FU-2", "FU-5", "FU-6"] },
    });
    expect(gatewayArch.description).toContain("- 3 P1 incidents in 14 days");
    const events = json(ok(w.run(["get", gatewayArch.id, "--json"]))).events;
    expect(events).toEqual([expect.objectContaining({ type: "created", actor: "scheduler", meta: expect.objectContaining({ rule: "arch_review_required" }) })]);
  });

  it("re-running keeps ids, status and owner that people changed, and duplicates nothing", () => {
    const w = workspace();
    const first = json(ok(w.run(["generate-weekly", "--json"])));
    const target = first.items[0];
    ok(w.run(["set-status", target.id, "in_progress", "--actor", "alice"]));
    // An owner changed by hand (another tool appending a version, as last-write-wins allows).
    const current = json(ok(w.run(["get", target.id, "--json"]))).item;
    appendFileSync(join(w.store, "items.jsonl"), `${JSON.stringify({ ...current, owner: "team-gateway", priority: "P0" })}\n`);

    const second = json(ok(w.run(["generate-weekly", "--json"], { BACKLOG_NOW: "2026-11-25T06:20:00Z" })));
    // Nothing in the digest changed: every item is reported unchanged (SPEC section 12).
    expect(second).toMatchObject({ created: 0, updated: 0, unchanged: 16 });
    expect(second.items.map((i: { id: string }) => i.id)).toEqual(first.items.map((i: { id: string }) => i.id));
    const after = items(w);
    expect(after).toHaveLength(16);
    expect(after.find((i: { id: string }) => i.id === target.id)).toMatchObject({ status: "in_progress", owner: "team-gateway", priority: "P0", due_date: current.due_date });
    // Nothing changed in the digest: the re-run wrote no item version and no event.
    const events = json(ok(w.run(["get", target.id, "--json"]))).events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(["created", "status_change"]);
  });

  it("updates content from a changed digest with an auto_update event naming the rule", () => {
    const w = workspace();
    ok(w.run(["generate-weekly"]));
    const changed = structuredClone(SAMPLE);
    changed.services[0].signals.push("new: cert expiry in 5 days");
    changed.services[0].evidence_refs.alerts.push("ALR-99");
    const path = w.digest("2026-W48.json", changed);
    const report = json(ok(w.run(["generate-weekly", "--digest", path, "--json"])));
    expect(report).toMatchObject({ created: 0, carried_over: 0 });
    const byService = (name: string) => report.items.filter((i: { service: string }) => i.service === name);
    expect(byService(changed.services[0].service).map((i: { action: string }) => i.action)).toEqual(byService(changed.services[0].service).map(() => "updated"));
    expect(report.updated + report.unchanged).toBe(16);
    expect(report.unchanged).toBeGreaterThan(0);
    const gateway = items(w).find((i: { dedupe_key: string }) => i.dedupe_key.endsWith(":gateway:refactor"));
    expect(gateway.description).toContain("cert expiry");
    expect(gateway.evidence_refs.alerts).toContain("ALR-99");
    const events = json(ok(w.run(["get", gateway.id, "--json"]))).events;
    expect(events[1]).toMatchObject({ type: "auto_update", meta: expect.objectContaining({ rule: "high_pressure_refactor", fields: ["description", "evidence_refs"] }) });
  });

  it("a dry run reports what a real run does and changes no byte", () => {
    const w = workspace();
    ok(w.run(["create", "--service", "gateway", "--category", "security"]));
    const before = snapshot(w.store);
    const dry = json(ok(w.run(["generate-weekly", "--dry-run", "--json"])));
    expect(snapshot(w.store)).toEqual(before);
    expect(dry.dry_run).toBe(true);
    const real = json(ok(w.run(["generate-weekly", "--json"])));
    const shape = (r: typeof real) => r.items.map((i: { action: string; dedupe_key: string }) => [i.action, i.dedupe_key]);
    expect(shape(dry)).toEqual(shape(real));
    expect(dry.items.every((i: { id: string | null }) => i.id === null)).toBe(true);
    const again = json(ok(w.run(["generate-weekly", "--dry-run", "--json"])));
    expect(again.items.map((i: { id: string }) => i.id)).toEqual(real.items.map((i: { id: string }) => i.id));
  });

  it("concurrent runs create each dedupe key once", async () => {
    const w = workspace();
    const runs = await Promise.all(Array.from({ length: 6 }, () => cliAsync(["generate-weekly", "--json"], { cwd: w.dir, env: { BACKLOG_NOW: NOW, BACKLOG_ACTOR: "scheduler" } })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs.reduce((n, r) => n + JSON.parse(r.stdout).created, 0)).toBe(16);
    const keys = items(w).map((i: { dedupe_key: string }) => i.dedupe_key);
    expect(new Set(keys).size).toBe(16);
    expect(keys).toHaveLength(16);
  });

  it("picks the newest digest by ISO week, not by file time", () => {
    const w = workspace();
    const dir = join(w.dir, "digests");
    const older = w.digest("2026-W09.json", { ...SAMPLE, week: "2026-W09" });
    const newest = w.digest("2026-W10.json", { ...SAMPLE, week: "2026-W10" });
    w.digest("2025-W52.json", { ...SAMPLE, week: "2025-W52" });
    w.digest("notes.json", { week: "2099-W01" });
    utimesSync(newest, new Date("2020-01-01"), new Date("2020-01-01"));
    utimesSync(older, new Date(), new Date());
    const inW10 = { BACKLOG_NOW: "2026-03-03T06:00:00Z" };
    const report = json(ok(w.run(["generate-weekly", "--digest-dir", dir, "--dry-run", "--json"], inW10)));
    expect(report.week).toBe("2026-W10");
    expect(json(ok(w.run(["generate-weekly", "--dry-run", "--json"], { ...inW10, BACKLOG_DIGEST_DIR: dir }))).week).toBe("2026-W10");
  });

  it("keys a 2026-W53 digest with 2026-W53", () => {
    const w = workspace();
    const path = w.digest("2026-W53.json", { ...SAMPLE, week: "2026-W53" });
    const report = json(ok(w.run(["generate-weekly", "--digest", path, "--json"], { BACKLOG_NOW: "2027-01-01T06:20:00Z" })));
    expect(report.items[0].dedupe_key).toMatch(/^platform_backlog:2026-W53:prod:/);
  });

  it("says exactly what is missing when there is no digest (exit 3)", () => {
    const w = workspace();
    const r = w.run(["generate-weekly", "--digest-dir", "nowhere"]);
    expect(r.code).toBe(3);
    expect(r.stderr.split("\n")[0]).toBe("backlog: No platform digest found. Run architecture_pressure_tool.digest first.");
    expect(w.run(["generate-weekly", "--digest", "nope.json"]).code).toBe(3);
  });

  it.each([
    ["no week", (d: any) => delete d.week, "week: required"],
    ["a week that does not exist", (d: any) => (d.week = "2025-W53"), "week: expected an ISO week"],
    ["a bad band", (d: any) => (d.services[3].risk_band = "severe"), "services[3].risk_band: expected one of low|medium|high|critical"],
    ["a bad service name", (d: any) => (d.services[1].service = "Billing Svc"), "services[1].service:"],
    ["a duplicate service", (d: any) => (d.services[2].service = "gateway"), 'services[2].service: duplicate service "gateway"'],
    ["services not a list", (d: any) => (d.services = {}), "services:"],
    ["a string score", (d: any) => (d.services[0].pressure_score = "78"), "services[0].pressure_score:"],
  ])("refuses a digest with %s (exit 2), naming the path, writing nothing", (_what, mutate, message) => {
    const w = workspace();
    ok(w.run(["create", "--service", "gateway", "--category", "security"]));
    const before = snapshot(w.store);
    const bad = structuredClone(SAMPLE);
    mutate(bad);
    const r = w.run(["generate-weekly", "--digest", w.digest("bad.json", bad)]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(snapshot(w.store)).toEqual(before);
  });

  it("refuses unparseable JSON and a digest for another env", () => {
    const w = workspace();
    expect(w.run(["generate-weekly", "--digest", w.digest("x.json", "{")]).stderr).toContain("not valid JSON");
    const r = w.run(["generate-weekly", "--env", "staging"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is for env "prod", not "staging"');
  });

  it("follows the policy: caps, owners, disabled generation, bad rules", () => {
    const w = workspace();
    writeFileSync(join(w.dir, "cap.yml"), "defaults: {max_items_per_run: 3}\nownership: {overrides: {auth: team-auth}}\n");
    const capped = json(ok(w.run(["generate-weekly", "--policy", "cap.yml", "--json"])));
    expect(capped).toMatchObject({ created: 3, skipped: 13 });
    expect(capped.items.map((i: { service: string }) => i.service)).toEqual(["auth", "gateway", "ledger"]);
    expect(capped.skipped_items[0]).toEqual({ service: "search", category: "arch_review", rule: "arch_review_required", reason: "max_items_per_run (3) reached" });
    expect(items(w).find((i: { service: string }) => i.service === "auth").owner).toBe("team-auth");

    const store = snapshot(w.store);
    writeFileSync(join(w.dir, "off.yml"), "generation: {weekly_from_pressure_digest: false}\n");
    const off = ok(w.run(["generate-weekly", "--policy", "off.yml"]));
    expect(off.stdout).toContain("disabled by the policy");
    writeFileSync(join(w.dir, "badrule.yml"), "rules:\n  - {name: r, category: perf, when: {x: 1}}\n");
    const bad = w.run(["generate-weekly", "--policy", "badrule.yml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('rules[0].category: unknown category "perf"');
    expect(snapshot(w.store)).toEqual(store);
  });

  it("is an admin job: a person's default role may not run it (exit 5)", () => {
    const w = workspace();
    const r = w.run(["generate-weekly"], { BACKLOG_ACTOR: "alice" });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("tools.backlog.admin");
    expect(snapshot(w.dir + "/ops/backlog")).toEqual({});
  });
});

describe("generate-daily", () => {
  it("is off by default and says so", () => {
    const w = workspace();
    const r = ok(w.run(["generate-daily"]));
    expect(r.stdout).toContain("generate-daily is disabled by the policy");
    expect(snapshot(w.store)).toEqual({});
  });

  it("when enabled, upserts the risk digest into the same weekly keys", () => {
    const w = workspace();
    writeFileSync(join(w.dir, "daily.yml"), "generation: {daily_from_risk_digest: true}\n");
    ok(w.run(["generate-weekly"]));
    const report = json(ok(w.run(["generate-daily", "--policy", "daily.yml", "--json"])));
    expect(report).toMatchObject({ week: "2026-W48", digest: "ops/reports/risk/2026-11-24.json", created: 1, updated: 1 });
    const byKey = Object.fromEntries(report.items.map((i: { dedupe_key: string; action: string }) => [i.dedupe_key, i.action]));
    expect(byKey).toEqual({
      "platform_backlog:2026-W48:prod:payments:slo_hardening": "updated",
      "platform_backlog:2026-W48:prod:payments:cleanup_followups": "created",
    });
    expect(items(w)).toHaveLength(17);
  });
});

describe("gate", () => {
  it("passes a fresh backlog and fails when it goes overdue, listing the items (exit 10)", () => {
    const w = workspace();
    ok(w.run(["generate-weekly"]));
    const pass = json(ok(w.run(["gate", "--json"])));
    expect(pass).toMatchObject({ pass: true, env: "prod", service: null, overdue_count: 0, violations: [] });

    const late = { BACKLOG_NOW: "2027-01-30T00:00:00Z" };
    const fail = w.run(["gate", "--json"], late);
    expect(fail.code).toBe(10);
    const report = JSON.parse(fail.stdout);
    expect(report.pass).toBe(false);
    expect(report.violations).toEqual([expect.objectContaining({ gate: "max_overdue", threshold: 5, actual: 16 })]);
    expect(report.violations[0].items).toHaveLength(16);
    const human = w.run(["gate"], late);
    expect(human.code).toBe(10);
    expect(human.stdout).toContain("FAIL prod");
    expect(human.stdout).toContain("max_overdue: 16 overdue items (max 5)");

    const relaxed = w.run(["gate", "--max-overdue", "20", "--json"], late);
    expect(relaxed.code).toBe(0);
    const perService = w.run(["gate", "--service", "gateway", "--max-overdue", "3", "--json"], late);
    expect(JSON.parse(perService.stdout).violations[0]).toMatchObject({ gate: "max_overdue", actual: 4 });
  });

  it("takes thresholds per priority from flags, and rejects bad ones", () => {
    const w = workspace();
    ok(w.run(["generate-weekly"]));
    const open = w.run(["gate", "--max-open", "P1=2,P2=10", "--json"]);
    expect(open.code).toBe(10);
    expect(JSON.parse(open.stdout).violations).toEqual([expect.objectContaining({ gate: "max_open", priority: "P1", threshold: 2, actual: 8 })]);
    const aged = w.run(["gate", "--max-age-days", "3", "--json"], { BACKLOG_NOW: "2026-12-01T00:00:00Z" });
    expect(JSON.parse(aged.stdout).violations[0]).toMatchObject({ gate: "max_age_days", actual: 16 });
    const p1 = w.run(["gate", "--max-overdue-by-priority", "P1=0", "--max-overdue", "100", "--json"], { BACKLOG_NOW: "2026-12-10T00:00:00Z" });
    expect(JSON.parse(p1.stdout).violations).toEqual([expect.objectContaining({ gate: "max_overdue_by_priority", priority: "P1", actual: 4 })]);
    const bad = w.run(["gate", "--max-open", "P1:2"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-open");
  });
});

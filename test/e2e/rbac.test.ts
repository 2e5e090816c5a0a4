import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, json, REPO, snapshot } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-11-24T06:20:00Z";
const ROLES: Record<string, string[]> = {
  cto: ["read", "write", "admin"],
  scheduler: ["read", "write", "admin"],
  oncall: ["read", "write"],
  interface: ["read"],
};
// One actor per role: `alice` is unmapped, so she has the default role (oncall).
const ACTOR_OF: Record<string, string> = { cto: "cto", scheduler: "scheduler", oncall: "alice", interface: "dashboard-ui" };

let template: string;
let itemId: string;

/** Each case runs on its own copy of one prepared workspace. */
function copy(): string {
  const dir = tempDir();
  cpSync(template, dir, { recursive: true });
  return dir;
}

beforeAll(() => {
  // Outlives the tests that copy it, unlike tempDir(), which is removed after each test.
  template = mkdtempSync(join(tmpdir(), "backlog-rbac-"));
  cpSync(join(REPO, "ops/reports"), join(template, "ops/reports"), { recursive: true });
  mkdirSync(join(template, "config"));
  writeFileSync(
    join(template, "config/backlog_policy.yml"),
    "rbac:\n  default_role: oncall\n  actors: {scheduler: scheduler, cto: cto, dashboard-ui: interface}\n",
  );
  const r = cli(["create", "--service", "gateway", "--category", "security", "--json", "--actor", "cto"], { cwd: template, env: { BACKLOG_NOW: NOW } });
  itemId = json(r).item.id;
  cli(["set-status", itemId, "in_progress", "--actor", "cto"], { cwd: template, env: { BACKLOG_NOW: NOW } });
});

afterAll(() => rmSync(template, { recursive: true, force: true }));

const COMMANDS: Array<[string, "read" | "write" | "admin", () => string[]]> = [
  ["list", "read", () => ["list"]],
  ["get", "read", () => ["get", itemId]],
  ["dashboard", "read", () => ["dashboard"]],
  ["gate", "read", () => ["gate"]],
  ["create", "write", () => ["create", "--service", "billing", "--category", "refactor"]],
  ["upsert", "write", () => ["upsert", "--service", "billing", "--category", "refactor", "--dedupe-key", "k:1"]],
  ["set-status", "write", () => ["set-status", itemId, "blocked"]],
  ["comment", "write", () => ["comment", itemId, "hello"]],
  ["close", "write", () => ["close", itemId]],
  ["generate-weekly", "admin", () => ["generate-weekly"]],
  ["generate-daily", "admin", () => ["generate-daily"]],
  ["cleanup", "admin", () => ["cleanup"]],
  ["tool list", "read", () => ["tool", '{"action":"list"}']],
  ["tool set_status", "write", () => ["tool", JSON.stringify({ action: "set_status", id: itemId, status: "blocked" })]],
  ["tool auto_generate_weekly", "admin", () => ["tool", '{"action":"auto_generate_weekly"}']],
];

describe("RBAC matrix", () => {
  for (const [role, entitlements] of Object.entries(ROLES)) {
    for (const [name, needs, args] of COMMANDS) {
      const allowed = entitlements.includes(needs);
      it(`${role} ${allowed ? "may" : "may not"} run ${name}`, () => {
        const dir = copy();
        const before = snapshot(join(dir, "ops/backlog"));
        const r = cli(args(), { cwd: dir, env: { BACKLOG_NOW: NOW, BACKLOG_ACTOR: ACTOR_OF[role] } });
        if (allowed) {
          expect(r.code, r.stderr).toBe(0);
        } else {
          expect(r.code).toBe(5);
          expect(r.stdout).toBe("");
          const text = r.stderr.startsWith("{") ? JSON.parse(r.stderr).error.message : r.stderr;
          expect(text).toContain(`tools.backlog.${needs}`);
          expect(text).toContain(`"${ACTOR_OF[role]}"`);
          expect(text).toContain(`role "${role}"`);
          expect(snapshot(join(dir, "ops/backlog"))).toEqual(before);
        }
      });
    }
  }

  it("records the actor on every event: --actor over $BACKLOG_ACTOR over the OS user", () => {
    const dir = copy();
    const run = (args: string[], env: Record<string, string> = {}) => json(cli([...args, "--json"], { cwd: dir, env: { BACKLOG_NOW: NOW, ...env } }));
    expect(run(["comment", itemId, "a"], { BACKLOG_ACTOR: "bob" }).event.actor).toBe("bob");
    expect(run(["comment", itemId, "b", "--actor", "carol"], { BACKLOG_ACTOR: "bob" }).event.actor).toBe("carol");
    expect(run(["comment", itemId, "c"]).event.actor).toBe(userInfo().username);
  });
});

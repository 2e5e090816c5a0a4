import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, json, REPO, snapshot } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-11-24T06:20:00Z";

function workspace() {
  const dir = tempDir();
  cpSync(join(REPO, "ops/reports"), join(dir, "ops/reports"), { recursive: true });
  const run = (args: string[], input?: string, env: Record<string, string> = {}) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, ...env }, input });
  const tool = (request: unknown) => {
    const r = run(["tool", JSON.stringify(request)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout);
  };
  return { dir, store: join(dir, "ops/backlog"), run, tool };
}

describe("tool protocol", () => {
  it("runs the reference examples: create a security item for gateway, close it with a message", () => {
    const w = workspace();
    const created = w.tool({ action: "create", item: { service: "gateway", category: "security", title: "Rotate TLS keys", evidence_refs: { incidents: ["INC-7"] } }, actor: "oncall" });
    expect(created).toMatchObject({ action: "created", item: { service: "gateway", category: "security", priority: "P0", status: "open" } });
    const id = created.item.id;
    const moved = w.tool({ action: "set_status", id, status: "in_progress", actor: "oncall" });
    expect(moved.event).toMatchObject({ actor: "oncall", meta: { from: "open", to: "in_progress" } });
    const closed = w.tool({ action: "close", id, message: "rotated", actor: "oncall" });
    expect(closed.item.status).toBe("done");
    expect(closed.events[0]).toMatchObject({ message: "rotated", actor: "oncall" });
  });

  it("runs auto_generate_weekly for prod as the scheduler, like generate-weekly", () => {
    const w = workspace();
    const report = w.tool({ action: "auto_generate_weekly", env: "prod", actor: "scheduler" });
    expect(report).toMatchObject({ week: "2026-W48", env: "prod", created: 16, updated: 0, dry_run: false });
    expect(w.tool({ action: "auto_generate_weekly", env: "prod", actor: "scheduler", dry_run: true })).toMatchObject({ created: 0, updated: 0, unchanged: 16, dry_run: true });
  });

  it("prints exactly what the matching command prints with --json", () => {
    const w = workspace();
    w.tool({ action: "auto_generate_weekly", actor: "scheduler" });
    const id = w.tool({ action: "list", limit: 1 })[0].id;
    w.tool({ action: "add_comment", id, message: "looking" });
    const same = (request: unknown, args: string[]) => expect(w.tool(request)).toEqual(json(w.run([...args, "--json"])));
    same({ action: "list" }, ["list"]);
    same({ action: "list", status: "open", service: "gateway", limit: 2, offset: 1 }, ["list", "--status", "open", "--service", "gateway", "--limit", "2", "--offset", "1"]);
    same({ action: "list", status: ["open", "done"], priority: "P1", all: true }, ["list", "--status", "open,done", "--priority", "P1", "--all"]);
    same({ action: "list", overdue: true, due_before: "2027-01-01" }, ["list", "--overdue", "--due-before", "2027-01-01"]);
    same({ action: "get", id }, ["get", id]);
    same({ action: "dashboard", env: "prod" }, ["dashboard", "--env", "prod"]);
    same({ action: "cleanup", retention_days: 30, dry_run: true, actor: "scheduler" }, ["cleanup", "--retention-days", "30", "--dry-run", "--actor", "scheduler"]);
  });

  it("upserts by dedupe key and comments, reading the request from stdin with -", () => {
    const w = workspace();
    const item = { service: "billing", category: "refactor", title: "v1", dedupe_key: "k:billing" };
    const first = JSON.parse(w.run(["tool", "-"], JSON.stringify({ action: "upsert", item })).stdout);
    const second = w.tool({ action: "upsert", item: { ...item, title: "v2", tags: ["x"] } });
    expect([first.action, second.action]).toEqual(["created", "updated"]);
    expect(second.item).toMatchObject({ id: first.item.id, title: "v2", tags: ["x"] });
    const comment = w.tool({ action: "add_comment", id: first.item.id, message: "noted", actor: "cto" });
    expect(comment.event).toMatchObject({ type: "comment", actor: "cto", message: "noted" });
  });

  it.each([
    ["malformed JSON", "{action:", "not valid JSON"],
    ["a JSON array", "[1]", "expected one JSON object"],
    ["no action", "{}", "action: required"],
    ["an unknown action", '{"action":"delete"}', 'unknown action "delete"'],
    ["a missing parameter", '{"action":"get"}', "id: required"],
    ["a wrong-typed parameter", '{"action":"list","limit":"ten"}', 'limit "ten": expected a whole number'],
    ["a bad status", '{"action":"set_status","id":"bl_0123456789ab","status":"finished"}', "status: expected one of"],
    ["an unknown parameter", '{"action":"get","id":"bl_0123456789ab","verbose":true}', "verbose: unknown key"],
    ["an invalid item", '{"action":"create","item":{"service":"gateway","category":"security","priority":"urgent"}}', "priority: expected one of P0|P1|P2|P3"],
    ["a missing item", '{"action":"create"}', "item: required"],
  ])("refuses %s with exit 2 and a JSON error naming it, writing nothing", (_what, request, message) => {
    const w = workspace();
    w.tool({ action: "create", item: { service: "gateway", category: "security" } });
    const before = snapshot(w.store);
    const r = w.run(["tool", request]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const error = JSON.parse(r.stderr).error;
    expect(error.message).toContain(message);
    expect(snapshot(w.store)).toEqual(before);
  });

  it("reports not found, conflicts and denials with their exit codes, as JSON", () => {
    const w = workspace();
    const id = w.tool({ action: "create", item: { service: "gateway", category: "security", dedupe_key: "k" } }).item.id;
    const code = (request: unknown) => {
      const r = w.run(["tool", JSON.stringify(request)]);
      return [r.code, JSON.parse(r.stderr).error.code];
    };
    expect(code({ action: "get", id: "bl_ffffffffffff" })).toEqual([3, "item_not_found"]);
    expect(code({ action: "close", id })).toEqual([4, "transition_forbidden"]);
    expect(code({ action: "create", item: { service: "gateway", category: "security", dedupe_key: "k" } })).toEqual([4, "duplicate_dedupe_key"]);
    expect(code({ action: "cleanup", actor: "alice" })).toEqual([5, "permission_denied"]);
    writeFileSync(join(w.dir, "nothing.txt"), "");
    expect(w.run(["tool"]).code).toBe(2);
  });

  it("accepts the reference's envelope forms: tool name, params object, top-level env beside the item", () => {
    const w = workspace();
    const created = w.tool({ tool: "backlog_tool", action: "create", env: "staging", item: { service: "gateway", category: "security", title: "Rotate", dedupe_key: "k:rotate" } });
    expect(created.item.env).toBe("staging");
    const same = w.tool({ action: "upsert", env: "staging", item: { env: "staging", service: "gateway", category: "security", title: "Rotate", dedupe_key: "k:rotate" } });
    expect(same).toMatchObject({ action: "updated", item: { id: created.item.id } });
    const viaParams = w.tool({ tool: "backlog_tool", action: "set_status", params: { id: created.item.id, status: "in_progress", actor: "scheduler" } });
    expect(viaParams.event).toMatchObject({ actor: "scheduler", meta: { to: "in_progress" } });
    expect(w.tool({ action: "list", params: { env: "staging" } }).map((i: { id: string }) => i.id)).toEqual([created.item.id]);
  });

  it.each([
    ["another tool name", { tool: "router_tool", action: "list" }, "unknown tool"],
    ["params that are not an object", { action: "list", params: [1] }, "params: expected an object"],
    ["a parameter given twice differently", { action: "get", id: "bl_0123456789ab", params: { id: "bl_ffffffffffff" } }, "params.id: differs"],
    ["an item env that differs from the request env", { action: "create", env: "prod", item: { env: "staging", service: "gateway", category: "security" } }, 'env: the request\'s env "prod" differs'],
  ])("refuses %s with exit 2, writing nothing", (_what, request, message) => {
    const w = workspace();
    w.tool({ action: "create", item: { service: "gateway", category: "security" } });
    const before = snapshot(w.store);
    const r = w.run(["tool", JSON.stringify(request)]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).error.message).toContain(message);
    expect(snapshot(w.store)).toEqual(before);
  });

  it("takes identity from the caller: a request actor fills in only when the caller has none, a different one is exit 5", () => {
    const w = workspace();
    const id = w.tool({ action: "create", item: { service: "gateway", category: "security" } }).item.id;
    const asCaller = (request: unknown, args: string[], env: Record<string, string> = {}) => w.run([...args, "tool", JSON.stringify(request)], undefined, env);
    // Same identity given both ways is fine.
    const ok = asCaller({ action: "add_comment", id, message: "hi", actor: "oncall" }, ["--actor", "oncall"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).event.actor).toBe("oncall");
    const before = snapshot(w.store);
    for (const [args, env] of [[["--actor", "oncall"], {}], [[], { BACKLOG_ACTOR: "oncall" }]] as const) {
      const r = asCaller({ action: "add_comment", id, message: "spoofed", actor: "cto" }, [...args], env);
      expect(r.code).toBe(5);
      expect(JSON.parse(r.stderr).error).toMatchObject({ code: "actor_mismatch" });
    }
    expect(snapshot(w.store)).toEqual(before);
    // No caller identity: the request's actor is used.
    expect(w.tool({ action: "add_comment", id, message: "from the runner", actor: "cto" }).event.actor).toBe("cto");
  });
});

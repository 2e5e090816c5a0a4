import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, type CliResult, json, snapshot } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-02-16T06:20:00Z";

function workspace(env: Record<string, string | undefined> = {}) {
  const dir = tempDir();
  const run = (args: string[], extra: { env?: Record<string, string | undefined>; input?: string } = {}) =>
    cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, ...env, ...extra.env }, input: extra.input });
  const create = (...args: string[]) => {
    const r = run(["create", "--service", "gateway", "--category", "refactor", "--title", "Split the router", "--json", ...args]);
    expect(r.code, r.stderr).toBe(0);
    return json(r).item;
  };
  return { dir, store: join(dir, "ops/backlog"), run, create };
}

/** Success: exit 0, nothing on stderr, no escape sequence anywhere (stdout is not a TTY). */
function ok(r: CliResult): CliResult {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain("\x1b");
  return r;
}

/** Failure: the exit code, a message with its fix on stderr, nothing on stdout. */
function fails(r: CliResult, code: number, ...fragments: string[]): void {
  expect(r.code, r.stdout + r.stderr).toBe(code);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^backlog: /);
  for (const f of fragments) expect(r.stderr).toContain(f);
}

describe("create", () => {
  it("creates with policy defaults into ops/backlog under the working directory", () => {
    const w = workspace();
    const out = json(ok(w.run(["create", "--service", "gateway", "--category", "security", "--title", "Rotate keys", "--evidence", "incidents=INC-7", "--tag", "q1", "--json"])));
    expect(out.action).toBe("created");
    const item = out.item;
    expect(Object.keys(item)).toEqual(["id", "created_at", "updated_at", "env", "service", "category", "title", "description", "priority", "status", "owner", "due_date", "source", "dedupe_key", "evidence_refs", "tags", "meta"]);
    expect(item.id).toMatch(/^bl_[0-9a-f]{12}$/);
    expect(item).toMatchObject({
      created_at: "2026-02-16T06:20:00.000Z",
      env: "prod",
      priority: "P0",
      status: "open",
      owner: "oncall",
      due_date: "2026-02-23",
      source: "manual",
      dedupe_key: `manual:${item.id}`,
      tags: ["q1"],
      evidence_refs: { alerts: [], incidents: ["INC-7"], release_checks: [], artifacts: [], followups: [] },
    });
    const stored = Object.keys(snapshot(w.store)).map((p) => p.slice(w.store.length + 1)).sort();
    // The committed writer leaves its items index and id list for the next read and completion
    // (README, Performance), unless saved indexes are off (test/e2e/index-variants.test.ts runs this file so).
    const saved = process.env.BACKLOG_INDEX_CACHE === "off" ? [] : [".items.jsonl.ids", ".items.jsonl.index"];
    expect(stored).toEqual([".backlog.lock", ...saved, "events.jsonl", "items.jsonl"]);
  });

  it("reads the item from --from-json (file or stdin), flags winning over its fields", () => {
    const w = workspace();
    const file = join(w.dir, "item.json");
    writeFileSync(file, JSON.stringify({ service: "billing", category: "slo_hardening", title: "From file", priority: "P3", due_date: "", meta: { k: 1 } }));
    const fromFile = json(ok(w.run(["create", "--from-json", file, "--title", "Flag wins", "--json"]))).item;
    expect(fromFile).toMatchObject({ service: "billing", title: "Flag wins", priority: "P3", due_date: "", meta: { k: 1 } });
    const input = JSON.stringify({ service: "auth", category: "refactor", title: "From stdin", owner: "team-auth", env: "staging" });
    const fromStdin = json(ok(w.run(["create", "--from-json", "-", "--json"], { input }))).item;
    expect(fromStdin).toMatchObject({ service: "auth", owner: "team-auth", env: "staging", priority: "P1" });
  });

  it("refuses a taken dedupe key (exit 4) and changes nothing", () => {
    const w = workspace();
    w.create("--dedupe-key", "k:1");
    const before = snapshot(w.store);
    fails(w.run(["create", "--service", "gateway", "--category", "refactor", "--dedupe-key", "k:1"]), 4, 'dedupe key "k:1" is already taken', "backlog upsert");
    const asJson = w.run(["create", "--service", "gateway", "--category", "refactor", "--dedupe-key", "k:1", "--json"]);
    expect(asJson.code).toBe(4);
    expect(JSON.parse(asJson.stderr).error.code).toBe("duplicate_dedupe_key");
    expect(snapshot(w.store)).toEqual(before);
  });

  it.each([
    [["--priority", "P7"], "priority: expected one of P0|P1|P2|P3"],
    [["--category", "nope"], "category: expected one of"],
    [["--service", "Bad Name"], "service: expected lowercase"],
    [["--title", ""], "title: must not be empty"],
    [["--title", "x".repeat(201)], "title: must be at most 200 characters"],
    [["--title", "bell\u0007"], "title: must not contain control characters"],
    [["--due", "2026-02-30"], "due_date: expected a date YYYY-MM-DD"],
    [["--evidence", "tickets=T-1"], "--evidence \"tickets=T-1\""],
    [["--env", "qa"], "env: expected one of prod|staging|dev"],
    [["--source", "cron"], "source: expected one of"],
  ])("rejects %j with exit 2, naming the field, and writes nothing", (flags, message) => {
    const w = workspace();
    w.create();
    const before = snapshot(w.store);
    const r = w.run(["create", "--service", "gateway", "--category", "refactor", ...flags]);
    fails(r, 2, message);
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    expect(snapshot(w.store)).toEqual(before);
  });

  it("rejects malformed or mistyped JSON input", () => {
    const w = workspace();
    fails(w.run(["create", "--from-json", "-"], { input: "{oops" }), 2, "not valid JSON");
    fails(w.run(["create", "--from-json", "-"], { input: '{"service":"gateway","category":"refactor","servce":"x"}' }), 2, "servce: unknown key");
    fails(w.run(["create", "--from-json", "-"], { input: "[1]" }), 2, "one JSON object");
    fails(w.run(["create", "--from-json", "missing.json"]), 2, "cannot read --from-json missing.json");
  });

  it("a failed first command does not even create the data directory", () => {
    const w = workspace();
    fails(w.run(["set-status", "bl_0123456789ab", "done"]), 3, "not found");
    fails(w.run(["create", "--service", "gateway", "--category", "nope"]), 2);
    expect(snapshot(w.dir)).toEqual({});
  });
});

describe("upsert", () => {
  it("creates, then updates content by dedupe key while keeping status, owner, priority and due date", () => {
    const w = workspace();
    const base = ["upsert", "--service", "gateway", "--category", "refactor", "--dedupe-key", "k:up", "--json"];
    const first = json(ok(w.run([...base, "--title", "v1", "--tag", "a", "--owner", "alice"])));
    expect(first.action).toBe("created");
    ok(w.run(["set-status", first.item.id, "in_progress"]));
    const updated = w.run([...base, "--title", "v2", "--tag", "b", "--owner", "bob", "--priority", "P0", "--description", "more"]);
    expect(updated.code, updated.stderr).toBe(0);
    // The owner and priority asked for are kept, and said so (with --json, as a JSON warning).
    expect(JSON.parse(updated.stderr).warning).toMatch(/^upsert kept the owner, priority of bl_/);
    const second = json(updated);
    expect(second.kept).toEqual(["owner", "priority"]);
    expect(second.action).toBe("updated");
    expect(second.item).toMatchObject({ id: first.item.id, title: "v2", description: "more", tags: ["a", "b"], status: "in_progress", owner: "alice", priority: "P1", due_date: first.item.due_date });
    const events = json(ok(w.run(["get", first.item.id, "--json"]))).events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(["created", "status_change", "auto_update"]);
  });
});

describe("workflow commands", () => {
  it("set-status records the transition; a forbidden one exits 4 naming the allowed targets", () => {
    const w = workspace();
    const item = w.create();
    const moved = json(ok(w.run(["set-status", item.id, "in_progress", "--message", "picked up", "--actor", "alice", "--json"])));
    expect(moved.item.status).toBe("in_progress");
    expect(moved.event).toMatchObject({ item_id: item.id, type: "status_change", message: "picked up", actor: "alice", meta: { from: "open", to: "in_progress" } });
    expect(moved.event.id).toMatch(/^ev_[0-9a-f]{12}$/);
    const before = snapshot(w.store);
    fails(w.run(["set-status", item.id, "open"]), 4, "cannot move", "allows: blocked, done, canceled");
    fails(w.run(["set-status", item.id, "closed"]), 2, "expected one of open|in_progress|blocked|done|canceled");
    fails(w.run(["set-status", "bl_ffffffffffff", "done"]), 3, "item bl_ffffffffffff not found");
    fails(w.run(["set-status", "nope", "done"]), 2, "expected an item id");
    expect(snapshot(w.store)).toEqual(before);
  });

  it("close obeys the workflow: done from in_progress, canceled from open, never twice", () => {
    const w = workspace();
    const a = w.create();
    const before = snapshot(w.store);
    fails(w.run(["close", a.id]), 4, "from open to done");
    expect(snapshot(w.store)).toEqual(before);
    ok(w.run(["set-status", a.id, "in_progress"]));
    const closed = json(ok(w.run(["close", a.id, "--message", "shipped", "--json"])));
    expect(closed.item.status).toBe("done");
    expect(closed.events).toEqual([expect.objectContaining({ type: "status_change", message: "shipped", meta: { from: "in_progress", to: "done" } })]);
    fails(w.run(["close", a.id, "--status", "canceled"]), 4, "done is terminal");
    const b = w.create();
    expect(json(ok(w.run(["close", b.id, "--status", "canceled", "--json"]))).item.status).toBe("canceled");
    fails(w.run(["close", b.id, "--status", "archived"]), 2, "expected one of done|canceled");
  });

  it("comment appends to the timeline, which get shows oldest first", () => {
    const w = workspace();
    const item = w.create();
    const c = json(ok(w.run(["comment", item.id, "waiting on vendor", "--json"])));
    expect(Object.keys(c)).toEqual(["event"]);
    expect(c.event).toMatchObject({ type: "comment", message: "waiting on vendor", item_id: item.id });
    fails(w.run(["comment", item.id, "   "]), 2, "must not be empty");
    fails(w.run(["comment", "bl_ffffffffffff", "hi"]), 3);
    const got = json(ok(w.run(["get", item.id, "--json"])));
    expect(Object.keys(got)).toEqual(["item", "events"]);
    expect(got.events.map((e: { type: string }) => e.type)).toEqual(["created", "comment"]);
    const human = ok(w.run(["get", item.id])).stdout;
    expect(human).toContain("Split the router");
    expect(human).toContain("waiting on vendor");
  });
});

describe("list", () => {
  it("filters, sorts and pages; --jsonl prints one item per line", () => {
    const w = workspace();
    const low = w.create("--priority", "P3");
    const high = w.create("--priority", "P0", "--service", "billing");
    const mid = w.create("--priority", "P1", "--due", "2026-02-01", "--owner", "cto");
    ok(w.run(["set-status", mid.id, "blocked"]));
    const ids = (args: string[]) => json(ok(w.run(["list", "--json", ...args]))).map((i: { id: string }) => i.id);
    expect(ids([])).toEqual([high.id, mid.id, low.id]);
    expect(ids(["--service", "billing"])).toEqual([high.id]);
    expect(ids(["--status", "open,in_progress"])).toEqual([high.id, low.id]);
    expect(ids(["--owner", "cto"])).toEqual([mid.id]);
    expect(ids(["--priority", "P3"])).toEqual([low.id]);
    expect(ids(["--overdue"])).toEqual([mid.id]);
    expect(ids(["--due-before", "2026-02-02"])).toEqual([mid.id]);
    const page = w.run(["list", "--json", "--limit", "1", "--offset", "1"]);
    expect(json(page).map((i: { id: string }) => i.id)).toEqual([mid.id]);
    expect(JSON.parse(page.stderr)).toEqual({ warning: "showing 1 of 3 (use --limit N or --all)" });
    expect(ids(["--env", "staging"])).toEqual([]);
    const lines = ok(w.run(["list", "--jsonl"])).stdout.trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).id)).toEqual([high.id, mid.id, low.id]);
    const human = ok(w.run(["list"])).stdout;
    expect(human).toContain("3 items");
    expect(human.indexOf(high.id)).toBeLessThan(human.indexOf(low.id));
  });

  it("applies the default limit of 50, and --all lifts it", () => {
    const w = workspace();
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `bl_${i.toString(16).padStart(12, "0")}`, created_at: NOW, service: "s", category: "refactor", title: `t${i}` }));
    w.run(["create", "--service", "x", "--category", "refactor"]);
    writeFileSync(join(w.store, "items.jsonl"), `${lines.join("\n")}\n`);
    const capped = w.run(["list", "--json"]);
    expect(json(capped)).toHaveLength(50);
    expect(capped.stderr).toContain("showing 50 of 60 (use --limit N or --all)");
    expect(json(ok(w.run(["list", "--all", "--json"])))).toHaveLength(60);
    expect(w.run(["list"]).stdout).toContain("Items 1–50 of 60");
  });

  it.each([
    [["--status", "opn"], "--status"],
    [["--priority", "high"], "--priority"],
    [["--due-before", "tomorrow"], "--due-before"],
    [["--limit", "-1"], "--limit"],
  ])("rejects %j with exit 2", (flags, name) => {
    fails(workspace().run(["list", ...flags]), 2, name);
  });
});

describe("dashboard", () => {
  it("prints the documented JSON shape", () => {
    const w = workspace();
    w.create("--due", "2026-02-01", "--priority", "P0");
    w.create("--env", "staging");
    const d = json(ok(w.run(["dashboard", "--json"])));
    expect(Object.keys(d)).toEqual(["env", "total", "status_counts", "priority_counts", "category_counts", "overdue", "overdue_count", "top_services"]);
    expect(d).toMatchObject({ env: "prod", total: 1, overdue_count: 1, top_services: [{ service: "gateway", count: 1 }] });
    expect(d.status_counts).toEqual({ open: 1, in_progress: 0, blocked: 0, done: 0, canceled: 0 });
    expect(json(ok(w.run(["dashboard", "--env", "staging", "--json"]))).total).toBe(1);
    const human = ok(w.run(["dashboard"])).stdout;
    expect(human).toContain("Overdue: 1");
    expect(human).toContain("gateway");
  });
});

describe("cleanup", () => {
  it("needs the admin entitlement, then compacts and reports the documented shape", () => {
    const w = workspace();
    const item = w.create();
    ok(w.run(["set-status", item.id, "canceled"]));
    const before = snapshot(w.store);
    fails(w.run(["cleanup"]), 5, "tools.backlog.admin", "--actor scheduler");
    expect(snapshot(w.store)).toEqual(before);
    const dry = json(ok(w.run(["cleanup", "--actor", "scheduler", "--retention-days", "0", "--dry-run", "--json"], { env: { BACKLOG_NOW: "2026-02-17T00:00:00Z" } })));
    expect(snapshot(w.store)).toEqual(before);
    expect(Object.keys(dry)).toEqual(["deleted", "events_deleted", "lines_before", "lines_after", "bytes_before", "bytes_after", "quarantined"]);
    expect(dry).toMatchObject({ deleted: 1, events_deleted: 2, lines_before: 2, lines_after: 0 });
    const kept = json(ok(w.run(["cleanup", "--actor", "scheduler", "--json"], { env: { BACKLOG_NOW: "2026-02-17T00:00:00Z" } })));
    expect(kept).toMatchObject({ deleted: 0, lines_before: 2, lines_after: 1 });
    const gone = json(ok(w.run(["cleanup", "--actor", "scheduler", "--json"], { env: { BACKLOG_NOW: "2026-09-01T00:00:00Z" } })));
    expect(gone).toMatchObject({ deleted: 1, events_deleted: 2, lines_after: 0 });
    fails(w.run(["get", item.id]), 3);
    fails(w.run(["cleanup", "--actor", "scheduler", "--retention-days", "soon"]), 2, "--retention-days");
  });
});

describe("the command line", () => {
  it("suggests the nearest command on a typo, exit 2", () => {
    fails(workspace().run(["lst"]), 2, "unknown command 'lst'", "Did you mean list?");
  });

  it("refuses unknown flags and missing arguments with exit 2", () => {
    const w = workspace();
    fails(w.run(["list", "--colour"]), 2, "unknown option '--colour'");
    fails(w.run(["get"]), 2, "missing argument <id>");
  });

  it("has help with examples on every command", () => {
    const w = workspace();
    for (const command of ["list", "get", "dashboard", "create", "upsert", "set-status", "comment", "close", "cleanup", "generate-weekly", "generate-daily", "gate"]) {
      const r = ok(w.run([command, "--help"]));
      expect(r.stdout, command).toContain("Examples:");
      expect(r.stdout, command).toContain("--json");
    }
    expect(ok(w.run(["--help"])).stdout).toContain("Exit codes");
  });

  it("prints errors as JSON on stderr with --json", () => {
    const r = workspace().run(["get", "bl_ffffffffffff", "--json"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: "item_not_found", message: "item bl_ffffffffffff not found", hint: expect.any(String) } });
  });

  it("honours --dir and $BACKLOG_DIR", () => {
    const w = workspace();
    const elsewhere = join(w.dir, "elsewhere");
    ok(w.run(["create", "--service", "a", "--category", "refactor", "--dir", elsewhere]));
    ok(w.run(["create", "--service", "b", "--category", "refactor"], { env: { BACKLOG_DIR: elsewhere } }));
    expect(json(ok(w.run(["list", "--json", "--dir", elsewhere])))).toHaveLength(2);
    // The default store is empty: the answer says which store it read, so the mistake shows.
    const empty = w.run(["list", "--json"]);
    expect(empty.code).toBe(0);
    expect(json(empty)).toHaveLength(0);
    expect(JSON.parse(empty.stderr).warning).toContain(`jsonl store at ${join(w.dir, "ops/backlog")}`);
  });

  it("never writes stored control characters to the terminal", () => {
    const w = workspace();
    const item = w.create("--description", "line1\n\u001b[2J\u001b]0;pwned\u0007", "--owner", "evil");
    const raw = JSON.stringify({ ...item, title: "\u001b[31mred\u001b[0m \u202eevil", owner: "x\u001by" });
    writeFileSync(join(w.store, "items.jsonl"), `${raw}\n`, { flag: "a" });
    for (const args of [["list"], ["get", item.id], ["dashboard"]]) {
      const out = ok(w.run(args)).stdout;
      expect(out, args.join(" ")).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    }
    expect(ok(w.run(["list"])).stdout).toContain("\\x1b[31mred");
  });

  it("delivers the complete result to a slow reader", () => {
    const w = workspace();
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: `bl_${i.toString(16).padStart(12, "0")}`, created_at: NOW, service: "s", category: "refactor", title: `t${i}`, description: "d".repeat(500) }));
    w.run(["create", "--service", "x", "--category", "refactor"]);
    writeFileSync(join(w.store, "items.jsonl"), `${lines.join("\n")}\n`);
    // The reader starts only after a second: the CLI must not exit with output still buffered.
    const shell = spawnSync("sh", ["-c", `"${process.execPath}" "${BIN}" list --all --json | (sleep 1; cat) > out.json`], { cwd: w.dir, env: cleanEnv({ BACKLOG_NOW: NOW }) });
    expect(shell.status).toBe(0);
    expect(JSON.parse(readFileSync(join(w.dir, "out.json"), "utf8"))).toHaveLength(3000);
  });
});

describe("configuration errors", () => {
  it("an invalid policy is exit 2 naming the YAML path, and nothing is written", () => {
    const w = workspace();
    w.create();
    const before = snapshot(w.store);
    writeFileSync(join(w.dir, "bad.yml"), "categories:\n  refactor: {priority: P9}\n");
    fails(w.run(["create", "--service", "a", "--category", "refactor", "--policy", "bad.yml"]), 2, "categories.refactor.priority: expected one of P0|P1|P2|P3");
    fails(w.run(["list"], { env: { BACKLOG_POLICY: "missing.yml" } }), 2, "cannot read policy file");
    expect(snapshot(w.store)).toEqual(before);
  });

  it("an unusable or unknown backend is an error, never a silent switch", () => {
    const w = workspace();
    fails(w.run(["list", "--backend", "postgres"]), 2, "the postgres backend needs a DSN");
    fails(w.run(["list"], { env: { BACKLOG_BACKEND: "auto", BACKLOG_POSTGRES_DSN: "postgres://u@127.0.0.1:1/db" } }), 6);
    fails(w.run(["list", "--backend", "sqlite"]), 2, "unknown backend");
    ok(w.run(["create", "--service", "a", "--category", "refactor", "--backend", "memory"]));
    ok(w.run(["create", "--service", "a", "--category", "refactor", "--backend", "null"]));
    expect(snapshot(w.dir)).toEqual({});
  });

  it("an unreadable store is exit 6", () => {
    const w = workspace();
    writeFileSync(join(w.dir, "file"), "not a directory");
    fails(w.run(["list", "--dir", "file"]), 6, "cannot read");
    fails(w.run(["create", "--service", "a", "--category", "refactor", "--dir", "file"]), 6);
  });

  it("a bad BACKLOG_NOW is exit 2", () => {
    fails(workspace().run(["list"], { env: { BACKLOG_NOW: "yesterday" } }), 2, "BACKLOG_NOW");
  });
});

describe("unreadable lines", () => {
  it("are reported with their line numbers on every read, and skipped", () => {
    const w = workspace();
    const kept = w.create();
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ ...kept, id: `bl_${(i + 1).toString(16).padStart(12, "0")}`, dedupe_key: `k:${i}` }));
    lines[9] = "{not json";
    lines[30] = "[also not an item]";
    writeFileSync(join(w.store, "items.jsonl"), `${JSON.stringify(kept)}\n${lines.join("\n")}\n`);
    for (let run = 0; run < 2; run += 1) {
      const r = w.run(["list", "--all", "--json"]);
      expect(r.code).toBe(0);
      expect(json(r)).toHaveLength(39);
      const warnings = r.stderr.trim().split("\n");
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toContain("items.jsonl:11");
      expect(warnings[1]).toContain("items.jsonl:32");
    }
  });
});

describe("a reader that stops early", () => {
  it("ends the output quietly: no stack trace, exit 0", () => {
    const w = workspace();
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: `bl_${i.toString(16).padStart(12, "0")}`, created_at: NOW, service: "s", category: "refactor", title: `t${i}`, description: "d".repeat(300) }));
    w.run(["create", "--service", "x", "--category", "refactor"]);
    writeFileSync(join(w.store, "items.jsonl"), `${lines.join("\n")}\n`);
    for (const args of ["list --all --json", "--help", "list --all"]) {
      const r = spawnSync("bash", ["-c", `set -o pipefail; "${process.execPath}" "${BIN}" ${args} | head -c 100 > /dev/null`], { cwd: w.dir, env: cleanEnv({ BACKLOG_NOW: NOW }), encoding: "utf8" });
      expect(r.stderr, args).toBe("");
      expect(r.status, args).toBe(0);
    }
  });
});

// util-linux `script` runs the CLI on a pseudo-terminal, as a person at a terminal runs it.
const hasScript = spawnSync("script", ["--version"]).status === 0;

describe.skipIf(!hasScript)("on a terminal", () => {
  const onTty = (dir: string, args: string, env: Record<string, string | undefined> = {}) =>
    spawnSync("script", ["-qec", `"${process.execPath}" "${BIN}" ${args}`, "/dev/null"], {
      cwd: dir,
      env: cleanEnv({ BACKLOG_NOW: NOW, TERM: "xterm-256color", NO_COLOR: undefined, ...env }),
      encoding: "utf8",
    }).stdout;

  it("colours by priority and status, and never with NO_COLOR, --no-color or TERM=dumb", () => {
    const w = workspace();
    w.create("--priority", "P0");
    for (const command of ["list", "dashboard"]) {
      expect(onTty(w.dir, command), command).toMatch(/\x1b\[[0-9;]*m/);
      expect(onTty(w.dir, command, { NO_COLOR: "1" }), command).not.toContain("\x1b");
      expect(onTty(w.dir, `${command} --no-color`), command).not.toContain("\x1b");
      expect(onTty(w.dir, command, { TERM: "dumb" }), command).not.toContain("\x1b");
    }
  });

  it("prints plain JSON with --json, even on a terminal", () => {
    const w = workspace();
    w.create();
    const out = onTty(w.dir, "list --json");
    expect(out).not.toContain("\x1b");
    expect(JSON.parse(out)).toHaveLength(1);
  });
});

describe("a write that cannot finish", () => {
  it("leaves no byte behind when the events log cannot be written (exit 6)", () => {
    const w = workspace();
    w.create();
    // A directory where events.jsonl should be: the item line is appended, the event cannot be.
    rmSync(join(w.store, "events.jsonl"));
    mkdirSync(join(w.store, "events.jsonl"));
    const items = readFileSync(join(w.store, "items.jsonl"));
    const r = w.run(["create", "--service", "billing", "--category", "refactor"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("cannot write to");
    expect(readFileSync(join(w.store, "items.jsonl")).equals(items)).toBe(true);
  });

  it("reports an unreadable store as exit 6 in a dry-run cleanup too", () => {
    const w = workspace();
    writeFileSync(join(w.dir, "file"), "not a directory");
    const r = w.run(["cleanup", "--dir", "file", "--dry-run", "--actor", "scheduler"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("cannot read");
    expect(r.stderr).toContain("not a directory");
  });
});

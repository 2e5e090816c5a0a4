import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, json, snapshot } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-02-16T06:20:00Z";

function workspace() {
  const dir = tempDir();
  const run = (args: string[], now = NOW) => cli(args, { cwd: dir, env: { BACKLOG_NOW: now } });
  const r = run(["create", "--service", "gateway", "--category", "refactor", "--title", "Split", "--tag", "a", "--evidence", "incidents=INC-1", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return { dir, run, item: json(r).item };
}

describe("edit", () => {
  it("changes every editable field in one edited event listing each change from → to", () => {
    const w = workspace();
    const r = w.run(
      ["edit", w.item.id, "--title", "Split the router", "--description", "why", "--owner", "team-edge", "--priority", "P0", "--due", "2026-04-01",
        "--add-tag", "b", "--remove-tag", "a", "--evidence", "alerts=AL-2", "--remove-evidence", "incidents=INC-1", "--meta", "ticket=OPS-12", "--json"],
      "2026-02-17T08:00:00Z",
    );
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.item).toMatchObject({
      title: "Split the router", description: "why", owner: "team-edge", priority: "P0", due_date: "2026-04-01", tags: ["b"],
      meta: { ticket: "OPS-12" }, updated_at: "2026-02-17T08:00:00.000Z", created_at: w.item.created_at, status: "open",
    });
    expect(out.item.evidence_refs).toMatchObject({ alerts: ["AL-2"], incidents: [] });
    expect(out.event.type).toBe("edited");
    expect(out.event.meta.title).toEqual({ from: "Split", to: "Split the router" });
    expect(out.event.meta.priority).toEqual({ from: w.item.priority, to: "P0" });
    expect(out.event.meta.tags).toEqual({ from: ["a"], to: ["b"] });
    expect(Object.keys(out.event.meta).sort()).toEqual(["description", "due_date", "evidence_refs", "meta", "owner", "priority", "tags", "title"]);
    const got = json(w.run(["get", w.item.id, "--json"]));
    expect(got.item).toEqual(out.item);
    expect(got.events.map((e: { type: string }) => e.type)).toEqual(["created", "edited"]);
  });

  it("--due none clears the due date", () => {
    const w = workspace();
    const out = json(w.run(["edit", w.item.id, "--due", "none", "--json"]));
    expect(out.item.due_date).toBe("");
    expect(out.event.meta.due_date).toEqual({ from: w.item.due_date, to: "" });
  });

  it("a no-op edit writes nothing and returns event null", () => {
    const w = workspace();
    const before = snapshot(w.dir);
    const r = w.run(["edit", w.item.id, "--title", "Split", "--add-tag", "a", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual({ item: w.item, event: null });
    expect(snapshot(w.dir)).toEqual(before);
  });

  it.each([
    [["--priority", "P9"], "expected one of P0|P1|P2|P3"],
    [["--due", "2026-02-30"], "expected a date"],
    [["--title", ""], "must not be empty"],
    [["--evidence", "nope=1"], "--evidence"],
    [["--remove-evidence", "alerts"], "--remove-evidence"],
    [["--meta", "novalue"], "key=value"],
    [[], "nothing to change"],
  ])("refuses %j with exit 2 and changes nothing", (args, fragment) => {
    const w = workspace();
    const before = snapshot(w.dir);
    const r = w.run(["edit", w.item.id, ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(fragment);
    expect(snapshot(w.dir)).toEqual(before);
  });

  it("an unknown id is exit 3; a read-only actor is exit 5", () => {
    const w = workspace();
    expect(w.run(["edit", "bl_000000000000", "--title", "x"]).code).toBe(3);
    mkdirSync(join(w.dir, "config"), { recursive: true });
    writeFileSync(join(w.dir, "config/backlog_policy.yml"), "rbac:\n  default_role: oncall\n  actors: {viewer: interface}\n");
    const before = snapshot(join(w.dir, "ops"));
    const r = w.run(["edit", w.item.id, "--title", "x", "--actor", "viewer"]);
    expect(r.code, r.stderr).toBe(5);
    expect(snapshot(join(w.dir, "ops"))).toEqual(before);
    expect(w.run(["edit", w.item.id, "--title", "x", "--actor", "alice"]).code).toBe(0);
  });
});

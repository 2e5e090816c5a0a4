/**
 * Typos must not look like an empty backlog: unknown enum values are exit 2 with a did-you-mean,
 * and a read of a store with no items names the store it read. `list` shows active work by default
 * and says when it shows less than what matched.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, json } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-11-24T06:20:00Z";

function workspace() {
  const cwd = tempDir();
  const run = (args: string[]) => cli(args, { cwd, env: { BACKLOG_NOW: NOW } });
  const create = (service: string) => json(run(["create", "--service", service, "--category", "refactor", "--json"])).item.id as string;
  return { cwd, run, create };
}

describe("list: active by default, every status on request", () => {
  it("hides done and canceled items unless --status says otherwise; comma lists and repeated flags combine", () => {
    const w = workspace();
    const open = w.create("a");
    const canceled = w.create("b");
    expect(w.run(["set-status", canceled, "canceled"]).code).toBe(0);
    const ids = (args: string[]) => json(w.run([...args, "--json"])).map((i: { id: string }) => i.id).sort();
    expect(ids(["list"])).toEqual([open]);
    expect(ids(["list", "--status", "all"])).toEqual([open, canceled].sort());
    expect(ids(["list", "--status", "open,canceled"])).toEqual([open, canceled].sort());
    expect(ids(["list", "--status", "open", "--status", "canceled"])).toEqual([open, canceled].sort());
    expect(ids(["list", "--status", "canceled"])).toEqual([canceled]);
  });

  it("says on stderr when it shows fewer items than matched, with --json too", () => {
    const w = workspace();
    for (const s of ["a", "b", "c"]) w.create(s);
    const r = w.run(["list", "--limit", "2", "--json"]);
    expect(r.code).toBe(0);
    expect(json(r)).toHaveLength(2);
    expect(r.stderr).toContain("showing 2 of 3 (use --limit N or --all)");
    const all = w.run(["list", "--all", "--json"]);
    expect(json(all)).toHaveLength(3);
    expect(all.stderr).toBe("");
  });
});

describe("typos are errors, not an empty backlog", () => {
  it.each([
    [["gate", "--env", "production"], "did you mean prod?"],
    [["list", "--category", "securty"], "did you mean security?"],
    [["list", "--status", "opne"], "did you mean open?"],
    [["list", "--priority", "p9"], "expected one of P0|P1|P2|P3"],
    [["dashboard", "--env", "stagin"], "did you mean staging?"],
  ])("%j is exit 2 naming the valid values", (args, hint) => {
    const w = workspace();
    w.create("a");
    const r = w.run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(hint);
  });

  it("a read of a store with no items names the backend and directory it read", () => {
    const w = workspace();
    for (const args of [["list"], ["dashboard"], ["gate"]]) {
      const r = w.run(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`jsonl store at ${join(w.cwd, "ops/backlog")}`);
    }
    w.create("a");
    // A filter that matches nothing in a store that has items is just an empty answer.
    const none = w.run(["list", "--service", "zzz"]);
    expect(none.code).toBe(0);
    expect(none.stderr).toBe("");
  });
});

describe("retry-safe transitions and comment -m", () => {
  it("set-status and close to the current status are exit 0, write nothing and say so", () => {
    const w = workspace();
    const id = w.create("a");
    expect(w.run(["set-status", id, "in_progress"]).code).toBe(0);
    const again = w.run(["set-status", id, "in_progress", "--json"]);
    expect(again.code).toBe(0);
    expect(json(again).event).toBeNull();
    expect(again.stderr).toContain("already in_progress");
    expect(w.run(["close", id, "--message", "fixed"]).code).toBe(0);
    const closedAgain = w.run(["close", id, "--json"]);
    expect(closedAgain.code).toBe(0);
    expect(json(closedAgain).events).toEqual([]);
    const events = json(w.run(["get", id, "--json"])).events.map((e: { type: string }) => e.type);
    expect(events).toEqual(["created", "status_change", "status_change"]);
  });

  it("comment takes its message as the argument or with -m, once", () => {
    const w = workspace();
    const id = w.create("a");
    expect(json(w.run(["comment", id, "-m", "waiting on vendor", "--json"])).event.message).toBe("waiting on vendor");
    expect(json(w.run(["comment", id, "plain", "--json"])).event.message).toBe("plain");
    expect(w.run(["comment", id]).code).toBe(2);
    expect(w.run(["comment", id, "both", "-m", "twice"]).code).toBe(2);
  });
});

/** `get` shows each status change as from → to with its message; `upsert` names the fields it kept. */
import { describe, expect, it } from "vitest";
import { cli, json } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-02-16T06:20:00Z";

function workspace() {
  const dir = tempDir();
  const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, COLUMNS: "200" } });
  return { dir, run };
}

describe("get", () => {
  it("shows every status change as from → to, with its message when one was given", () => {
    const w = workspace();
    const id = json(w.run(["create", "--service", "gateway", "--category", "refactor", "--title", "Split", "--json"])).item.id as string;
    expect(w.run(["set-status", id, "in_progress", "--message", "picked up by edge"]).code).toBe(0);
    expect(w.run(["set-status", id, "blocked"]).code).toBe(0);
    expect(w.run(["close", id, "--status", "canceled", "--message", "superseded"]).code).toBe(0);
    const out = w.run(["get", id]).stdout;
    expect(out).toMatch(/status_change .*open → in_progress: picked up by edge$/m);
    expect(out).toMatch(/status_change .*in_progress → blocked$/m);
    expect(out).toMatch(/status_change .*blocked → canceled: superseded$/m);
  });
});

describe("upsert", () => {
  const base = ["upsert", "--service", "gateway", "--category", "refactor", "--dedupe-key", "k:1", "--title", "Split"];

  it("says on stderr which of owner, priority, status and due date it kept, pointing to edit", () => {
    const w = workspace();
    const first = w.run([...base, "--owner", "alice", "--priority", "P2", "--due", "2026-03-01", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe("");
    const id = json(first).item.id as string;
    const again = w.run([...base, "--title", "Split the router", "--owner", "bob", "--priority", "P0", "--due", "2026-03-01"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe(`backlog: warning: upsert kept the owner, priority of ${id} (an existing item keeps them); change them with \`backlog edit ${id}\`\n`);
    const item = json(w.run(["get", id, "--json"])).item;
    expect(item).toMatchObject({ owner: "alice", priority: "P2", title: "Split the router" });
  });

  it("names the due date and the status, and reports them in --json as kept", () => {
    const w = workspace();
    const id = json(w.run([...base, "--json"])).item.id as string;
    expect(w.run(["set-status", id, "in_progress"]).code).toBe(0);
    const withStatus = cli([...base, "--due", "2027-01-01", "--from-json", "-", "--json"], { cwd: w.dir, env: { BACKLOG_NOW: NOW }, input: '{"status":"open"}' });
    expect(withStatus.code, withStatus.stderr).toBe(0);
    expect(json(withStatus).kept).toEqual(["status", "due_date"]);
    expect(withStatus.stderr).toContain(`upsert kept the status, due date of ${id}`);
    expect(withStatus.stderr).toContain(`\`backlog set-status ${id}\` for the status`);
  });

  it("says nothing when the input repeats the stored values or leaves them out", () => {
    const w = workspace();
    expect(w.run([...base, "--owner", "alice"]).code).toBe(0);
    for (const args of [[...base, "--owner", "alice"], [...base, "--title", "Other"]]) {
      const r = w.run(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
    }
  });
});

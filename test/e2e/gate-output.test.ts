/**
 * A failing gate's human report, written a part at a time: every violation, then its table of
 * items (a long one laid out without cli-table3, a short one by it), in the JSON report's order.
 */
import { describe, expect, it } from "vitest";
import { cli, json } from "../helpers/cli.js";
import { seedStore } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";

const env = { BACKLOG_NOW: "2026-06-01T00:00:00Z", BACKLOG_ACTOR: "cto" };

describe("gate's human report", () => {
  it("lists each violation's items in aligned columns, one line each, in the JSON report's order", () => {
    const dir = tempDir();
    seedStore(dir, 120, 1, (i) => ({
      priority: i % 10 === 0 ? "P0" : "P2",
      due_date: i % 4 === 3 ? "2026-09-01" : "2026-03-01",
      owner: i % 3 === 0 ? "team-payments" : "oncall",
      title: i % 5 === 0 ? `全角 item ${i} ✓` : `Seeded item ${i}`,
    }));
    const run = (args: string[]) => cli(args, { cwd: dir, env: { ...env, BACKLOG_DIR: dir } });
    const report = json(run(["gate", "--json"]));
    const human = run(["gate"]);
    expect(human.code).toBe(10);
    expect(human.stderr).toBe("");
    expect(human.stdout).not.toContain("\x1b");
    // 90 overdue items (a table longer than cli-table3 draws) and 12 overdue P0 (a short one).
    expect(report.violations.map((v: { items: unknown[] }) => v.items.length)).toEqual([90, 12]);

    const lines = human.stdout.split("\n");
    expect(lines[0]).toBe("FAIL prod: 2 gate violations");
    expect(lines.filter((l) => l !== l.trimEnd())).toEqual([]);
    let at = 1;
    for (const v of report.violations as Array<{ gate: string; priority: string | null; message: string; items: Array<{ id: string; due_date: string; owner: string; title: string }> }>) {
      expect(lines.slice(at, at + 2)).toEqual(["", `✗ ${v.gate}${v.priority ? ` ${v.priority}` : ""}: ${v.message}`]);
      const head = lines[at + 2];
      expect(head).toMatch(/^ID +PRI +STATUS +DUE +OWNER +SERVICE +TITLE$/);
      const rows = lines.slice(at + 3, at + 3 + v.items.length);
      expect(rows.map((r) => r.slice(0, r.indexOf(" ")))).toEqual(v.items.map((i) => i.id));
      for (const [k, item] of v.items.entries()) {
        expect(rows[k].indexOf(item.due_date), rows[k]).toBe(head.indexOf("DUE"));
        expect(rows[k].indexOf(item.owner), rows[k]).toBe(head.indexOf("OWNER"));
        expect(rows[k].endsWith(item.title), rows[k]).toBe(true);
      }
      at += 3 + v.items.length;
    }
    expect(lines.slice(at)).toEqual([""]);
  });
});

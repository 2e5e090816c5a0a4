import { describe, expect, it } from "vitest";
import { evaluateGates, gateTally } from "../../src/domain/gate.js";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { makeItem } from "../helpers/items.js";

const scope = { env: "prod", service: null, today: "2026-02-16" };

describe("gates", () => {
  it("passes an empty backlog", () => {
    const r = evaluateGates([], DEFAULT_POLICY.gates, scope);
    expect(r.pass).toBe(true);
    expect(r.violations).toEqual([]);
  });

  it("fails on any overdue P0 by default, naming the item", () => {
    const p0 = makeItem({ priority: "P0", due_date: "2026-02-15" });
    const r = evaluateGates([p0, makeItem({ priority: "P0", due_date: "2026-02-16" })], DEFAULT_POLICY.gates, scope);
    expect(r.pass).toBe(false);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ gate: "max_overdue_by_priority", priority: "P0", threshold: 0, actual: 1 });
    expect(r.violations[0].items.map((i) => i.id)).toEqual([p0.id]);
  });

  it("fails when more than max_overdue items are overdue, ignoring closed ones", () => {
    const overdue = Array.from({ length: 6 }, () => makeItem({ priority: "P2", due_date: "2026-01-01" }));
    const closed = makeItem({ priority: "P2", due_date: "2026-01-01", status: "done" });
    const five = evaluateGates([...overdue.slice(0, 5), closed], DEFAULT_POLICY.gates, scope);
    expect(five.pass).toBe(true);
    const six = evaluateGates([...overdue, closed], DEFAULT_POLICY.gates, scope);
    expect(six.violations.map((v) => [v.gate, v.actual, v.threshold])).toEqual([["max_overdue", 6, 5]]);
  });

  it("checks open counts per priority and the age of open items", () => {
    const items = [
      makeItem({ priority: "P1", created_at: "2026-01-01T00:00:00.000Z" }),
      makeItem({ priority: "P1", created_at: "2026-02-15T00:00:00.000Z" }),
      makeItem({ priority: "P1", status: "canceled", created_at: "2025-01-01T00:00:00.000Z" }),
    ];
    const r = evaluateGates(items, { max_overdue: null, max_overdue_by_priority: {}, max_open: { P1: 1 }, max_age_days: 30 }, scope);
    expect(r.violations.map((v) => [v.gate, v.priority, v.actual])).toEqual([
      ["max_open", "P1", 2],
      ["max_age_days", null, 1],
    ]);
    expect(r.violations[1].items[0].id).toBe(items[0].id);
  });

  it("switches a gate off with null", () => {
    const overdue = Array.from({ length: 9 }, () => makeItem({ priority: "P3", due_date: "2026-01-01" }));
    expect(evaluateGates(overdue, { ...DEFAULT_POLICY.gates, max_overdue: null }, scope).pass).toBe(true);
  });

  it("tallies items handed in batches as all at once, counting the open items no violation lists", () => {
    const items = Array.from({ length: 40 }, (_, i) =>
      makeItem({
        priority: (["P0", "P1", "P2", "P3"] as const)[i % 4],
        status: i % 9 === 0 ? "done" : i % 5 === 0 ? "blocked" : "open",
        due_date: i % 3 === 0 ? "2026-02-01" : i % 3 === 1 ? "2026-03-01" : "",
        created_at: i % 7 === 0 ? "2025-06-01T00:00:00.000Z" : "2026-02-10T00:00:00.000Z",
      }),
    );
    const thresholds = [
      DEFAULT_POLICY.gates,
      { max_overdue: 2, max_overdue_by_priority: { P1: 0 }, max_open: { P2: 3 }, max_age_days: 100 },
      { max_overdue: null, max_overdue_by_priority: {}, max_open: {}, max_age_days: null },
    ];
    for (const gates of thresholds) {
      const tally = gateTally(gates, scope);
      for (let from = 0; from < items.length; from += 3) tally.add(items.slice(from, from + 3));
      const report = tally.report();
      expect(report).toEqual(evaluateGates(items, gates, scope));
      expect(report.open_count).toBe(items.filter((i) => i.status !== "done").length);
      const openP2 = items.filter((i) => i.priority === "P2" && i.status !== "done").map((i) => i.id);
      expect(report.violations.find((v) => v.gate === "max_open")?.items.map((i) => i.id).sort()).toEqual(gates.max_open.P2 === undefined ? undefined : openP2.sort());
    }
  });
});

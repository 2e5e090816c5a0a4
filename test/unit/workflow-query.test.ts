import { describe, expect, it } from "vitest";
import { aggregateDashboard } from "../../src/domain/dashboard.js";
import { STATUSES } from "../../src/domain/item.js";
import { compareItems, matchesFilter, queryItems } from "../../src/domain/query.js";
import { allowedTargets, canTransition, DEFAULT_TRANSITIONS } from "../../src/domain/workflow.js";
import { makeItem } from "../helpers/items.js";

describe("workflow", () => {
  const allowed: Record<string, string[]> = {
    open: ["in_progress", "blocked", "canceled"],
    in_progress: ["blocked", "done", "canceled"],
    blocked: ["open", "in_progress", "canceled"],
    done: [],
    canceled: [],
  };
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const expected = allowed[from].includes(to);
      it(`${from} → ${to} is ${expected ? "allowed" : "refused"}`, () => {
        expect(canTransition(DEFAULT_TRANSITIONS, from, to)).toBe(expected);
      });
    }
  }

  it("uses a policy's own transitions, and an unlisted status is terminal", () => {
    const custom = { open: ["done"] };
    expect(canTransition(custom, "open", "done")).toBe(true);
    expect(canTransition(custom, "open", "in_progress")).toBe(false);
    expect(allowedTargets(custom, "blocked")).toEqual([]);
  });
});

describe("list order", () => {
  it("sorts by priority, due date with empty last, created_at, id", () => {
    const a = makeItem({ id: "bl_00000000000a", priority: "P1", due_date: "" });
    const b = makeItem({ id: "bl_00000000000b", priority: "P1", due_date: "2026-03-01" });
    const c = makeItem({ id: "bl_00000000000c", priority: "P0", due_date: "" });
    const d = makeItem({ id: "bl_00000000000d", priority: "P1", due_date: "2026-02-01" });
    const e = makeItem({ id: "bl_00000000000e", priority: "P1", due_date: "2026-03-01", created_at: "2026-01-01T00:00:00.000Z" });
    const f = makeItem({ id: "bl_000000000000", priority: "P1", due_date: "2026-03-01", created_at: "2026-01-01T00:00:00.000Z" });
    expect([a, b, c, d, e, f].sort(compareItems).map((i) => i.id)).toEqual([c.id, d.id, f.id, e.id, b.id, a.id]);
  });
});

describe("filters", () => {
  const item = makeItem({ env: "prod", service: "gateway", status: "in_progress", owner: "cto", category: "security", priority: "P0", due_date: "2026-02-10" });
  it.each([
    [{ env: "prod" }, true],
    [{ env: "staging" }, false],
    [{ service: "billing" }, false],
    [{ statuses: ["open", "in_progress"] }, true],
    [{ statuses: ["open"] }, false],
    [{ owner: "cto" }, true],
    [{ category: "refactor" }, false],
    [{ priority: "P0" }, true],
    [{ dueBefore: "2026-02-11" }, true],
    [{ dueBefore: "2026-02-10" }, false],
    [{ overdueAsOf: "2026-02-11" }, true],
    [{ overdueAsOf: "2026-02-10" }, false],
  ])("%j matches: %s", (filter, expected) => {
    expect(matchesFilter(item, filter)).toBe(expected);
  });

  it("never counts done, canceled or undated items as overdue or due before", () => {
    expect(matchesFilter(makeItem({ status: "done", due_date: "2026-01-01" }), { overdueAsOf: "2026-02-01" })).toBe(false);
    expect(matchesFilter(makeItem({ due_date: "" }), { overdueAsOf: "2026-02-01" })).toBe(false);
    expect(matchesFilter(makeItem({ due_date: "" }), { dueBefore: "2026-02-01" })).toBe(false);
  });

  it("pages after sorting and reports the total", () => {
    const items = [3, 1, 2, 0].map((n) => makeItem({ priority: `P${n}` as "P0" }));
    const page = queryItems(items, {}, { limit: 2, offset: 1 });
    expect(page.total).toBe(4);
    expect(page.items.map((i) => i.priority)).toEqual(["P1", "P2"]);
    expect(queryItems(items, {}, { limit: null, offset: 0 }).items).toHaveLength(4);
  });
});

describe("dashboard aggregation", () => {
  const today = "2026-02-16";
  const items = [
    makeItem({ service: "gateway", priority: "P0", due_date: "2026-02-01", category: "security" }),
    makeItem({ service: "gateway", priority: "P2", due_date: "2026-02-10" }),
    makeItem({ service: "gateway", status: "done", due_date: "2026-01-01" }),
    makeItem({ service: "billing", priority: "P1", due_date: "2026-03-01" }),
    makeItem({ service: "billing", env: "staging", due_date: "2026-01-01" }),
  ];
  const d = aggregateDashboard(items, "prod", today, ["refactor", "security", "arch_review"]);

  it("counts only the env's items, with every status, priority and category present", () => {
    expect(d.total).toBe(4);
    expect(d.status_counts).toEqual({ open: 3, in_progress: 0, blocked: 0, done: 1, canceled: 0 });
    expect(d.priority_counts).toEqual({ P0: 1, P1: 1, P2: 2, P3: 0 });
    expect(d.category_counts).toEqual({ refactor: 3, security: 1, arch_review: 0 });
  });

  it("lists overdue open items by priority then due date", () => {
    expect(d.overdue_count).toBe(2);
    expect(d.overdue.map((i) => i.priority)).toEqual(["P0", "P2"]);
  });

  it("ranks services by count, then name", () => {
    expect(d.top_services).toEqual([
      { service: "gateway", count: 3 },
      { service: "billing", count: 1 },
    ]);
  });

  it("shows the first 20 overdue items but counts them all", () => {
    const many = Array.from({ length: 25 }, () => makeItem({ due_date: "2026-01-01" }));
    const big = aggregateDashboard(many, "prod", today, []);
    expect(big.overdue).toHaveLength(20);
    expect(big.overdue_count).toBe(25);
  });
});

import { describe, expect, it } from "vitest";
import { aggregateReport, closedAt, mayChangeStatus, medianDays, reportFrames, sparkline } from "../../src/domain/report.js";
import { normalizeStoredEvent } from "../../src/domain/item.js";
import { escalation, latestBySeries, parseGeneratedKey, seenMeta } from "../../src/domain/week-over-week.js";
import type { BacklogItem } from "../../src/domain/item.js";

describe("week-over-week helpers", () => {
  it("parses generated dedupe keys and nothing else", () => {
    expect(parseGeneratedKey("platform_backlog", "platform_backlog:2026-W08:prod:gateway:refactor")).toEqual({ week: "2026-W08", env: "prod", service: "gateway", category: "refactor" });
    expect(parseGeneratedKey("platform_backlog", "manual:bl_000000000001")).toBeNull();
    expect(parseGeneratedKey("platform_backlog", "platform_backlog:2026-08:prod:gateway:refactor")).toBeNull();
    expect(parseGeneratedKey("platform_backlog", "platform_backlog:2026-W08:prod:gateway")).toBeNull();
  });

  it("counts weeks from the week tags", () => {
    expect(seenMeta(["auto", "week:2026-W09", "week:2026-W08", "week:2026-W09"])).toEqual({ weeks_seen: 2, last_week: "2026-W09" });
    expect(seenMeta(["auto"])).toEqual({ weeks_seen: 0, last_week: null });
  });

  it.each([
    ["P1", 1, 2, 2, "P0"],
    ["P3", 2, 3, 3, "P2"],
    ["P1", 2, 3, 2, null], // 3 is not a multiple of 2
    ["P1", 2, 4, 2, "P0"],
    ["P0", 1, 2, 2, null], // nothing above P0
    ["P2", 2, 2, 2, null], // a re-run of the same week
    ["P2", 1, 2, null, null], // off
  ] as const)("escalation(%s, %i → %i weeks, every %s) = %s", (p, before, after, n, expected) => {
    expect(escalation(p, before, after, n)).toBe(expected);
  });

  it("picks the latest week's item of each series", () => {
    const item = (id: string, week: string, created: string) =>
      ({ id, env: "prod", service: "a", category: "refactor", dedupe_key: `p:${week}:prod:a:refactor`, created_at: created }) as BacklogItem;
    const found = latestBySeries("p", [item("x", "2026-W09", "2026-02-23"), item("y", "2026-W08", "2026-02-16"), item("z", "2026-W10", "2026-03-02")]);
    expect([...found.values()].map((i) => i.id)).toEqual(["z"]);
  });
});

describe("report aggregation", () => {
  it("frames end on Monday 00:00 UTC, the week under way at now", () => {
    const frames = reportFrames(new Date("2026-03-04T12:00:00Z"), 2);
    expect(frames).toEqual([
      { week: "2026-W09", start: "2026-02-23T00:00:00.000Z", end: "2026-03-02T00:00:00.000Z", as_of: "2026-03-02T00:00:00.000Z", as_of_day: "2026-03-01" },
      { week: "2026-W10", start: "2026-03-02T00:00:00.000Z", end: "2026-03-09T00:00:00.000Z", as_of: "2026-03-04T12:00:00.000Z", as_of_day: "2026-03-04" },
    ]);
    expect(reportFrames(new Date("2027-01-01T00:00:00Z"), 1)[0].week).toBe("2026-W53");
  });

  it("counts an item closed at the very end of a week in that week, and not as active there", () => {
    const frames = reportFrames(new Date("2026-03-04T12:00:00Z"), 2);
    const report = aggregateReport(
      [{ service: "a", created_at: "2026-02-24T00:00:00.000Z", due_date: "", status: "done", closed_at: "2026-03-01T23:59:59.999Z" }],
      "prod",
      frames,
    );
    expect(report.weeks[0]).toMatchObject({ created: 1, done: 1, active: 0 });
    expect(report.weeks[1]).toMatchObject({ created: 0, done: 0, active: 0 });
  });

  it("medians and sparklines", () => {
    expect(medianDays([])).toBeNull();
    expect(medianDays([3, 1, 2])).toBe(2);
    expect(medianDays([1, 2])).toBe(1.5);
    expect(medianDays([0.04, 0.05])).toBe(0);
    expect(sparkline([0, 0])).toBe("▁▁");
    expect(sparkline([0, 7, 14])).toBe("▁▄█");
  });

  it("closedAt uses the latest status_change to the closed status, else updated_at", () => {
    const ev = (ts: string, to: string) => ({ type: "status_change", ts, meta: { to } });
    expect(closedAt({ status: "done", updated_at: "U" }, [ev("2026-01-01", "in_progress"), ev("2026-01-02", "done")])).toBe("2026-01-02");
    expect(closedAt({ status: "canceled", updated_at: "U" }, [])).toBe("U");
    expect(closedAt({ status: "open", updated_at: "U" }, [ev("2026-01-02", "done")])).toBeNull();
  });

  it("passes every line a store reads as a status_change to closedAt, whatever its case or escapes", () => {
    const line = (type: string) => `{"id":"ev_000000000001","item_id":"bl_000000000001","ts":"2026-01-02T00:00:00.000Z","type":"${type}","message":"","actor":"t","meta":{"to":"done"}}`;
    const escaped = (text: string) => text.replace(/[a-z]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    for (const type of ["status_change", "STATUS_CHANGE", "Status_Change", escaped("status_change"), `status_${escaped("c")}hange`]) {
      expect(normalizeStoredEvent(JSON.parse(line(type)))?.type, type).toBe("status_change");
      expect(mayChangeStatus(line(type)), type).toBe(true);
    }
    // Other events need not be parsed.
    for (const type of ["comment", "created", "edited"]) expect(mayChangeStatus(line(type))).toBe(false);
  });
});

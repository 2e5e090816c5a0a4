import { describe, expect, it } from "vitest";
import { BacklogError } from "../../src/errors.js";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { parseListQuery } from "../../src/service/list-query.js";

const fails = (params: Record<string, any>, opts?: { maxLimit?: number }): BacklogError => {
  try {
    parseListQuery(params, DEFAULT_POLICY, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(BacklogError);
    expect((error as BacklogError).exitCode).toBe(2);
    return error as BacklogError;
  }
  throw new Error("expected a failure");
};

describe("parseListQuery", () => {
  it("defaults to the active statuses and a page of 50", () => {
    expect(parseListQuery({}, DEFAULT_POLICY)).toMatchObject({ statuses: ["open", "in_progress", "blocked"], limit: 50, offset: 0 });
  });

  it("status all, comma lists and repeated values are the same thing", () => {
    expect(parseListQuery({ status: "all" }, DEFAULT_POLICY).statuses).toBeUndefined();
    expect(parseListQuery({ status: "open,done" }, DEFAULT_POLICY).statuses).toEqual(["open", "done"]);
    expect(parseListQuery({ status: ["open", "done,open"] }, DEFAULT_POLICY).statuses).toEqual(["open", "done"]);
  });

  it("takes strings from query strings and booleans/numbers from the tool protocol", () => {
    expect(parseListQuery({ limit: "10", offset: "5", overdue: "true", priority: "P0", env: "prod", due_before: "2026-03-01" }, DEFAULT_POLICY)).toMatchObject({
      limit: 10, offset: 5, overdue: true, priority: ["P0"], env: ["prod"], dueBefore: "2026-03-01",
    });
    expect(parseListQuery({ all: true, limit: 3 }, DEFAULT_POLICY).limit).toBeNull();
  });

  it("an unknown enum value lists the valid ones and suggests the nearest", () => {
    expect(fails({ status: "opne" }).message).toContain("did you mean open?");
    expect(fails({ priority: "p9" }).message).toContain("expected one of P0|P1|P2|P3");
    expect(fails({ env: "prdo" }).message).toContain("did you mean prod?");
    expect(fails({ statsu: "open" }).message).toContain("did you mean status?");
  });

  it("limit out of range is refused, never clamped", () => {
    // limit 0 asks for the count alone (total), which scripts use.
    expect(parseListQuery({ limit: "0" }, DEFAULT_POLICY).limit).toBe(0);
    expect(fails({ limit: "1001" }, { maxLimit: 1000 }).message).toContain("out of range: expected a whole number from 0 to 1000");
    expect(parseListQuery({ limit: "1000" }, DEFAULT_POLICY, { maxLimit: 1000 }).limit).toBe(1000);
    expect(fails({ limit: "ten" }).message).toContain("whole number");
    expect(fails({ due_before: "2026-02-30" }).message).toContain("YYYY-MM-DD");
  });

  it("every enum filter takes comma lists and repeats; tags and week add up", () => {
    const q = parseListQuery({ env: ["prod", "staging,prod"], priority: "P0,P1", owner: ["a", "b"], service: "x,y", category: "security", tag: ["db", "x"], week: "2026-W05" }, DEFAULT_POLICY);
    expect(q).toMatchObject({ env: ["prod", "staging"], priority: ["P0", "P1"], owner: ["a", "b"], service: ["x", "y"], category: ["security"], tags: ["db", "x", "week:2026-W05"] });
    expect(fails({ week: "2025-W53" }).message).toContain("YYYY-Www");
    expect(parseListQuery({ week: "2026-W53" }, DEFAULT_POLICY).tags).toEqual(["week:2026-W53"]);
  });

  it("since, search, sort and fields", () => {
    expect(parseListQuery({ since: "7d" }, DEFAULT_POLICY).since).toEqual({ hours: 168 });
    expect(parseListQuery({ since: "24h" }, DEFAULT_POLICY).since).toEqual({ hours: 24 });
    expect(parseListQuery({ since: "2026-02-01" }, DEFAULT_POLICY).since).toEqual({ at: "2026-02-01T00:00:00.000Z" });
    expect(parseListQuery({ since: "2026-02-01T10:00:00+02:00" }, DEFAULT_POLICY).since).toEqual({ at: "2026-02-01T08:00:00.000Z" });
    expect(fails({ since: "2026-02-30" }).message).toContain("7d or 24h");
    expect(fails({ since: "7w" }).message).toContain("7d or 24h");
    expect(parseListQuery({ search: "a,b" }, DEFAULT_POLICY).search).toBe("a,b");
    expect(parseListQuery({ search: ["a,b"] }, DEFAULT_POLICY).search).toBe("a,b");
    expect(parseListQuery({ search: "" }, DEFAULT_POLICY).search).toBeUndefined();
    expect(parseListQuery({ sort: "-priority,due" }, DEFAULT_POLICY).sort).toEqual([{ key: "priority", desc: true }, { key: "due", desc: false }]);
    expect(fails({ sort: "-prio" }).message).toContain("did you mean -priority?");
    expect(parseListQuery({ fields: "title,id" }, DEFAULT_POLICY).fields).toEqual(["title", "id"]);
    const unknown = fails({ fields: "id,stauts" });
    expect(unknown.message).toContain("did you mean status?");
    expect(unknown.hint).toContain("Valid fields: id, created_at, updated_at");
  });
});

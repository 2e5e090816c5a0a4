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
      limit: 10, offset: 5, overdue: true, priority: "P0", env: "prod", dueBefore: "2026-03-01",
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
});

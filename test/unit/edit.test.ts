import { describe, expect, it } from "vitest";
import { applyEdit } from "../../src/domain/edit.js";
import type { BacklogItem } from "../../src/domain/item.js";
import { BacklogError } from "../../src/errors.js";
import { parseEditChanges } from "../../src/service/edit-input.js";

const item: BacklogItem = {
  id: "bl_0123456789ab", created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z", env: "prod", service: "gw",
  category: "refactor", title: "T", description: "", priority: "P2", status: "open", owner: "oncall", due_date: "2026-02-01",
  source: "manual", dedupe_key: "k", evidence_refs: { alerts: ["A"], incidents: ["I"], release_checks: [], artifacts: [], followups: [] },
  tags: ["x", "y"], meta: { a: 1, b: 2 },
};
const NOW = "2026-03-01T00:00:00.000Z";

describe("applyEdit", () => {
  it("replaces tags, replaces only the evidence kinds given, merges meta (null removes)", () => {
    const { item: next, changes } = applyEdit(item, { tags: ["z"], evidence_refs: { alerts: ["B"] }, meta: { a: null, c: 3 } }, NOW);
    expect(next.tags).toEqual(["z"]);
    expect(next.evidence_refs).toMatchObject({ alerts: ["B"], incidents: ["I"] });
    expect(next.meta).toEqual({ b: 2, c: 3 });
    expect(next.updated_at).toBe(NOW);
    expect(Object.keys(changes).sort()).toEqual(["evidence_refs", "meta", "tags"]);
    expect(item.tags).toEqual(["x", "y"]); // the input is not changed
  });

  it("no real change: the same item and no changes", () => {
    const r = applyEdit(item, { title: "T", add_tags: ["x"], remove_tags: ["nope"], due_date: "2026-02-01" }, NOW);
    expect(r.item).toBe(item);
    expect(r.changes).toEqual({});
  });

  it("due_date null clears", () => {
    expect(applyEdit(item, { due_date: null }, NOW).changes.due_date).toEqual({ from: "2026-02-01", to: "" });
  });
});

describe("parseEditChanges", () => {
  const fails = (raw: unknown) => {
    try {
      parseEditChanges(raw, "test");
    } catch (error) {
      expect(error).toBeInstanceOf(BacklogError);
      return error as BacklogError;
    }
    throw new Error("expected a failure");
  };

  it.each([["status", "set-status"], ["env", "fixed"], ["service", "fixed"], ["category", "fixed"], ["dedupe_key", "fixed"], ["id", "never change"], ["created_at", "timestamps"], ["updated_at", "timestamps"]])(
    "%s is exit 2 naming the right command",
    (field, fragment) => {
      const e = fails({ [field]: "x" });
      expect(e.exitCode).toBe(2);
      expect(`${e.message} ${e.hint}`).toContain(fragment);
    },
  );

  it("accepts the item field names and the relative forms; an empty due date clears", () => {
    expect(parseEditChanges({ title: "N", due_date: "", add_tags: ["t"], remove_evidence: { alerts: ["A"] }, meta: { k: "v" } }, "t")).toEqual({
      title: "N", due_date: null, add_tags: ["t"], remove_evidence: { alerts: ["A"] }, meta: { k: "v" },
    });
    expect(parseEditChanges({ due_date: null }, "t")).toEqual({ due_date: null });
  });

  it("unknown keys and bad values are exit 2", () => {
    expect(fails({ colour: "red" }).message).toContain("colour: unknown key");
    expect(fails({ priority: "P7" }).message).toContain("expected one of P0|P1|P2|P3");
    expect(fails({ evidence_refs: { nope: ["x"] } }).exitCode).toBe(2);
  });
});

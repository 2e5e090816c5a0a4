import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BacklogError } from "../../src/errors.js";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { parsePolicy } from "../../src/policy/load.js";

const shipped = readFileSync(new URL("../../config/backlog_policy.yml", import.meta.url), "utf8");

function policyError(text: string): string {
  try {
    parsePolicy(text, "p.yml");
  } catch (error) {
    expect(error).toBeInstanceOf(BacklogError);
    expect((error as BacklogError).exitCode).toBe(2);
    return (error as BacklogError).message;
  }
  throw new Error("expected the policy to be refused");
}

describe("policy", () => {
  it("built-in defaults are identical to the shipped file", () => {
    expect(parsePolicy(shipped, "shipped")).toEqual(DEFAULT_POLICY);
  });

  it("an empty file takes every default", () => {
    expect(parsePolicy("", "empty")).toEqual(DEFAULT_POLICY);
    expect(parsePolicy("{}", "empty")).toEqual(DEFAULT_POLICY);
  });

  it("merges a partial file over the defaults", () => {
    const p = parsePolicy("defaults: {max_items_per_run: 3}\ncategories:\n  perf: {priority: P3}\nownership: {overrides: {gateway: cto}}\n", "p");
    expect(p.defaults).toEqual({ retention_days: 180, max_items_per_run: 3 });
    expect(p.categories.perf).toEqual({ priority: "P3", due_days: 14, title: "[PERF] {service}" });
    expect(p.categories.security).toEqual(DEFAULT_POLICY.categories.security);
    expect(p.ownership).toEqual({ default_owner: "oncall", overrides: { gateway: "cto" } });
    expect(p.rules).toEqual(DEFAULT_POLICY.rules);
  });

  it.each([
    ["a bad priority", "categories:\n  refactor: {priority: P9}\n", "categories.refactor.priority: expected one of P0|P1|P2|P3"],
    ["an unknown key", "generaton: {}\n", "generaton: unknown key"],
    ["a negative retention", "defaults: {retention_days: -1}\n", "defaults.retention_days:"],
    ["a rule with an unknown category", "rules:\n  - {name: r, category: nope, when: {x: 1}}\n", 'rules[0].category: unknown category "nope"'],
    ["an unknown operator", "rules:\n  - {name: r, category: refactor, when: {x: {gtt: 1}}}\n", 'rules[0].when.x.gtt: unknown operator "gtt"'],
    ["a non-numeric gt", "rules:\n  - {name: r, category: refactor, when: {x: {gt: high}}}\n", "rules[0].when.x.gt: expected a number"],
    ["a bad workflow status", "workflow:\n  allowed_transitions: {open: [closed]}\n", "workflow.allowed_transitions.open[0]: expected one of"],
    ["an actor with an unknown role", "rbac: {actors: {bot: robot}}\n", 'rbac.actors.bot: unknown role "robot"'],
    ["YAML syntax", "defaults: [\n", "YAML syntax error at line"],
  ])("names the path of %s", (_what, text, expected) => {
    expect(policyError(text)).toContain(expected);
  });

  it("reports every problem, not only the first", () => {
    const message = policyError("defaults: {retention_days: x, max_items_per_run: 0}\n");
    expect(message).toContain("defaults.retention_days");
    expect(message).toContain("defaults.max_items_per_run");
  });

  it("null switches a gate off", () => {
    expect(parsePolicy("gates: {max_overdue: null, max_overdue_by_priority: null}\n", "p").gates).toEqual({
      max_overdue: null,
      max_overdue_by_priority: {},
      max_open: {},
      max_age_days: null,
    });
  });
});

import { describe, expect, it } from "vitest";
import type { Digest } from "../../src/domain/digest.js";
import { planGeneration } from "../../src/domain/generation.js";
import { conditionHolds, matchRules } from "../../src/domain/rules.js";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import type { Policy, Rule } from "../../src/policy/types.js";

describe("conditions", () => {
  it.each([
    ["scalar equals", true, true, true],
    ["scalar differs", false, true, false],
    ["string equals", "high", "high", true],
    ["list: one of", "high", ["high", "critical"], true],
    ["list: none of", "low", ["high", "critical"], false],
    ["eq", 3, { eq: 3 }, true],
    ["ne", 3, { ne: 3 }, false],
    ["gt", 1, { gt: 0 }, true],
    ["gt at the bound", 0, { gt: 0 }, false],
    ["gte at the bound", 0, { gte: 0 }, true],
    ["lt", 5, { lt: 5 }, false],
    ["lte", 5, { lte: 5 }, true],
    ["in", "medium", { in: ["medium", "high"] }, true],
    ["operators AND", 7, { gt: 5, lt: 10 }, true],
    ["operators AND, one fails", 12, { gt: 5, lt: 10 }, false],
    ["numeric operator on a string", "7", { gt: 5 }, false],
    ["missing field fails", undefined, { ne: 3 }, false],
    ["null field fails", null, false, false],
  ] as const)("%s", (_name, value, condition, expected) => {
    expect(conditionHolds(value, condition as never)).toBe(expected);
  });
});

describe("rule matching", () => {
  const rules: Rule[] = [
    { name: "first", category: "refactor", when: { band: "high" } },
    { name: "second", category: "refactor", when: { score: { gt: 0 } } },
    { name: "other", category: "security", when: { score: { gt: 0 }, band: ["high"] } },
  ];

  it("keeps the first matching rule of each category", () => {
    expect(matchRules(rules, { band: "high", score: 5 }).map((r) => r.name)).toEqual(["first", "other"]);
    expect(matchRules(rules, { band: "low", score: 5 }).map((r) => r.name)).toEqual(["second"]);
  });

  it("requires every condition of a rule", () => {
    expect(matchRules(rules, { band: "high" }).map((r) => r.name)).toEqual(["first"]);
  });
});

const gateway = {
  service: "gateway",
  pressure_score: 78,
  pressure_band: "high" as const,
  pressure_requires_arch_review: true,
  risk_score: 81,
  risk_band: "critical" as const,
  risk_has_slo_violations: true,
  followups_overdue: 3,
  signals: ["3 P1 incidents in 14 days"],
  evidence_refs: { alerts: ["ALR-1"], incidents: ["INC-7"] },
};

const plan = (digest: Digest, policy: Policy = DEFAULT_POLICY, env = "prod") =>
  planGeneration({ policy, digest, env, today: "2026-02-16", source: "digest", origin: "platform digest" });

describe("generation plan", () => {
  it("fires each shipped rule once for a service that meets them all", () => {
    const { planned, skipped } = plan({ week: "2026-W08", env: "prod", services: [gateway] });
    expect(skipped).toEqual([]);
    expect(planned.map((p) => [p.category, p.rule, p.priority, p.due_date])).toEqual([
      ["arch_review", "arch_review_required", "P1", "2026-03-02"],
      ["refactor", "high_pressure_refactor", "P1", "2026-03-09"],
      ["slo_hardening", "slo_violations", "P2", "2026-03-18"],
      ["cleanup_followups", "followup_backlog", "P2", "2026-03-02"],
    ]);
    const arch = planned[0];
    expect(arch.dedupe_key).toBe("platform_backlog:2026-W08:prod:gateway:arch_review");
    expect(arch.title).toBe("[ARCH] Architecture review: gateway");
    expect(arch.tags).toEqual(["auto", "week:2026-W08", "rule:arch_review_required"]);
    expect(arch.owner).toBe("oncall");
    expect(arch.source).toBe("digest");
    expect(arch.evidence_refs).toEqual({ alerts: ["ALR-1"], incidents: ["INC-7"], release_checks: [], artifacts: [], followups: [] });
    expect(arch.description).toContain("- 3 P1 incidents in 14 days");
    expect(arch.description).toContain("- pressure: 78 (high)");
    expect(arch.description).toContain("- risk: 81 (critical)");
  });

  it("fires nothing for a quiet service, or one whose fields are missing", () => {
    const quiet = { service: "catalog", pressure_band: "low" as const, risk_band: "low" as const, followups_overdue: 0 };
    expect(plan({ week: "2026-W08", env: "prod", services: [quiet, { service: "bare" }] }).planned).toEqual([]);
  });

  it("keys a W53 digest with its own week-year", () => {
    const { planned } = plan({ week: "2026-W53", env: "prod", services: [gateway] });
    expect(planned[0].dedupe_key).toBe("platform_backlog:2026-W53:prod:gateway:arch_review");
  });

  it("takes the owner from ownership.overrides, and the prefix and titles from the policy", () => {
    const policy: Policy = {
      ...DEFAULT_POLICY,
      dedupe: { key_prefix: "acme" },
      ownership: { default_owner: "platform-team", overrides: { gateway: "cto" } },
      categories: { ...DEFAULT_POLICY.categories, arch_review: { priority: "P0", due_days: 3, title: "{env}/{service} review for {week}" } },
    };
    const { planned } = plan({ week: "2026-W08", env: "staging", services: [gateway, { ...gateway, service: "billing" }] }, policy, "staging");
    const byService = (s: string) => planned.filter((p) => p.service === s && p.category === "arch_review")[0];
    expect(byService("gateway").owner).toBe("cto");
    expect(byService("billing").owner).toBe("platform-team");
    expect(byService("gateway").title).toBe("staging/gateway review for 2026-W08");
    expect(byService("gateway").dedupe_key).toBe("acme:2026-W08:staging:gateway:arch_review");
    expect(byService("gateway").priority).toBe("P0");
  });

  it("caps writes in order of priority, rule order, service name and reports the rest", () => {
    const policy: Policy = { ...DEFAULT_POLICY, defaults: { ...DEFAULT_POLICY.defaults, max_items_per_run: 5 } };
    const services = ["zeta", "alpha", "mid"].map((service) => ({ ...gateway, service }));
    const { planned, skipped } = plan({ week: "2026-W08", env: "prod", services }, policy);
    expect(planned.map((p) => `${p.category}/${p.service}`)).toEqual([
      "arch_review/alpha",
      "arch_review/mid",
      "arch_review/zeta",
      "refactor/alpha",
      "refactor/mid",
    ]);
    expect(skipped).toHaveLength(7);
    expect(skipped[0]).toEqual({ service: "zeta", category: "refactor", rule: "high_pressure_refactor", reason: "max_items_per_run (5) reached" });
    expect(skipped.map((s) => s.category)).toEqual(["refactor", "slo_hardening", "slo_hardening", "slo_hardening", "cleanup_followups", "cleanup_followups", "cleanup_followups"]);
  });

  it("is deterministic: the same input plans the same output", () => {
    const digest = { week: "2026-W08", env: "prod", services: [gateway] };
    expect(plan(digest)).toEqual(plan(digest));
  });
});

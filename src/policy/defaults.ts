/**
 * Built-in defaults, identical to the shipped config/backlog_policy.yml (a test holds them equal):
 * they apply when no policy file exists, and fill every key a user's file leaves out.
 */
import { DEFAULT_TRANSITIONS } from "../domain/workflow.js";
import type { Policy } from "./types.js";

export const DEFAULT_ENVS = ["prod", "staging", "dev"];

export const DEFAULT_POLICY: Policy = {
  defaults: { retention_days: 180, max_items_per_run: 50 },
  dedupe: { key_prefix: "platform_backlog" },
  envs: DEFAULT_ENVS,
  categories: {
    arch_review: { priority: "P1", due_days: 14, title: "[ARCH] Architecture review: {service}" },
    refactor: { priority: "P1", due_days: 21, title: "[REFACTOR] Reduce pressure on {service}" },
    slo_hardening: { priority: "P2", due_days: 30, title: "[SLO] Harden {service} against SLO violations" },
    cleanup_followups: { priority: "P2", due_days: 14, title: "[FOLLOWUP] Close overdue follow-ups of {service}" },
    security: { priority: "P0", due_days: 7, title: "[SEC] Security work on {service}" },
  },
  generation: { weekly_from_pressure_digest: true, daily_from_risk_digest: false, carry_over: true, escalate_after_weeks: null },
  ownership: { default_owner: "oncall", overrides: {} },
  workflow: { allowed_transitions: DEFAULT_TRANSITIONS },
  rules: [
    { name: "arch_review_required", category: "arch_review", when: { pressure_requires_arch_review: true } },
    {
      name: "high_pressure_refactor",
      category: "refactor",
      when: { pressure_band: ["high", "critical"], risk_band: ["high", "critical"] },
    },
    { name: "slo_violations", category: "slo_hardening", when: { risk_has_slo_violations: true } },
    { name: "followup_backlog", category: "cleanup_followups", when: { followups_overdue: { gt: 0 } } },
  ],
  rbac: {
    default_role: "oncall",
    actors: { scheduler: "scheduler", cto: "cto" },
    roles: {
      cto: ["tools.backlog.read", "tools.backlog.write", "tools.backlog.admin"],
      scheduler: ["tools.backlog.read", "tools.backlog.write", "tools.backlog.admin"],
      oncall: ["tools.backlog.read", "tools.backlog.write"],
      interface: ["tools.backlog.read"],
    },
  },
  gates: { max_overdue: 5, max_overdue_by_priority: { P0: 0 }, max_open: {}, max_age_days: null },
};

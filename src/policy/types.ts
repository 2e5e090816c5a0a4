/** The resolved policy: every key present, defaults applied. */
import type { Priority } from "../domain/item.js";
import type { Transitions } from "../domain/workflow.js";

export type Scalar = string | number | boolean;
export type Operator = "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in";
export const OPERATORS: readonly Operator[] = ["eq", "ne", "gt", "gte", "lt", "lte", "in"];
export type Condition = Scalar | Scalar[] | Partial<Record<Operator, Scalar | Scalar[]>>;

export interface Rule {
  name: string;
  category: string;
  when: Record<string, Condition>;
}

export interface CategoryPolicy {
  priority: Priority;
  due_days: number;
  title: string;
}

export interface GatePolicy {
  max_overdue: number | null;
  max_overdue_by_priority: Partial<Record<Priority, number>>;
  max_open: Partial<Record<Priority, number>>;
  max_age_days: number | null;
}

export interface Policy {
  defaults: { retention_days: number; max_items_per_run: number };
  dedupe: { key_prefix: string };
  envs: string[];
  categories: Record<string, CategoryPolicy>;
  generation: {
    weekly_from_pressure_digest: boolean;
    daily_from_risk_digest: boolean;
    /** A still-active generated item of an (env, service, category) is carried into later weeks. */
    carry_over: boolean;
    /** Weeks seen after which a carried item's priority goes up one step; null = never. */
    escalate_after_weeks: number | null;
  };
  ownership: { default_owner: string; overrides: Record<string, string> };
  workflow: { allowed_transitions: Transitions };
  rules: Rule[];
  rbac: { default_role: string; actors: Record<string, string>; roles: Record<string, string[]> };
  gates: GatePolicy;
}

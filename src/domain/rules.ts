/** The rule engine: which (service, category) pairs a digest calls for. Pure. */
import type { Condition, Rule, Scalar } from "../policy/types.js";

function compare(value: unknown, op: string, operand: Scalar | Scalar[]): boolean {
  switch (op) {
    case "eq":
      return value === operand;
    case "ne":
      return value !== operand;
    case "in":
      return Array.isArray(operand) && operand.includes(value as Scalar);
    case "gt":
      return typeof value === "number" && value > (operand as number);
    case "gte":
      return typeof value === "number" && value >= (operand as number);
    case "lt":
      return typeof value === "number" && value < (operand as number);
    case "lte":
      return typeof value === "number" && value <= (operand as number);
    default:
      return false;
  }
}

/** A scalar means equals, a list means one of, an object ANDs its operators. A missing field fails. */
export function conditionHolds(value: unknown, condition: Condition): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(condition)) return condition.includes(value as Scalar);
  if (typeof condition === "object") {
    return Object.entries(condition).every(([op, operand]) => operand !== undefined && compare(value, op, operand));
  }
  return value === condition;
}

export const ruleMatches = (rule: Rule, fields: Record<string, unknown>): boolean =>
  Object.entries(rule.when).every(([field, condition]) => conditionHolds(fields[field], condition));

/** Rules in policy order; the first matching rule of each category wins. */
export function matchRules(rules: readonly Rule[], fields: Record<string, unknown>): Rule[] {
  const byCategory = new Map<string, Rule>();
  for (const rule of rules) {
    if (!byCategory.has(rule.category) && ruleMatches(rule, fields)) byCategory.set(rule.category, rule);
  }
  return [...byCategory.values()];
}

/**
 * The policy file's schema. Every key is optional; unknown keys are errors (a typo such as
 * `generaton:` must not silently fall back to a default). Cross-references (a rule's category, a
 * role named by an actor) are checked after merging with the defaults, in `resolvePolicy`.
 */
import { MAX_COUNT, own } from "../domain/limits.js";
import type * as Z from "zod";
import { PRIORITIES, STATUSES, SERVICE_PATTERN } from "../domain/item.js";
import { expectedOneOf } from "../domain/validation.js";
import { DEFAULT_POLICY } from "./defaults.js";
import { OPERATORS, type Policy } from "./types.js";

/** Built on first use, with zod itself: a command that reads no policy file loads neither. */
let schema: ReturnType<typeof buildSchema> | undefined;
export const policyFileSchema = () => (schema ??= buildSchema());

function buildSchema() {
  // zod itself is loaded here: most commands never build this schema.
  const z = require("zod") as typeof Z;
  const priority = z.enum(PRIORITIES, { error: expectedOneOf(PRIORITIES) });
  const status = z.enum(STATUSES, { error: expectedOneOf(STATUSES) });
  const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "expected lowercase letters, digits, _ or -");
  const days = z.int().min(0).max(36500);
  const count = z.int().min(0).max(MAX_COUNT);
  const byPriority = z.partialRecord(priority, count);

  const rule = z.strictObject({
    name: z.string().min(1),
    category: z.string().min(1),
    when: z.record(z.string(), z.unknown()).refine((w) => Object.keys(w).length > 0, "a rule needs at least one condition"),
  });

  return z.strictObject({
    defaults: z.strictObject({ retention_days: days.optional(), max_items_per_run: z.int().min(1).optional() }).optional(),
    dedupe: z.strictObject({ key_prefix: z.string().regex(/^[a-z0-9_.-]+$/, "expected [a-z0-9_.-]+").optional() }).optional(),
    envs: z.array(name).min(1).optional(),
    categories: z
      .record(
        name,
        z.strictObject({ priority: priority.optional(), due_days: days.optional(), title: z.string().min(1).max(200).optional() }),
      )
      .optional(),
    generation: z
      .strictObject({
        weekly_from_pressure_digest: z.boolean().optional(),
        daily_from_risk_digest: z.boolean().optional(),
        carry_over: z.boolean().optional(),
        escalate_after_weeks: z.number().int().min(1).max(520).nullable().optional(),
      })
      .optional(),
    ownership: z
      .strictObject({
        default_owner: z.string().min(1).optional(),
        overrides: z.record(z.string().regex(SERVICE_PATTERN, "expected a service name"), z.string().min(1)).nullish(),
      })
      .optional(),
    workflow: z.strictObject({ allowed_transitions: z.partialRecord(status, z.array(status).nullable()).optional() }).optional(),
    rules: z.array(rule).optional(),
    rbac: z
      .strictObject({
        default_role: z.string().min(1).optional(),
        actors: z.record(z.string(), z.string().min(1)).nullish(),
        roles: z.record(z.string(), z.array(z.string())).optional(),
      })
      .optional(),
    gates: z
      .strictObject({
        max_overdue: count.nullish(),
        max_overdue_by_priority: byPriority.nullish(),
        max_open: byPriority.nullish(),
        max_age_days: days.nullish(),
      })
      .optional(),
  });
}

export type PolicyFile = Z.infer<ReturnType<typeof buildSchema>>;

const DEFAULT_CATEGORY = { priority: "P2", due_days: 14 } as const;

/** Merges a validated file over the defaults, then checks what refers to what. */
export function resolvePolicy(file: PolicyFile): { policy: Policy; errors: string[] } {
  const d = DEFAULT_POLICY;
  const categories: Policy["categories"] = Object.assign(Object.create(null) as Policy["categories"], d.categories);
  for (const [key, value] of Object.entries(file.categories ?? {})) {
    const base = own(d.categories, key) ?? { ...DEFAULT_CATEGORY, title: `[${key.toUpperCase()}] {service}` };
    categories[key] = { ...base, ...value };
  }
  const transitions: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [from, to] of Object.entries(file.workflow?.allowed_transitions ?? d.workflow.allowed_transitions)) {
    transitions[from] = [...(to ?? [])];
  }
  const gates = file.gates ?? {};
  const policy: Policy = {
    defaults: { ...d.defaults, ...file.defaults },
    dedupe: { ...d.dedupe, ...file.dedupe },
    envs: file.envs ?? d.envs,
    categories,
    generation: { ...d.generation, ...file.generation },
    ownership: {
      default_owner: file.ownership?.default_owner ?? d.ownership.default_owner,
      overrides: file.ownership?.overrides ?? d.ownership.overrides,
    },
    workflow: { allowed_transitions: transitions },
    rules: (file.rules as Policy["rules"] | undefined) ?? d.rules,
    rbac: {
      default_role: file.rbac?.default_role ?? d.rbac.default_role,
      actors: file.rbac?.actors ?? d.rbac.actors,
      roles: file.rbac?.roles ?? d.rbac.roles,
    },
    gates: {
      max_overdue: orDefault(gates.max_overdue, d.gates.max_overdue, null),
      max_overdue_by_priority: orDefault(gates.max_overdue_by_priority, d.gates.max_overdue_by_priority, {}),
      max_open: orDefault(gates.max_open, d.gates.max_open, {}),
      max_age_days: orDefault(gates.max_age_days, d.gates.max_age_days, null),
    },
  };
  return { policy, errors: crossCheck(policy) };
}

function crossCheck(policy: Policy): string[] {
  const errors: string[] = [];
  const categoryNames = Object.keys(policy.categories);
  const ruleNames = new Set<string>();
  policy.rules.forEach((r, i) => {
    if (!own(policy.categories, r.category)) {
      errors.push(`rules[${i}].category: unknown category "${r.category}" (expected one of ${categoryNames.join("|")})`);
    }
    if (ruleNames.has(r.name)) errors.push(`rules[${i}].name: duplicate rule name "${r.name}"`);
    ruleNames.add(r.name);
    for (const [field, cond] of Object.entries(r.when)) checkCondition(cond, `rules[${i}].when.${field}`, errors);
  });
  const roles = policy.rbac.roles;
  if (!own(roles, policy.rbac.default_role)) {
    errors.push(`rbac.default_role: unknown role "${policy.rbac.default_role}" (expected one of ${Object.keys(roles).join("|")})`);
  }
  for (const [actor, role] of Object.entries(policy.rbac.actors)) {
    if (!own(roles, role)) errors.push(`rbac.actors.${actor}: unknown role "${role}" (expected one of ${Object.keys(roles).join("|")})`);
  }
  return errors;
}

/** A key left out takes the default; an explicit null switches the setting off. */
function orDefault<T, N>(value: T | null | undefined, fallback: T, off: N): T | N {
  if (value === undefined) return fallback;
  return value === null ? off : value;
}

const isScalar = (v: unknown): boolean => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

function checkCondition(cond: unknown, path: string, errors: string[]): void {
  if (isScalar(cond)) return;
  if (Array.isArray(cond)) {
    if (cond.length === 0 || !cond.every(isScalar)) errors.push(`${path}: expected a non-empty list of values`);
    return;
  }
  if (cond === null || typeof cond !== "object" || Object.keys(cond).length === 0) {
    errors.push(`${path}: expected a value, a list of values, or an object of operators (${OPERATORS.join(", ")})`);
    return;
  }
  for (const [op, operand] of Object.entries(cond)) {
    if (!(OPERATORS as readonly string[]).includes(op)) {
      errors.push(`${path}.${op}: unknown operator "${op}" (expected one of ${OPERATORS.join("|")})`);
    } else if ((op === "gt" || op === "gte" || op === "lt" || op === "lte") && typeof operand !== "number") {
      errors.push(`${path}.${op}: expected a number`);
    } else if (op === "in" && !(Array.isArray(operand) && operand.every(isScalar))) {
      errors.push(`${path}.in: expected a list of values`);
    } else if ((op === "eq" || op === "ne") && !isScalar(operand)) {
      errors.push(`${path}.${op}: expected a string, number or boolean`);
    }
  }
}

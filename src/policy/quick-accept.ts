/**
 * A hand-written acceptor for the common policy file, run before the zod schema of ./schema.ts:
 * building and running that schema costs several milliseconds at every command. It only ever
 * says "valid, here it is" or "not sure": anything it does not accept goes to the zod schema,
 * which accepts it or reports every issue as before. So it must accept a subset of what the
 * schema accepts, with the same data (test/unit/policy-quick-accept.test.ts checks both).
 */
import { MAX_COUNT } from "../domain/limits.js";
import { PRIORITIES, SERVICE_PATTERN, STATUSES } from "../domain/item.js";
import type { PolicyFile } from "./schema.js";

type Check = (value: unknown) => boolean;

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const KEY_PREFIX = /^[a-z0-9_.-]+$/;
// Keys that make an object not plain to zod, or that assigning into a copy would misread.
const AWKWARD_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function plainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.keys(value).every((key) => !AWKWARD_KEYS.has(key)) && Object.getOwnPropertySymbols(value).length === 0;
}

const int = (min: number, max: number): Check => (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const string = (min = 0, max = Infinity): Check => (v) => typeof v === "string" && v.length >= min && v.length <= max;
const matching = (pattern: RegExp): Check => (v) => typeof v === "string" && pattern.test(v);
const boolean: Check = (v) => typeof v === "boolean";
const oneOf = (values: readonly string[]): Check => (v) => typeof v === "string" && values.includes(v);
const nullOr = (check: Check): Check => (v) => v === null || check(v);
const arrayOf = (check: Check, min = 0): Check => (v) => Array.isArray(v) && v.length >= min && v.every(check);
const recordOf = (key: Check, value: Check): Check => (v) => plainObject(v) && Object.entries(v).every(([k, x]) => key(k) && value(x));

/** A strict object: only the named keys, each optional (present means valid). */
const fields = (shape: Record<string, Check>, required: readonly string[] = []): Check => (v) =>
  plainObject(v) &&
  required.every((key) => Object.hasOwn(v, key)) &&
  Object.entries(v).every(([key, x]) => Object.hasOwn(shape, key) && shape[key](x));

const days = int(0, 36500);
const count = int(0, MAX_COUNT);
const priority = oneOf(PRIORITIES);
const status = oneOf(STATUSES);
const byPriority = recordOf(priority, count);

const policyFile = fields({
  defaults: fields({ retention_days: days, max_items_per_run: int(1, Number.MAX_SAFE_INTEGER) }),
  dedupe: fields({ key_prefix: matching(KEY_PREFIX) }),
  envs: arrayOf(matching(NAME), 1),
  categories: recordOf(matching(NAME), fields({ priority, due_days: days, title: string(1, 200) })),
  generation: fields({
    weekly_from_pressure_digest: boolean,
    daily_from_risk_digest: boolean,
    carry_over: boolean,
    escalate_after_weeks: nullOr(int(1, 520)),
  }),
  ownership: fields({ default_owner: string(1), overrides: nullOr(recordOf(matching(SERVICE_PATTERN), string(1))) }),
  workflow: fields({ allowed_transitions: recordOf(status, nullOr(arrayOf(status))) }),
  rules: arrayOf(
    fields({ name: string(1), category: string(1), when: (v) => recordOf(string(), () => true)(v) && Object.keys(v as object).length > 0 }, [
      "name",
      "category",
      "when",
    ]),
  ),
  rbac: fields({
    default_role: string(1),
    actors: nullOr(recordOf(string(), string(1))),
    roles: recordOf(string(), arrayOf(string())),
  }),
  gates: fields({ max_overdue: nullOr(count), max_overdue_by_priority: nullOr(byPriority), max_open: nullOr(byPriority), max_age_days: nullOr(days) }),
});

/** The parsed YAML as a valid policy file, or undefined when the zod schema must decide. No I/O. */
export function quickAcceptPolicyFile(raw: unknown): PolicyFile | undefined {
  return policyFile(raw) ? (raw as PolicyFile) : undefined;
}

import { readFileSync } from "node:fs";
import { CORE_SCHEMA, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { quickAcceptPolicyFile } from "../../src/policy/quick-accept.js";
import { policyFileSchema } from "../../src/policy/schema.js";

const shipped = readFileSync(new URL("../../config/backlog_policy.yml", import.meta.url), "utf8");
const yaml = (text: string): unknown => load(text, { schema: CORE_SCHEMA });

// Each document is run through both paths: the quick one may decline anything, but what it
// accepts the zod schema must accept too, with the same data.
const documents: string[] = [
  shipped,
  "{}",
  "defaults: {retention_days: 0, max_items_per_run: 1}",
  "defaults: {retention_days: 36500}",
  "defaults: {retention_days: 36501}",
  "defaults: {retention_days: -1}",
  "defaults: {retention_days: 1.5}",
  "defaults: {retention_days: .inf}",
  "defaults: {retention_days: '3'}",
  "defaults: {max_items_per_run: 0}",
  "defaults: {max_items_per_run: 9007199254740993}",
  "defaults: {retention_dayz: 3}",
  "defaults: ~",
  "defaults: []",
  "dedupe: {key_prefix: a.b-c_d}",
  "dedupe: {key_prefix: A}",
  "dedupe: {key_prefix: ''}",
  "envs: [prod, staging-2]",
  "envs: []",
  "envs: [Prod]",
  "envs: [-x]",
  "envs: prod",
  "categories: {perf: {priority: P3}}",
  "categories: {perf: {priority: P4}}",
  "categories: {Perf: {priority: P3}}",
  "categories: {perf: {title: ''}}",
  `categories: {perf: {title: ${"x".repeat(200)}}}`,
  `categories: {perf: {title: ${"x".repeat(201)}}}`,
  "categories: {perf: {due_days: 3, owner: x}}",
  "categories: {perf: ~}",
  "categories: {constructor: {priority: P3}}",
  "categories: {__proto__: {priority: P3}}",
  "generation: {carry_over: false, escalate_after_weeks: 3}",
  "generation: {escalate_after_weeks: null}",
  "generation: {escalate_after_weeks: 0}",
  "generation: {escalate_after_weeks: 521}",
  "generation: {carry_over: 'yes'}",
  "generation: {carry_over: yes}",
  "ownership: {default_owner: x, overrides: {gateway: cto, a.b: c}}",
  "ownership: {overrides: null}",
  "ownership: {overrides: {Gateway: cto}}",
  "ownership: {overrides: {gateway: ''}}",
  "ownership: {default_owner: ''}",
  "workflow: {allowed_transitions: {open: [done], done: null, canceled: []}}",
  "workflow: {allowed_transitions: {opened: [done]}}",
  "workflow: {allowed_transitions: {open: [closed]}}",
  "workflow: {allowed_transitions: ~}",
  "rules: [{name: a, category: security, when: {x: 1}}]",
  "rules: [{name: a, category: security, when: {x: {gt: 0}, y: [a, b]}}]",
  "rules: [{name: a, category: security, when: {}}]",
  "rules: [{name: a, category: security}]",
  "rules: [{name: '', category: security, when: {x: 1}}]",
  "rules: [{name: a, category: security, when: {x: 1}, extra: 1}]",
  "rules: [{name: a, category: security, when: [1]}]",
  "rules: {}",
  "rbac: {default_role: r, actors: {a: r}, roles: {r: [x, y], s: []}}",
  "rbac: {actors: null}",
  "rbac: {actors: {a: ''}}",
  "rbac: {roles: {r: [1]}}",
  "rbac: {roles: null}",
  "gates: {max_overdue: 0, max_overdue_by_priority: {P0: 0}, max_open: {}, max_age_days: null}",
  "gates: {max_overdue: null, max_overdue_by_priority: null, max_open: null}",
  "gates: {max_overdue: 1000000000}",
  "gates: {max_open: {P5: 1}}",
  "gates: {max_open: {P1: -1}}",
  "unknown: 1",
  "[1, 2]",
  "42",
];

describe("policy quick acceptance", () => {
  it("accepts the shipped file and an empty one", () => {
    expect(quickAcceptPolicyFile(yaml(shipped))).toBeDefined();
    expect(quickAcceptPolicyFile({})).toEqual({});
  });

  it.each(documents)("never accepts what the schema refuses, nor changes the data: %s", (text) => {
    const raw = yaml(text);
    const quick = quickAcceptPolicyFile(raw);
    const parsed = policyFileSchema().safeParse(raw);
    if (quick !== undefined) {
      expect(parsed.success).toBe(true);
      expect(quick).toEqual(parsed.data);
    }
  });

  it("accepts the usual valid documents itself (the schema is not built for them)", () => {
    const valid = documents.filter((text) => policyFileSchema().safeParse(yaml(text)).success);
    const declined = valid.filter((text) => quickAcceptPolicyFile(yaml(text)) === undefined);
    // Only keys zod treats specially fall through to it.
    expect(declined.every((text) => /constructor|__proto__/.test(text))).toBe(true);
    expect(valid.length).toBeGreaterThan(20);
  });
});

import { readFileSync } from "node:fs";
import { CORE_SCHEMA, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { quickAcceptPolicyFile } from "../../src/policy/quick-accept.js";
import { quickYaml } from "../../src/policy/quick-yaml.js";
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

// YAML texts, each read by both: where the quick reader answers, js-yaml must agree exactly
// (a text js-yaml refuses must not be answered).
const texts: string[] = [
  ...documents,
  "a: 1\nb:\n  c: [x, w]\n  d: {e: f, g: [1, -2, 0]}\n",
  "a:\n  - {x: 1}\n  - [y]\n  - z\n  - \"q: r\"\n  - 'single'\n",
  "a: # comment\n  b: 1 # another\n# full line\nc: ~\nd:\ne: null\n",
  "a: b\na: c\n",
  "a: {b: 1, b: 2}\n",
  "a:\n- b\n",
  "a: &x 1\nb: *x\n",
  "a: !!str 1\n",
  "a: \"x\\ty\"\n",
  "a: 'it''s'\n",
  "a: \"it\"s\"\n",
  "a: b c\n",
  "a: b#c\n",
  "a: b: c\n",
  "a:b\n",
  "a: 1.5\n",
  "a: 0x1F\n",
  "a: 1_000\n",
  "a: 012\n",
  "a: -0\n",
  "a: +1\n",
  "a: .inf\n",
  "a: True\n",
  "a: NULL\n",
  "a: yes\n",
  "a: on\n",
  "a: 99999999999999999999\n",
  "a: [b, ]\n",
  "a: [b\n",
  "a: {b: c\n",
  "a: {b:c}\n",
  "a: {b : c}\n",
  "a: {b}\n",
  "a: [b, [c, {d: e}]]\n",
  "a: {}\nb: []\n",
  "a: 1\n  b: 2\n",
  "a:\n  b: 1\n   c: 2\n",
  "a:\n  b: 1\n c: 2\n",
  "a:\n  - b\n  c: 1\n",
  "a:\n  - b\n    - c\n",
  "a:\n  - b: 1\n",
  "a:\n  -\n    b: 1\n",
  "a: |\n  text\n",
  "a: >\n  text\n",
  "a: multi\n  line\n",
  "\"a\": 1\n",
  "? a\n: 1\n",
  "---\na: 1\n",
  "a: 1\n...\n",
  "%YAML 1.2\n---\na: 1\n",
  "a:\t1\n",
  "a: 1\r\nb: 2\r\n",
  "\uFEFFa: 1\n",
  "__proto__: 1\n",
  "a: {__proto__: 1}\n",
  "1: a\n",
  "true: a\n",
  "a: \"caf\u00e9\"\n",
  "a: \"\"\n",
  "a: ''\n",
  "a: \"x\" y\n",
  "a: \"x\" # c\n",
  "a: [\"x, y\", 'z']\n",
  "   a: 1\n",
  "- a\n- b\n",
  "a: -\n",
  "a: - b\n",
  "a: [-b, c-d, e.f]\n",
  "a: {P0: 0, P1: 3}\n",
];

function jsYaml(text: string): { value: unknown } | { error: true } {
  try {
    return { value: yaml(text) };
  } catch {
    return { error: true };
  }
}

describe("policy quick YAML", () => {
  it("reads the shipped file itself, as js-yaml does", () => {
    expect(quickYaml(shipped)).toEqual(yaml(shipped));
  });

  it.each(texts)("answers only as js-yaml does: %j", (text) => {
    const quick = quickYaml(text);
    if (quick === undefined) return;
    const slow = jsYaml(text);
    expect(slow).toEqual({ value: quick });
    expect(Object.keys(quick as object)).toEqual(Object.keys((slow as { value: object }).value));
  });

  it("answers the plain documents of the table", () => {
    for (const text of ["a: 1\nb:\n  c: [x, w]\n  d: {e: f, g: [1, -2, 0]}\n", "a: # comment\n  b: 1 # another\n# full line\nc: ~\nd:\ne: null\n", "a: [b, [c, {d: e}]]\n"]) {
      expect(quickYaml(text)).toBeDefined();
    }
  });
});

/** Validation of item input for create/upsert, from flags or JSON, at the edge (zod). */
import { hasNulOrLoneSurrogate, LIMITS, own, valueDepthExceeds } from "../domain/limits.js";
import * as z from "zod";
import { DATE_PATTERN, EVENT_ID_PATTERN, EVENT_TYPES, EVIDENCE_KINDS, type EvidenceRefs, isStoredTimestamp, ITEM_ID_PATTERN, PRIORITIES, SERVICE_PATTERN, SOURCES, STATUSES } from "../domain/item.js";
import { isCalendarDate } from "../domain/calendar.js";
import { expectedOneOf, issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import type { Policy } from "../policy/types.js";

export const MAX_TITLE = LIMITS.titleChars;
export const MAX_DESCRIPTION = LIMITS.descriptionChars;
export const MAX_META_BYTES = LIMITS.metaBytes;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Free-form meta: ≤ 64 KiB serialized and ≤ 32 levels deep (depth checked first, without recursion). */
export const metaSchema = z
    .record(z.string(), z.unknown())
    .refine((m) => !valueDepthExceeds(m, LIMITS.metaDepth), `must nest at most ${LIMITS.metaDepth} levels`)
    .refine((m) => valueDepthExceeds(m, LIMITS.metaDepth) || Buffer.byteLength(JSON.stringify(m)) <= MAX_META_BYTES, `must be at most ${MAX_META_BYTES} bytes serialized`);
const evidence = z.partialRecord(z.enum(EVIDENCE_KINDS, { error: expectedOneOf(EVIDENCE_KINDS) }), z.array(z.string().min(1)).max(LIMITS.refsPerKind, `at most ${LIMITS.refsPerKind} refs per kind`));

export const itemInputSchema = z.strictObject({
  // Present in exported items; a new item always gets its own id and timestamps.
  id: z.unknown().optional(),
  created_at: z.unknown().optional(),
  updated_at: z.unknown().optional(),
  env: z.string().optional(),
  service: z.string({ error: "required: the service name, e.g. gateway" }).regex(SERVICE_PATTERN, "expected lowercase letters, digits, . _ - (max 64), starting with a letter or digit"),
  category: z.string({ error: "required: one of the policy's categories" }),
  title: z
    .string()
    .min(1, "must not be empty")
    .max(MAX_TITLE, `must be at most ${MAX_TITLE} characters`)
    .refine((t) => !CONTROL.test(t), "must not contain control characters")
    .optional(),
  description: z.string().max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`).optional(),
  priority: z.enum(PRIORITIES, { error: expectedOneOf(PRIORITIES) }).optional(),
  status: z.enum(STATUSES, { error: expectedOneOf(STATUSES) }).optional(),
  owner: z.string().min(1, "must not be empty").max(200).refine((t) => !CONTROL.test(t), "must not contain control characters").optional(),
  due_date: z
    .string()
    .refine((d) => d === "" || (DATE_PATTERN.test(d) && isCalendarDate(d)), "expected a date YYYY-MM-DD (or empty)")
    .optional(),
  source: z.enum(SOURCES, { error: expectedOneOf(SOURCES) }).optional(),
  dedupe_key: z.string().min(1, "must not be empty").max(500).refine((t) => !CONTROL.test(t), "must not contain control characters").optional(),
  tags: z.array(z.string().min(1).max(LIMITS.tagChars, `must be at most ${LIMITS.tagChars} characters`)).max(LIMITS.tags, `at most ${LIMITS.tags} tags`).optional(),
  evidence_refs: evidence.optional(),
  meta: metaSchema.optional(),
});

export type ItemInput = Omit<z.infer<typeof itemInputSchema>, "id" | "created_at" | "updated_at" | "evidence_refs"> & {
  evidence_refs?: EvidenceRefs;
};

/** What is wrong with raw item input, schema and policy (env and category names), as `field: problem` lines. */
function itemProblems(raw: unknown, policy: Policy): { problems: string[]; data: z.infer<typeof itemInputSchema> | null } {
  const bad = badTextPath(raw);
  if (bad !== null) return { problems: [`${bad}: must not contain NUL or an unpaired UTF-16 surrogate`], data: null };
  const parsed = itemInputSchema.safeParse(raw);
  if (!parsed.success) return { problems: issueLines(parsed.error), data: null };
  const problems: string[] = [];
  const { env, category } = parsed.data;
  if (env !== undefined && !policy.envs.includes(env)) problems.push(`env: expected one of ${policy.envs.join("|")}`);
  if (!own(policy.categories, category)) problems.push(`category: expected one of ${Object.keys(policy.categories).join("|")}`);
  return { problems, data: problems.length === 0 ? parsed.data : null };
}

/** Validates raw input against the schema and the policy (env and category names). */
export function parseItemInput(raw: unknown, policy: Policy, origin: string): ItemInput {
  const bad = badTextPath(raw);
  if (bad !== null) {
    throw invalidInput(`invalid item (${origin}): ${bad}: must not contain NUL or an unpaired UTF-16 surrogate`, "Remove the character; text must be valid Unicode.");
  }
  const { problems, data } = itemProblems(raw, policy);
  if (data && data.status !== undefined && data.status !== "open") {
    throw invalidInput(
      `invalid item (${origin}): status: a new item starts open (got "${data.status}"), with its history`,
      "Leave status out (or \"open\"), then change it with `backlog set-status ID STATUS` so the change is recorded.",
    );
  }
  if (!data) {
    throw invalidInput(
      `invalid item (${origin}): ${problems.join("; ")}`,
      "Correct the values named above; `backlog create --help` lists every field.",
    );
  }
  const { id: _id, created_at: _c, updated_at: _u, evidence_refs, ...rest } = data;
  const input: ItemInput = { ...rest };
  if (evidence_refs) {
    input.evidence_refs = { alerts: [], incidents: [], release_checks: [], artifacts: [], followups: [], ...evidence_refs };
  }
  return input;
}

/** A stored timestamp: ISO 8601 that reads as a real calendar date and time in the clock's years. */
const timestamp = z
  .string({ error: "required: an ISO 8601 UTC timestamp, e.g. 2026-02-16T06:20:00.000Z" })
  .refine(isStoredTimestamp, "expected an ISO 8601 UTC timestamp, e.g. 2026-02-16T06:20:00.000Z");

/** What an exported item carries beyond create's input: its identity, times and any status. */
const storedItemExtras = z.object({
  id: z.string({ error: "required: bl_ and 12 lowercase hex digits" }).regex(ITEM_ID_PATTERN, "expected bl_ and 12 lowercase hex digits"),
  created_at: timestamp,
  updated_at: timestamp,
  title: z.string({ error: "required: 1 to 200 characters" }),
});

/**
 * What is wrong with an item as a stored record (an import), as `field: problem` lines: everything
 * create checks (schema, sizes, policy names; any status), plus its id and timestamps.
 */
export function storedItemProblems(raw: unknown, policy: Policy): string[] {
  const extras = storedItemExtras.safeParse(raw);
  const problems = extras.success ? [] : issueLines(extras.error);
  const field = (line: string) => line.slice(0, line.indexOf(":"));
  const named = new Set(problems.map(field));
  for (const line of itemProblems(raw, policy).problems) if (!named.has(field(line))) problems.push(line);
  return problems;
}

const storedEventSchema = z.strictObject({
  id: z.string({ error: "required: ev_ and 12 lowercase hex digits" }).regex(EVENT_ID_PATTERN, "expected ev_ and 12 lowercase hex digits"),
  item_id: z.string({ error: "required: the id of its item" }).regex(ITEM_ID_PATTERN, "expected bl_ and 12 lowercase hex digits"),
  ts: timestamp,
  type: z.enum(EVENT_TYPES, { error: expectedOneOf(EVENT_TYPES) }),
  message: z.string().max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`).optional(),
  actor: z.string().max(200, "must be at most 200 characters").refine((t) => !CONTROL.test(t), "must not contain control characters").optional(),
  meta: metaSchema.optional(),
});

/** What is wrong with an event as a stored record (an import), as `field: problem` lines. */
export function storedEventProblems(raw: unknown): string[] {
  const bad = badTextPath(raw);
  if (bad !== null) return [`${bad}: must not contain NUL or an unpaired UTF-16 surrogate`];
  const parsed = storedEventSchema.safeParse(raw);
  return parsed.success ? [] : issueLines(parsed.error);
}

/** The path of the first string (key or value) holding NUL or a lone surrogate, found without recursion. */
export function badTextPath(raw: unknown): string | null {
  const stack: Array<[unknown, string]> = [[raw, "(input)"]];
  let seen = 0;
  while (stack.length > 0 && seen < 1_000_000) {
    seen += 1;
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === "string") {
      if (hasNulOrLoneSurrogate(value)) return path;
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path === "(input)" ? key : `${path}.${key}`;
        if (hasNulOrLoneSurrogate(key)) return childPath;
        stack.push([child, childPath]);
      }
    }
  }
  return null;
}

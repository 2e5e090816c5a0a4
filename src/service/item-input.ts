/** Validation of item input for create/upsert, from flags or JSON, at the edge (zod). */
import { own } from "../domain/limits.js";
import * as z from "zod";
import { DATE_PATTERN, EVIDENCE_KINDS, type EvidenceRefs, PRIORITIES, SERVICE_PATTERN, SOURCES, STATUSES } from "../domain/item.js";
import { isCalendarDate } from "../domain/calendar.js";
import { expectedOneOf, issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import type { Policy } from "../policy/types.js";

export const MAX_TITLE = 200;
export const MAX_DESCRIPTION = 20_000;
export const MAX_META_BYTES = 64 * 1024;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const evidence = z.partialRecord(z.enum(EVIDENCE_KINDS, { error: expectedOneOf(EVIDENCE_KINDS) }), z.array(z.string().min(1)));

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
  tags: z.array(z.string().min(1).max(200)).optional(),
  evidence_refs: evidence.optional(),
  meta: z
    .record(z.string(), z.unknown())
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_META_BYTES, `must be at most ${MAX_META_BYTES} bytes serialized`)
    .optional(),
});

export type ItemInput = Omit<z.infer<typeof itemInputSchema>, "id" | "created_at" | "updated_at" | "evidence_refs"> & {
  evidence_refs?: EvidenceRefs;
};

/** Validates raw input against the schema and the policy (env and category names). */
export function parseItemInput(raw: unknown, policy: Policy, origin: string): ItemInput {
  const parsed = itemInputSchema.safeParse(raw);
  const problems = parsed.success ? [] : issueLines(parsed.error);
  if (parsed.success) {
    const { env, category } = parsed.data;
    if (env !== undefined && !policy.envs.includes(env)) problems.push(`env: expected one of ${policy.envs.join("|")}`);
    if (!own(policy.categories, category)) problems.push(`category: expected one of ${Object.keys(policy.categories).join("|")}`);
  }
  if (!parsed.success || problems.length > 0) {
    throw invalidInput(
      `invalid item (${origin}): ${problems.join("; ")}`,
      "Correct the values named above; `backlog create --help` lists every field.",
    );
  }
  const { id: _id, created_at: _c, updated_at: _u, evidence_refs, ...rest } = parsed.data;
  const input: ItemInput = { ...rest };
  if (evidence_refs) {
    input.evidence_refs = { alerts: [], incidents: [], release_checks: [], artifacts: [], followups: [], ...evidence_refs };
  }
  return input;
}

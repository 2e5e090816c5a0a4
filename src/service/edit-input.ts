/**
 * Validation of the changes of `edit` (CLI flags, the tool action `edit`, HTTP PATCH) at the edge.
 * Fields that `edit` does not change name the command that does (exit 2).
 */
import * as z from "zod";
import { isCalendarDate } from "../domain/calendar.js";
import type { EditChanges } from "../domain/edit.js";
import { DATE_PATTERN, EVIDENCE_KINDS, PRIORITIES } from "../domain/item.js";
import { expectedOneOf, issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import { LIMITS } from "../domain/limits.js";
import { badTextPath, MAX_DESCRIPTION, MAX_TITLE, metaSchema } from "./item-input.js";

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const line = (max: number) => z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`).refine((t) => !CONTROL.test(t), "must not contain control characters");
const tagList = z.array(line(LIMITS.tagChars)).max(LIMITS.tags, `at most ${LIMITS.tags} tags`);
const evidence = z.partialRecord(z.enum(EVIDENCE_KINDS, { error: expectedOneOf(EVIDENCE_KINDS) }), z.array(line(500)).max(LIMITS.refsPerKind, `at most ${LIMITS.refsPerKind} refs per kind`));

/** The fields `edit` refuses, with the command that changes them. */
export const NOT_EDITABLE: Readonly<Record<string, string>> = {
  status: "use `backlog set-status <id> <status>` or `backlog close <id>`",
  env: "an item's env is fixed: create a new item",
  service: "an item's service is fixed: create a new item",
  category: "an item's category is fixed: create a new item",
  dedupe_key: "the dedupe key is fixed: create a new item (or `backlog upsert` by key)",
  id: "ids are assigned by backlog and never change",
  created_at: "timestamps are kept by backlog",
  updated_at: "timestamps are kept by backlog",
};

export const editChangesSchema = z.strictObject({
  title: line(MAX_TITLE).optional(),
  description: z.string().max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`).optional(),
  owner: line(200).optional(),
  priority: z.enum(PRIORITIES, { error: expectedOneOf(PRIORITIES) }).optional(),
  due_date: z
    .string()
    .refine((d) => d === "" || (DATE_PATTERN.test(d) && isCalendarDate(d)), "expected a date YYYY-MM-DD (or null to clear)")
    .transform((d) => (d === "" ? null : d))
    .nullable()
    .optional(),
  tags: tagList.optional(),
  add_tags: tagList.optional(),
  remove_tags: tagList.optional(),
  evidence_refs: evidence.optional(),
  add_evidence: evidence.optional(),
  remove_evidence: evidence.optional(),
  meta: metaSchema.optional(),
});

/** Validates a changes object; exit 2 naming every problem (and the command for fixed fields). */
export function parseEditChanges(raw: unknown, origin: string): EditChanges {
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const fixed = Object.keys(raw).filter((key) => Object.hasOwn(NOT_EDITABLE, key));
    if (fixed.length > 0) {
      throw invalidInput(
        `edit (${origin}) cannot change ${fixed.join(", ")}`,
        fixed.map((key) => `${key}: ${NOT_EDITABLE[key]}.`).join(" "),
        "invalid_usage",
      );
    }
  }
  const badText = badTextPath(raw);
  if (badText !== null) throw invalidInput(`invalid changes (${origin}): ${badText}: must not contain NUL or unpaired surrogates`, "Remove the character and send the change again.");
  const parsed = editChangesSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalidInput(`invalid changes (${origin}): ${issueLines(parsed.error).join("; ")}`, "See `backlog edit --help` for the fields edit changes.");
  }
  const changes: EditChanges = {};
  for (const [key, value] of Object.entries(parsed.data)) if (value !== undefined) (changes as Record<string, unknown>)[key] = value;
  return changes;
}

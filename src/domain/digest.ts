/** The digest contracts of SPEC section 5 (weekly pressure digest, daily risk digest). */
import * as z from "zod";
import { isCalendarDate, isIsoWeek } from "./calendar.js";
import { EVIDENCE_KINDS, SERVICE_PATTERN } from "./item.js";
import { expectedOneOf } from "./validation.js";

export const BANDS = ["low", "medium", "high", "critical"] as const;
const band = z.enum(BANDS, { error: expectedOneOf(BANDS) });
const score = z.number().min(0, "must be ≥ 0");

// Unknown fields are allowed (and left to rules that may name them), hence looseObject.
export const digestServiceSchema = z.looseObject({
  service: z.string({ error: "required: the service name" }).regex(SERVICE_PATTERN, "expected a service name ([a-z0-9][a-z0-9._-]*)"),
  pressure_score: score.optional(),
  pressure_band: band.optional(),
  pressure_requires_arch_review: z.boolean().optional(),
  risk_score: score.optional(),
  risk_band: band.optional(),
  risk_has_slo_violations: z.boolean().optional(),
  followups_overdue: z.int().min(0).optional(),
  signals: z.array(z.string()).optional(),
  evidence_refs: z.partialRecord(z.enum(EVIDENCE_KINDS, { error: expectedOneOf(EVIDENCE_KINDS) }), z.array(z.string())).optional(),
});

const services = z.array(digestServiceSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    if (seen.has(entry.service)) ctx.addIssue({ code: "custom", path: [i, "service"], message: `duplicate service "${entry.service}"` });
    seen.add(entry.service);
  });
});

const week = z.string({ error: "required: the ISO week, e.g. 2026-W08" }).refine(isIsoWeek, "expected an ISO week YYYY-Www that exists (W53 only in long years)");

export const weeklyDigestSchema = z.looseObject({
  week,
  env: z.string().optional(),
  generated_at: z.string().refine((t) => !/^\d{4}-\d{2}-\d{2}/.test(t) || isCalendarDate(t.slice(0, 10)), "expected a real calendar date").optional(),
  services,
});

export const riskDigestSchema = z.looseObject({
  date: z.string({ error: "required: the day, YYYY-MM-DD" }).refine(isCalendarDate, "expected a date YYYY-MM-DD"),
  env: z.string().optional(),
  generated_at: z.string().refine((t) => !/^\d{4}-\d{2}-\d{2}/.test(t) || isCalendarDate(t.slice(0, 10)), "expected a real calendar date").optional(),
  services,
});

export type DigestService = z.infer<typeof digestServiceSchema>;

/** What generation needs of either digest: its week, env and services. */
export interface Digest {
  week: string;
  env: string | undefined;
  services: DigestService[];
}

/**
 * Response shapes of the API for /openapi.json. The domain declares items and events as
 * TypeScript interfaces; the zod shapes here are checked against them at compile time (both
 * ways), so a field added to BacklogItem or BacklogEvent without its schema fails `tsc`.
 */
import * as z from "zod";
import type { Dashboard } from "../domain/dashboard.js";
import { EVENT_TYPES, EVIDENCE_KINDS, PRIORITIES, SOURCES, STATUSES, type BacklogEvent, type BacklogItem } from "../domain/item.js";
import type { UpsertResult } from "../service/backlog-service.js";

const evidenceRefs = z.object(Object.fromEntries(EVIDENCE_KINDS.map((k) => [k, z.array(z.string())])) as Record<(typeof EVIDENCE_KINDS)[number], z.ZodArray<z.ZodString>>);

export const itemSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  env: z.string(),
  service: z.string(),
  category: z.string(),
  title: z.string(),
  description: z.string(),
  priority: z.enum(PRIORITIES),
  status: z.enum(STATUSES),
  owner: z.string(),
  due_date: z.string(),
  source: z.enum(SOURCES),
  dedupe_key: z.string(),
  evidence_refs: evidenceRefs,
  tags: z.array(z.string()),
  meta: z.record(z.string(), z.unknown()),
});

export const eventSchema = z.object({
  id: z.string(),
  item_id: z.string(),
  ts: z.string(),
  type: z.enum(EVENT_TYPES),
  message: z.string(),
  actor: z.string(),
  meta: z.record(z.string(), z.unknown()),
});

const counts = z.record(z.string(), z.number());
export const dashboardSchema = z.object({
  env: z.string(),
  total: z.number(),
  status_counts: counts,
  priority_counts: counts,
  category_counts: counts,
  overdue: z.array(itemSchema),
  overdue_count: z.number(),
  top_services: z.array(z.object({ service: z.string(), count: z.number() })),
});

export const itemWithEventsSchema = z.object({ item: itemSchema, events: z.array(eventSchema) });
export const upsertResultSchema = z.object({ action: z.enum(["created", "updated"]), item: itemSchema });
export const editResultSchema = z.object({ item: itemSchema, event: eventSchema.nullable() });
export const listResultSchema = z.object({ items: z.array(itemSchema), total: z.number(), limit: z.number().nullable(), offset: z.number() });

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string().nullable() }) });
export const healthSchema = z.object({ status: z.enum(["ok", "unavailable"]), backend: z.string(), version: z.string(), error: z.string().optional() });
/** The reports of generate, gate, cleanup and the tool actions: the CLI's --json shapes. */
export const reportSchema = z.looseObject({});

// Compile-time: each schema describes exactly the domain type (a drift is a type error).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const exact = <T extends true>(_: T) => undefined;
exact<Same<z.infer<typeof itemSchema>, BacklogItem>>(true);
exact<Same<z.infer<typeof eventSchema>, BacklogEvent>>(true);
exact<Same<z.infer<typeof dashboardSchema>, Dashboard>>(true);
exact<Same<z.infer<typeof upsertResultSchema>, UpsertResult>>(true);

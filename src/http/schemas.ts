/**
 * Response shapes of the API for /openapi.json. The domain declares items and events as
 * TypeScript interfaces; the zod shapes here are checked against them at compile time (both
 * ways), so a field added to BacklogItem or BacklogEvent without its schema fails `tsc`.
 */
import * as z from "zod";
import type { Dashboard } from "../domain/dashboard.js";
import { EVENT_TYPES, EVIDENCE_KINDS, PRIORITIES, SOURCES, STATUSES, type BacklogEvent, type BacklogItem } from "../domain/item.js";
import type { GateReport } from "../domain/gate.js";
import type { BacklogService, UpsertResult } from "../service/backlog-service.js";
import type { RunReport } from "../service/generate.js";
import type { ToolAction } from "../service/tool-protocol.js";
import type { CleanupReport } from "../store/types.js";

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
/** set-status: the item and the event (null when it already had that status). */
export const statusResultSchema = editResultSchema;
export const commentResultSchema = z.object({ event: eventSchema });
export const closeResultSchema = z.object({ item: itemSchema, events: z.array(eventSchema) });

const priorityCounts = z.partialRecord(z.enum(PRIORITIES), z.number());
const gateItemSchema = z.object({ id: z.string(), priority: z.enum(PRIORITIES), status: z.string(), due_date: z.string(), created_at: z.string(), owner: z.string(), service: z.string(), title: z.string() });
export const gateReportSchema = z.object({
  pass: z.boolean(),
  env: z.string(),
  service: z.string().nullable(),
  today: z.string(),
  thresholds: z.object({ max_overdue: z.number().nullable(), max_overdue_by_priority: priorityCounts, max_open: priorityCounts, max_age_days: z.number().nullable() }),
  overdue_count: z.number(),
  open_count: z.number(),
  violations: z.array(
    z.object({
      gate: z.enum(["max_overdue", "max_overdue_by_priority", "max_open", "max_age_days"]),
      priority: z.enum(PRIORITIES).nullable(),
      threshold: z.number(),
      actual: z.number(),
      message: z.string(),
      items: z.array(gateItemSchema),
    }),
  ),
});

export const generateReportSchema = z.object({
  week: z.string().nullable(),
  env: z.string(),
  digest: z.string().nullable(),
  dry_run: z.boolean(),
  created: z.number(),
  updated: z.number(),
  carried_over: z.number(),
  unchanged: z.number(),
  skipped: z.number(),
  cleared: z.number(),
  items: z.array(z.object({ action: z.enum(["created", "updated", "carried_over", "unchanged"]), id: z.string().nullable(), service: z.string(), category: z.string(), rule: z.string(), dedupe_key: z.string() })),
  skipped_items: z.array(z.object({ service: z.string(), category: z.string(), rule: z.string(), reason: z.string() })),
  cleared_items: z.array(z.object({ id: z.string(), service: z.string(), category: z.string(), dedupe_key: z.string(), last_week: z.string().nullable(), status: z.string() })),
});

export const cleanupReportSchema = z.object({
  deleted: z.number(),
  events_deleted: z.number(),
  lines_before: z.number(),
  lines_after: z.number(),
  bytes_before: z.number(),
  bytes_after: z.number(),
  quarantined: z.number(),
});

/** `list` through the tool protocol: the items, whole or only the fields asked for. */
export const toolListSchema = z.array(itemSchema.partial());

/** What each tool action answers (POST /v1/tools/execute answers one of them). */
export const TOOL_RESULT_SCHEMAS = {
  list: toolListSchema,
  get: itemWithEventsSchema,
  dashboard: dashboardSchema,
  create: upsertResultSchema,
  upsert: upsertResultSchema,
  set_status: statusResultSchema,
  edit: editResultSchema,
  add_comment: commentResultSchema,
  close: closeResultSchema,
  auto_generate_weekly: generateReportSchema,
  cleanup: cleanupReportSchema,
} as const satisfies Record<ToolAction, z.ZodType>;
export const toolResultSchema = z.union([...new Set<z.ZodType>(Object.values(TOOL_RESULT_SCHEMAS))]);

// Compile-time: each schema describes exactly the domain type (a drift is a type error).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const exact = <T extends true>(_: T) => undefined;
exact<Same<z.infer<typeof itemSchema>, BacklogItem>>(true);
exact<Same<z.infer<typeof eventSchema>, BacklogEvent>>(true);
exact<Same<z.infer<typeof dashboardSchema>, Dashboard>>(true);
exact<Same<z.infer<typeof upsertResultSchema>, UpsertResult>>(true);
exact<Same<z.infer<typeof gateReportSchema>, GateReport>>(true);
exact<Same<z.infer<typeof generateReportSchema>, RunReport>>(true);
exact<Same<z.infer<typeof cleanupReportSchema>, CleanupReport>>(true);
type Result<K extends keyof BacklogService> = BacklogService[K] extends (...args: never[]) => Promise<infer R> ? R : never;
exact<Same<z.infer<typeof statusResultSchema>, Result<"setStatus">>>(true);
exact<Same<z.infer<typeof editResultSchema>, Result<"edit">>>(true);
exact<Same<z.infer<typeof commentResultSchema>, Result<"comment">>>(true);
exact<Same<z.infer<typeof closeResultSchema>, Result<"close">>>(true);
exact<Same<z.infer<typeof itemWithEventsSchema>, Result<"get">>>(true);
exact<Same<z.infer<typeof cleanupReportSchema>, Result<"cleanup">>>(true);

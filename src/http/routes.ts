/**
 * The API's routes, once, as @hono/zod-openapi route configs: /openapi.json, the 405 check and
 * the validation of path and query parameters all come from this table. Request bodies are parsed
 * by the handlers through the very zod objects named here (parseItemInput, parseEditChanges, the
 * tool protocol), whose error messages name the field and the policy's values.
 */
import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import { issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import { editChangesSchema } from "../service/edit-input.js";
import { gateParamsSchema } from "../service/gate.js";
import { itemInputSchema } from "../service/item-input.js";
import { LIST_PARAMS } from "../service/list-query.js";
import { TOOL_ACTION_SCHEMAS } from "../service/tool-protocol.js";
import type { Env } from "./app.js";
import {
  cleanupReportSchema,
  closeResultSchema,
  commentResultSchema,
  dashboardSchema,
  editResultSchema,
  errorSchema,
  gateReportSchema,
  generateReportSchema,
  healthSchema,
  itemWithEventsSchema,
  listResultSchema,
  statusResultSchema,
  toolResultSchema,
  upsertResultSchema,
} from "./schemas.js";

export type Entitlement = "none" | "read" | "write" | "admin" | "per action";

const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });
const ERRORS = Object.fromEntries(
  (
    [
      [400, "invalid input"],
      [401, "no or bad token"],
      [403, "permission denied, read-only, or actor mismatch"],
      [404, "not found"],
      [409, "conflict"],
      [413, "body too large"],
      [415, "body is not application/json"],
      [503, "store unavailable"],
    ] as const
  ).map(([status, description]) => [status, json(errorSchema, description)]),
);
const body = (schema: z.ZodType) => ({ required: false, content: { "application/json": { schema } } });
const idParam = z.object({ id: z.string().describe("an item id like bl_0123456789ab") });
/** Without the fields the path fixes (action, id), as the action routes take them. */
function actionBody(action: keyof typeof TOOL_ACTION_SCHEMAS): z.ZodType {
  const schema = TOOL_ACTION_SCHEMAS[action] as z.ZodObject;
  return schema.omit(Object.fromEntries(["action", "id"].filter((k) => k in schema.shape).map((k) => [k, true])) as never);
}

export const dashboardQuery = z.strictObject({ env: z.string().min(1).default("prod") });
/** Every list parameter parseListQuery takes (a value or repeated values); it checks them all. */
export const listQuery = z.looseObject(Object.fromEntries(LIST_PARAMS.map((p) => [p, z.union([z.string(), z.array(z.string())]).optional()])));
export const generateQuery = z.strictObject({ env: z.string().min(1).optional() });
export const generateBody = z.strictObject({ dry_run: z.boolean({ error: "expected true or false" }).default(false), digest: z.record(z.string(), z.unknown(), { error: "expected the digest as an object" }).optional() });

const route = <R extends RouteConfig>(entitlement: Entitlement, config: R) =>
  createRoute({ ...config, "x-entitlement": entitlement, ...(entitlement === "none" ? { security: [] } : {}), responses: { ...config.responses, ...(config.path.startsWith("/v1/") ? ERRORS : {}) } });

export const API = {
  dashboard: route("read", { method: "get", path: "/v1/backlog/dashboard", summary: "dashboard of one env (default prod)", request: { query: dashboardQuery }, responses: { 200: json(dashboardSchema, "the dashboard") } }),
  list: route("read", { method: "get", path: "/v1/backlog/items", summary: `list items (limit ≤ 1000); parameters: ${LIST_PARAMS.join(", ")}`, request: { query: listQuery }, responses: { 200: json(listResultSchema, "a page of items and the total") } }),
  get: route("read", { method: "get", path: "/v1/backlog/items/{id}", summary: "one item with its events", request: { params: idParam }, responses: { 200: json(itemWithEventsSchema, "the item and its events") } }),
  create: route("write", { method: "post", path: "/v1/backlog/items", summary: "create an item (body as --from-json)", request: { body: body(itemInputSchema) }, responses: { 201: json(upsertResultSchema, "the new item") } }),
  upsert: route("write", { method: "post", path: "/v1/backlog/upsert", summary: "create or update by dedupe_key", request: { body: body(itemInputSchema) }, responses: { 200: json(upsertResultSchema, "updated"), 201: json(upsertResultSchema, "created") } }),
  edit: route("write", { method: "patch", path: "/v1/backlog/items/{id}", summary: "edit: title, description, owner, priority, due_date (null clears), tags, evidence_refs (replace), meta (merge)", request: { params: idParam, body: body(editChangesSchema) }, responses: { 200: json(editResultSchema, "the item and the edit event (null when nothing changed)") } }),
  setStatus: route("write", { method: "post", path: "/v1/backlog/items/{id}/status", summary: "set status {status, message}", request: { params: idParam, body: body(actionBody("set_status")) }, responses: { 200: json(statusResultSchema, "the item and the event (null when it already had that status)") } }),
  comment: route("write", { method: "post", path: "/v1/backlog/items/{id}/comments", summary: "comment {message}", request: { params: idParam, body: body(actionBody("add_comment")) }, responses: { 201: json(commentResultSchema, "the comment event") } }),
  close: route("write", { method: "post", path: "/v1/backlog/items/{id}/close", summary: "close {status: done|canceled, message}", request: { params: idParam, body: body(actionBody("close")) }, responses: { 200: json(closeResultSchema, "the item and its closing event (none when it already had that status)") } }),
  generate: route("admin", { method: "post", path: "/v1/backlog/generate/weekly", summary: "generate-weekly from a digest in the body (or the configured one)", request: { query: generateQuery, body: body(generateBody) }, responses: { 200: json(generateReportSchema, "the generate report") } }),
  cleanup: route("admin", { method: "post", path: "/v1/backlog/cleanup", summary: "cleanup {retention_days, dry_run}", request: { body: body(actionBody("cleanup")) }, responses: { 200: json(cleanupReportSchema, "the cleanup report") } }),
  gate: route("read", { method: "get", path: "/v1/backlog/gate", summary: "gate report", request: { query: gateParamsSchema }, responses: { 200: json(gateReportSchema, "the gate report (pass and the failed rules)") } }),
  tool: route("per action", { method: "post", path: "/v1/tools/execute", summary: "one backlog_tool request {action, ...params} (SPEC section 8)", request: { body: body(z.union(Object.values(TOOL_ACTION_SCHEMAS))) }, responses: { 200: json(toolResultSchema, "the action's result: list → items (whole or the fields asked for); get → item and events; dashboard; create, upsert → action and item; edit, set_status → item and event; add_comment → event; close → item and events; auto_generate_weekly → the generate report; cleanup → the cleanup report") } }),
  healthz: route("none", { method: "get", path: "/healthz", summary: "health", responses: { 200: json(healthSchema, "the store answers"), 503: json(healthSchema, "the store does not answer") } }),
  metrics: route("read", { method: "get", path: "/metrics", summary: "Prometheus metrics", responses: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } } } }),
  openapi: route("none", { method: "get", path: "/openapi.json", summary: "this document", responses: { 200: json(z.looseObject({}), "the OpenAPI 3.1 document") } }),
} as const;

/** A failed path or query validation: our error shape (400), through app.onError. */
export function validationHook(result: { success: boolean; error?: z.ZodError; target?: string }): void {
  if (result.success || result.error === undefined) return;
  const where = result.target === "param" ? "path" : (result.target ?? "request");
  throw invalidInput(`${where}: ${issueLines(result.error).join("; ")}`, "See GET /openapi.json for the parameters.", where === "query" ? "invalid_query" : "invalid_request");
}

/**
 * Serves one route: its path and query are validated by the route's schemas (the body by the
 * handler), and the whole config, body included, goes into the document.
 */
export function mount(app: OpenAPIHono<Env>, config: RouteConfig, handler: (c: Context<Env, any, any>) => Response | Promise<Response>): void {
  app.openAPIRegistry.registerPath(config);
  const { body: _documented, ...validated } = config.request ?? {};
  app.openapi({ ...config, request: validated, hide: true }, handler as never);
}

const pattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`);
const PATTERNS = Object.values(API).map((r) => pattern(r.path));

/** True when the path is served with some method (so another method is 405, not 404). */
export const isKnownPath = (path: string): boolean => PATTERNS.some((re) => re.test(path));

export function openApiDocument(app: OpenAPIHono<Env>, version: string): object {
  return app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "backlog", version }, security: [{ bearer: [] }] });
}

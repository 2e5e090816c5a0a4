/**
 * The reference backlog_tool's protocol (SPEC section 8): parse, validate and dispatch one request.
 * Shared by `backlog tool` and `POST /v1/tools/execute`; each action maps to one service call.
 */
import * as z from "zod";
import { MAX_COUNT } from "../domain/limits.js";
import { ITEM_ID_PATTERN, STATUSES } from "../domain/item.js";
import { expectedOneOf, issueLines } from "../domain/validation.js";
import { BacklogError, ExitCode, invalidInput } from "../errors.js";
import type { Policy } from "../policy/types.js";
import { BacklogService } from "./backlog-service.js";
import { runGenerate } from "./generate.js";
import { parseEditChanges } from "./edit-input.js";
import { parseListQuery } from "./list-query.js";
import { selectFields } from "../domain/query.js";
import { parseItemInput } from "./item-input.js";

const id = z.string({ error: "required: an item id like bl_0123456789ab" }).regex(ITEM_ID_PATTERN, "expected an item id like bl_0123456789ab");
const status = z.enum(STATUSES, { error: expectedOneOf(STATUSES) });
const message = z.string({ error: "required: a non-empty string" }).trim().min(1, "must not be empty").max(20_000);
const count = z.int({ error: "expected a whole number" }).min(0, "must be ≥ 0").max(MAX_COUNT, `must be ≤ ${MAX_COUNT}`);
const common = { action: z.string(), actor: z.string().min(1).optional() };
const item = z.record(z.string(), z.unknown(), { error: "required: the item as an object" });

/** Each action's parameters; exported so the HTTP action routes document their bodies with these very schemas. */
export const TOOL_ACTION_SCHEMAS = {
  // Filters as `list` takes them (one parser for every door), checked by parseListQuery.
  list: z.looseObject({ ...common }),
  get: z.strictObject({ ...common, id }),
  dashboard: z.strictObject({ ...common, env: z.string().default("prod") }),
  // A top-level env beside the item is the item's env when it has none (the reference's form).
  create: z.strictObject({ ...common, env: z.string().min(1).optional(), item }),
  upsert: z.strictObject({ ...common, env: z.string().min(1).optional(), item }),
  set_status: z.strictObject({ ...common, id, status, message: message.optional() }),
  edit: z.strictObject({ ...common, id, changes: z.unknown() }),
  add_comment: z.strictObject({ ...common, id, message }),
  close: z.strictObject({ ...common, id, status: z.enum(["done", "canceled"], { error: expectedOneOf(["done", "canceled"]) }).default("done"), message: message.optional() }),
  auto_generate_weekly: z.strictObject({ ...common, env: z.string().optional(), digest: z.string().min(1).optional(), digest_dir: z.string().min(1).optional(), dry_run: z.boolean().default(false) }),
  cleanup: z.strictObject({ ...common, retention_days: count.optional(), dry_run: z.boolean().default(false) }),
} as const;

/**
 * Each action with its parameters (`name` required, `name?` optional), read from the schemas above
 * so that help cannot drift from what is accepted. `list` also takes the filters of `backlog list`.
 */
export function toolActionSignatures(): Array<{ action: ToolAction; params: string[] }> {
  return (Object.entries(TOOL_ACTION_SCHEMAS) as Array<[ToolAction, z.ZodObject]>).map(([action, schema]) => ({
    action,
    params: [
      ...Object.entries(schema.shape)
        .filter(([name]) => name !== "action" && name !== "actor")
        .map(([name, field]) => ((field as z.ZodType).safeParse(undefined).success ? `${name}?` : name)),
      ...(action === "list" ? ["…list filters"] : []),
      "actor?",
    ],
  }));
}

export type ToolAction = keyof typeof TOOL_ACTION_SCHEMAS;
export const TOOL_ACTIONS = Object.keys(TOOL_ACTION_SCHEMAS) as ToolAction[];
export const TOOL_NAME = "backlog_tool";

export interface ToolRequest {
  action: ToolAction;
  params: Record<string, any>;
}

/** Who calls: the caller's service (its actor), and whether that identity was given explicitly. */
export interface ToolCaller {
  service: BacklogService;
  policy: Policy;
  /** True when the identity came from --actor, $BACKLOG_ACTOR or a token; then a request actor must match. */
  actorExplicit: boolean;
  /** Where a digest path in auto_generate_weekly is resolved, and the variables it may name. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export const badToolRequest = (problem: string) =>
  invalidInput(`tool request: ${problem}`, `Send {"action": "<${TOOL_ACTIONS.join("|")}>", ...}; see \`backlog tool --help\`.`, "invalid_request");

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Unwraps the envelope forms: `{"tool":"backlog_tool", ...}` and parameters inside `"params"`.
 * A parameter given both at the top level and in `params` with different values is ambiguous.
 */
function unwrap(raw: Record<string, unknown>): Record<string, unknown> {
  const { tool, params, ...rest } = raw;
  if (tool !== undefined && tool !== TOOL_NAME) {
    throw badToolRequest(`tool: unknown tool ${JSON.stringify(tool)} (only "${TOOL_NAME}" is served here)`);
  }
  if (params === undefined) return rest;
  if (!isObject(params)) throw badToolRequest("params: expected an object of parameters");
  const merged: Record<string, unknown> = { ...rest };
  for (const [key, value] of Object.entries(params)) {
    if (key in merged && JSON.stringify(merged[key]) !== JSON.stringify(value)) {
      throw badToolRequest(`params.${key}: differs from the top-level ${key}; give it once`);
    }
    merged[key] = value;
  }
  return merged;
}

export function parseToolRequest(raw: unknown): ToolRequest {
  if (!isObject(raw)) throw badToolRequest("expected one JSON object");
  const request = unwrap(raw);
  const action = request.action;
  if (typeof action !== "string") throw badToolRequest("action: required, one of " + TOOL_ACTIONS.join("|"));
  if (!Object.hasOwn(TOOL_ACTION_SCHEMAS, action)) throw badToolRequest(`action: unknown action "${action}" (expected one of ${TOOL_ACTIONS.join("|")})`);
  const parsed = TOOL_ACTION_SCHEMAS[action as ToolAction].safeParse(request);
  if (!parsed.success) throw badToolRequest(issueLines(parsed.error).join("; "));
  return { action: action as ToolAction, params: parsed.data };
}

/** Identity comes from the caller; a request actor only fills in when the caller has none. */
function serviceFor(caller: ToolCaller, requested: string | undefined): BacklogService {
  const own = caller.service.deps.actor;
  if (requested === undefined || requested === own) return caller.service;
  if (caller.actorExplicit) {
    throw new BacklogError(
      "actor_mismatch",
      ExitCode.permissionDenied,
      `tool request: actor "${requested}" differs from the caller's identity "${own}"`,
      `Drop "actor" from the request, or call as "${requested}" (--actor / $BACKLOG_ACTOR / that actor's token).`,
    );
  }
  return new BacklogService({ ...caller.service.deps, actor: requested });
}

function itemWithEnv(p: Record<string, any>): Record<string, unknown> {
  if (p.env === undefined) return p.item;
  const own = p.item.env;
  if (own !== undefined && own !== p.env) {
    throw badToolRequest(`env: the request's env "${p.env}" differs from item.env "${String(own)}"; give one`);
  }
  return { ...p.item, env: p.env };
}

/**
 * The list action's result (an array of items, or of their chosen fields), handed to `each` a page
 * of `size` at a time: `backlog tool` prints a large answer as it is read.
 */
export async function listInPages(caller: ToolCaller, p: Record<string, any>, size: number, each: (items: unknown[]) => void): Promise<void> {
  const service = serviceFor(caller, p.actor);
  const { action: _action, actor: _actor, ...filters } = p;
  const query = parseListQuery(filters, caller.policy, { maxLimit: MAX_COUNT });
  const fields = query.fields;
  await service.listInPages(query, size, (items) => each(fields ? items.map((i) => selectFields(i, fields)) : items));
}

export async function executeTool(caller: ToolCaller, { action, params: p }: ToolRequest): Promise<unknown> {
  const service = serviceFor(caller, p.actor);
  switch (action) {
    case "list": {
      const shown: unknown[] = [];
      await listInPages(caller, p, Number.POSITIVE_INFINITY, (items) => {
        for (const item of items) shown.push(item);
      });
      return shown;
    }
    case "get":
      return service.get(p.id);
    case "dashboard":
      return service.dashboard(p.env);
    case "create":
      return service.create(parseItemInput(itemWithEnv(p), caller.policy, "item"));
    case "upsert":
      return service.upsert(parseItemInput(itemWithEnv(p), caller.policy, "item"));
    case "edit":
      return service.edit(p.id, parseEditChanges(p.changes, "changes"));
    case "set_status":
      return service.setStatus(p.id, p.status, p.message);
    case "add_comment":
      return service.comment(p.id, p.message);
    case "close":
      return service.close(p.id, p.status, p.message);
    case "auto_generate_weekly":
      return (await runGenerate(service, "weekly", { location: { file: p.digest, dir: p.digest_dir, cwd: caller.cwd, variables: caller.env }, env: p.env, dryRun: p.dry_run })).report;
    case "cleanup":
      return service.cleanup(p.retention_days, p.dry_run);
  }
}

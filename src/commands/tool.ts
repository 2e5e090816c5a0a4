/**
 * `backlog tool '<json>'`: the reference backlog_tool's protocol. Each action maps to one service
 * call, with the same RBAC, and prints the JSON the matching command prints with --json.
 */
import { MAX_COUNT } from "../domain/limits.js";
import * as z from "zod";
import { isCalendarDate } from "../domain/calendar.js";
import { ITEM_ID_PATTERN, PRIORITIES, STATUSES } from "../domain/item.js";
import { expectedOneOf, issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import type { Context } from "../context.js";
import { BacklogService } from "../service/backlog-service.js";
import { runGenerate } from "../service/generate.js";
import { parseItemInput } from "../service/item-input.js";
import { readJsonInput } from "./write.js";
import { commaList, examples, type Register } from "./kit.js";

const id = z.string({ error: "required: an item id like bl_0123456789ab" }).regex(ITEM_ID_PATTERN, "expected an item id like bl_0123456789ab");
const status = z.enum(STATUSES, { error: expectedOneOf(STATUSES) });
const message = z.string({ error: "required: a non-empty string" }).trim().min(1, "must not be empty").max(20_000);
const count = z.int({ error: "expected a whole number" }).min(0, "must be ≥ 0").max(MAX_COUNT, `must be ≤ ${MAX_COUNT}`);
const common = { action: z.string(), actor: z.string().min(1).optional() };

const ACTIONS = {
  list: z.strictObject({
    ...common,
    env: z.string().optional(),
    service: z.string().optional(),
    // "open,blocked" as the CLI takes it, or a list.
    status: z.preprocess((v) => (typeof v === "string" ? commaList(v) : v), z.array(status, { error: "expected a list of statuses or a comma-separated string" })).optional(),
    owner: z.string().optional(),
    category: z.string().optional(),
    priority: z.enum(PRIORITIES, { error: expectedOneOf(PRIORITIES) }).optional(),
    due_before: z.string().refine(isCalendarDate, "expected a date YYYY-MM-DD").optional(),
    overdue: z.boolean().optional(),
    limit: count.default(50),
    offset: count.default(0),
    all: z.boolean().optional(),
  }),
  get: z.strictObject({ ...common, id }),
  dashboard: z.strictObject({ ...common, env: z.string().default("prod") }),
  create: z.strictObject({ ...common, item: z.record(z.string(), z.unknown(), { error: "required: the item as an object" }) }),
  upsert: z.strictObject({ ...common, item: z.record(z.string(), z.unknown(), { error: "required: the item as an object" }) }),
  set_status: z.strictObject({ ...common, id, status, message: message.optional() }),
  add_comment: z.strictObject({ ...common, id, message }),
  close: z.strictObject({ ...common, id, status: z.enum(["done", "canceled"], { error: expectedOneOf(["done", "canceled"]) }).default("done"), message: message.optional() }),
  auto_generate_weekly: z.strictObject({ ...common, env: z.string().optional(), digest: z.string().min(1).optional(), digest_dir: z.string().min(1).optional(), dry_run: z.boolean().default(false) }),
  cleanup: z.strictObject({ ...common, retention_days: count.optional(), dry_run: z.boolean().default(false) }),
} as const;

type Action = keyof typeof ACTIONS;
const ACTION_NAMES = Object.keys(ACTIONS) as Action[];

const badRequest = (problem: string) =>
  invalidInput(`tool request: ${problem}`, `Send {"action": "<${ACTION_NAMES.join("|")}>", ...}; see \`backlog tool --help\`.`, "invalid_request");

export function parseRequest(raw: unknown): { action: Action; params: Record<string, any> } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw badRequest("expected one JSON object");
  const action = (raw as Record<string, unknown>).action;
  if (typeof action !== "string") throw badRequest("action: required, one of " + ACTION_NAMES.join("|"));
  if (!(ACTION_NAMES as string[]).includes(action)) throw badRequest(`action: unknown action "${action}" (expected one of ${ACTION_NAMES.join("|")})`);
  const parsed = ACTIONS[action as Action].safeParse(raw);
  if (!parsed.success) throw badRequest(issueLines(parsed.error).join("; "));
  return { action: action as Action, params: parsed.data };
}

export async function dispatch(ctx: Context, action: Action, p: Record<string, any>): Promise<unknown> {
  const service = p.actor === undefined ? ctx.service : new BacklogService({ ...ctx.service.deps, actor: p.actor });
  switch (action) {
    case "list": {
      const { items } = await service.list({ env: p.env, service: p.service, statuses: p.status, owner: p.owner, category: p.category, priority: p.priority, dueBefore: p.due_before, overdue: p.overdue, limit: p.all ? null : p.limit, offset: p.offset });
      return items;
    }
    case "get":
      return service.get(p.id);
    case "dashboard":
      return service.dashboard(p.env);
    case "create":
      return service.create(parseItemInput(p.item, ctx.policy, "item"));
    case "upsert":
      return service.upsert(parseItemInput(p.item, ctx.policy, "item"));
    case "set_status":
      return service.setStatus(p.id, p.status, p.message);
    case "add_comment":
      return service.comment(p.id, p.message);
    case "close":
      return service.close(p.id, p.status, p.message);
    case "auto_generate_weekly":
      return (await runGenerate(service, "weekly", { location: { file: p.digest, dir: p.digest_dir, cwd: ctx.cwd, variables: ctx.env }, env: p.env, dryRun: p.dry_run })).report;
    case "cleanup":
      return service.cleanup(p.retention_days, p.dry_run);
  }
}

export const registerTool: Register = (program, run) => {
  program
    .command("tool")
    .description(`run one action of the backlog_tool protocol (${ACTION_NAMES.join(", ")}); prints its JSON result`)
    .argument("[request]", "the request as JSON, or - to read it from stdin")
    .addHelpText(
      "after",
      examples([
        `backlog tool '{"action":"create","item":{"service":"gateway","category":"security","title":"Rotate keys"}}'`,
        `backlog tool '{"action":"set_status","id":"bl_0123456789ab","status":"in_progress","actor":"oncall"}'`,
        `echo '{"action":"auto_generate_weekly","env":"prod","actor":"scheduler"}' | backlog tool -`,
      ]),
    )
    .action(
      run(async (ctx, [request]) => {
        if (request === undefined) throw badRequest("missing: pass the request as an argument, or - to read it from stdin");
        let raw: unknown;
        if (request === "-") raw = readJsonInput("-", ctx.cwd, "tool request");
        else {
          try {
            raw = JSON.parse(request);
          } catch (error) {
            throw badRequest(`not valid JSON: ${(error as Error).message}`);
          }
        }
        const { action, params } = parseRequest(raw);
        const data = await dispatch(ctx, action, params);
        return { data, raw: `${JSON.stringify(data, null, 2)}\n`, human: () => "" };
      }, { jsonErrors: true }),
    );
};

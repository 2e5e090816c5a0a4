/** Read commands: list, get, dashboard. */
import { MAX_COUNT } from "../domain/limits.js";
import * as z from "zod";
import { isCalendarDate } from "../domain/calendar.js";
import { ITEM_ID_PATTERN, PRIORITIES, STATUSES } from "../domain/item.js";
import { expectedOneOf } from "../domain/validation.js";
import { renderDashboard } from "../output/render-dashboard.js";
import { renderItemDetail, renderItemList } from "../output/render-items.js";
import { commaList, examples, parseArg, parseOptions, type Register } from "./kit.js";

const count = z.string().regex(/^\d{1,9}$/, `expected a whole number from 0 to ${MAX_COUNT}`).transform(Number);
const date = z.string().refine(isCalendarDate, "expected a date YYYY-MM-DD");
export const itemId = z.string().regex(ITEM_ID_PATTERN, "expected an item id like bl_0123456789ab");

const listOptions = z.object({
  env: z.string().optional(),
  service: z.string().optional(),
  status: z.array(z.enum(STATUSES, { error: expectedOneOf(STATUSES) })).optional(),
  owner: z.string().optional(),
  category: z.string().optional(),
  priority: z.enum(PRIORITIES, { error: expectedOneOf(PRIORITIES) }).optional(),
  dueBefore: date.optional(),
  overdue: z.boolean().optional(),
  limit: count.default(50),
  offset: count.default(0),
  all: z.boolean().optional(),
  jsonl: z.boolean().optional(),
});

export const registerRead: Register = (program, run) => {
  program
    .command("list")
    .description("list items, sorted by priority, due date (empty last), created_at, id")
    .option("--env <env>", "only this environment")
    .option("--service <name>", "only this service")
    .option("--status <list>", "only these statuses, comma-separated (open,in_progress,...)")
    .option("--owner <owner>", "only this owner")
    .option("--category <category>", "only this category")
    .option("--priority <P0-P3>", "only this priority")
    .option("--due-before <YYYY-MM-DD>", "due date set and earlier than this day")
    .option("--overdue", "not done/canceled and due before today (UTC)")
    .option("--limit <n>", "at most n items", "50")
    .option("--offset <n>", "skip the first n items", "0")
    .option("--all", "no limit")
    .option("--jsonl", "one JSON item per line")
    .addHelpText(
      "after",
      examples([
        "backlog list --env prod --status open,in_progress",
        "backlog list --overdue --priority P0 --json | jq -r '.[].id'",
        "backlog list --owner cto --all --jsonl > cto.jsonl",
      ]),
    )
    .action(
      run(async (ctx, _args, raw) => {
        const opts = parseOptions(listOptions, { ...raw, status: commaList(raw.status as string | undefined) }, "list");
        const { items, total } = await ctx.service.list({
          env: opts.env,
          service: opts.service,
          statuses: opts.status,
          owner: opts.owner,
          category: opts.category,
          priority: opts.priority,
          dueBefore: opts.dueBefore,
          overdue: opts.overdue,
          limit: opts.all ? null : opts.limit,
          offset: opts.offset,
        });
        if (opts.jsonl) {
          const text = items.map((i) => `${JSON.stringify(i)}\n`).join("");
          return { data: items, raw: text, human: () => text };
        }
        return { data: items, human: (style) => renderItemList(items, total, opts.offset, style) };
      }),
    );

  program
    .command("get")
    .description("show one item and its event timeline (oldest first)")
    .argument("<id>", "item id (bl_...)")
    .addHelpText("after", examples(["backlog get bl_0123456789ab", "backlog get bl_0123456789ab --json | jq '.events[].message'"]))
    .action(
      run(async (ctx, [id]) => {
        const result = await ctx.service.get(parseArg(itemId, id, "id", "get"));
        return { data: result, human: (style) => renderItemDetail(result.item, result.events, style) };
      }),
    );

  program
    .command("dashboard")
    .description("counts by status, priority and category, overdue items and the busiest services")
    .option("--env <env>", "environment", "prod")
    .addHelpText("after", examples(["backlog dashboard", "backlog dashboard --env staging --json | jq .overdue_count"]))
    .action(
      run(async (ctx, _args, opts) => {
        const dashboard = await ctx.service.dashboard(String(opts.env));
        return { data: dashboard, human: (style) => renderDashboard(dashboard, ctx.service.today(), style) };
      }),
    );
};

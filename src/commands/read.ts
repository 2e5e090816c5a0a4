/** Read commands: list, get, dashboard. */
import { MAX_COUNT } from "../domain/limits.js";
import * as z from "zod";
import { ITEM_ID_PATTERN } from "../domain/item.js";
import { renderDashboard } from "../output/render-dashboard.js";
import { renderItemDetail, renderItemList } from "../output/render-items.js";
import type { Context } from "../context.js";
import { safeInline } from "../output/sanitize.js";
import { parseListQuery } from "../service/list-query.js";
import { examples, parseArg, type Register } from "./kit.js";

export const itemId = z.string().regex(ITEM_ID_PATTERN, "expected an item id like bl_0123456789ab");

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * A read that matched nothing says which store it read when that store holds no items at all: a
 * wrong --dir, $BACKLOG_DIR or working directory shows at once instead of passing for a clean backlog.
 */
export async function noteIfEmpty(ctx: Context, command: string): Promise<void> {
  if ((await ctx.service.list({ limit: 0, offset: 0 })).total > 0) return;
  ctx.warn(`${command}: no items found in the ${ctx.store.backend} store at ${safeInline(ctx.store.location)}`);
}

export const registerRead: Register = (program, run) => {
  program
    .command("list")
    .description("list items, sorted by priority, due date (empty last), created_at, id")
    .option("--env <env>", "only this environment (a policy env)", collect, [])
    .option("--service <name>", "only this service", collect, [])
    .option("--status <list>", "only these statuses: comma list or repeated; `all` for every status (default open,in_progress,blocked)", collect, [])
    .option("--owner <owner>", "only this owner", collect, [])
    .option("--category <category>", "only this category", collect, [])
    .option("--priority <P0-P3>", "only this priority", collect, [])
    .option("--due-before <YYYY-MM-DD>", "due date set and earlier than this day")
    .option("--overdue", "not done/canceled and due before today (UTC)")
    .option("--limit <n>", "at most n items (default 50)")
    .option("--offset <n>", "skip the first n items")
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
        const query = parseListQuery(
          {
            env: raw.env as string[],
            service: raw.service as string[],
            status: raw.status as string[],
            owner: raw.owner as string[],
            category: raw.category as string[],
            priority: raw.priority as string[],
            due_before: raw.dueBefore as string | undefined,
            overdue: raw.overdue as boolean | undefined,
            limit: raw.limit as string | undefined,
            offset: raw.offset as string | undefined,
            all: raw.all as boolean | undefined,
          },
          ctx.policy,
          { maxLimit: MAX_COUNT, flagNames: true },
        );
        const { items, total } = await ctx.service.list(query);
        if (total === 0) await noteIfEmpty(ctx, "list");
        else if (items.length < total - query.offset) ctx.warn(`showing ${items.length} of ${total} (use --limit N or --all)`);
        if (raw.jsonl) {
          const text = items.map((i) => `${JSON.stringify(i)}\n`).join("");
          return { data: items, raw: text, human: () => text };
        }
        return { data: items, human: (style) => renderItemList(items, total, query.offset, style) };
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
        if (dashboard.total === 0) await noteIfEmpty(ctx, "dashboard");
        return { data: dashboard, human: (style) => renderDashboard(dashboard, ctx.service.today(), style) };
      }),
    );
};

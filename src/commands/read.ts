/** Read commands: list, get, dashboard. */
import { MAX_COUNT } from "../domain/limits.js";
import { ITEM_ID_PATTERN } from "../domain/item.js";
import { renderDashboard } from "../output/render-dashboard.js";
import { itemRow, renderItemDetail, writeItemList } from "../output/render-items.js";
import type { Context } from "../context.js";
import { safeInline } from "../output/sanitize.js";
import { checkEnum, parseListQuery } from "../service/list-query.js";
import { ITEM_FIELDS, type ItemFieldName } from "../domain/query.js";
import { fieldRow, type Format, FORMATS, pagedText, writeFieldTable } from "../output/formats.js";
import type { Style } from "../output/style.js";
import { PackedRows } from "../output/table.js";
import type { BacklogItem } from "../domain/item.js";
import { invalidInput } from "../errors.js";
import { examples, lazySchema, parseArg, type Register, zod } from "./kit.js";

export const itemId = lazySchema(() => zod().string().regex(ITEM_ID_PATTERN, "expected an item id like bl_0123456789ab"));

/** An id argument: a well-formed one without building the schema, which reports any other. */
export const idArg = (id: string, command: string): string => (ITEM_ID_PATTERN.test(id) ? id : parseArg(itemId(), id, "id", command));

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The columns of csv/tsv/markdown without --fields: those of the list table. */
const DEFAULT_FIELDS: readonly ItemFieldName[] = ["id", "priority", "status", "due_date", "owner", "env", "service", "category", "title"];

/**
 * Items read and written at a time by the formats that need not hold the whole answer: few enough
 * that a page's text (50 pretty-printed items, ~80 KB) is an ordinary young object, made and
 * dropped without V8's large-object space (with 200, `list --all --json` of 100k items peaked at
 * 210 MB once the young generation was kept small, against 107 MB with 50).
 */
const PAGE_SIZE = 50;

/** `--format`, with `--json`/`--jsonl` as its shorthands; two that disagree are exit 2. */
function listFormat(format: string | undefined, jsonl: boolean, json: boolean): Format {
  const chosen = format === undefined ? undefined : (checkEnum("--format", format, FORMATS) as Format);
  const asked = [...(chosen ? [chosen] : []), ...(jsonl ? ["jsonl" as const] : []), ...(json ? ["json" as const] : [])];
  const distinct = [...new Set(asked)];
  if (distinct.length > 1) {
    const given = [chosen && `--format ${chosen}`, jsonl && "--jsonl", json && "--json"].filter(Boolean).join(", ");
    throw invalidInput(`conflicting output formats: ${given}`, "Give one of --format, --json or --jsonl.", "invalid_usage");
  }
  return distinct[0] ?? "table";
}

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
    .option("--env <list>", "only these environments (policy envs): comma list or repeated", collect, [])
    .option("--service <list>", "only these services", collect, [])
    .option("--status <list>", "only these statuses: comma list or repeated; `all` for every status (default open,in_progress,blocked)", collect, [])
    .option("--owner <list>", "only these owners", collect, [])
    .option("--category <list>", "only these categories", collect, [])
    .option("--priority <list>", "only these priorities (P0-P3)", collect, [])
    .option("--tag <tag>", "only items with this tag (repeatable: all must match)", collect, [])
    .option("--week <YYYY-Www>", "only items tagged week:YYYY-Www")
    .option("--since <when>", "updated since a date YYYY-MM-DD, an ISO timestamp, or a span back from now: 7d, 24h")
    .option("--search <text>", "case-insensitive text in title, description, service, owner, id, dedupe key or tags")
    .option("--sort <keys>", "sort by priority|due|created|updated|service|status|title, comma list, -KEY descending")
    .option("--due-before <YYYY-MM-DD>", "due date set and earlier than this day")
    .option("--overdue", "not done/canceled and due before today (UTC)")
    .option("--limit <n>", "at most n items (default 50)")
    .option("--offset <n>", "skip the first n items")
    .option("--all", "no limit")
    .option("--format <format>", `output format: ${FORMATS.join("|")} (default table)`)
    .option("--fields <list>", `fields to show, comma list: ${ITEM_FIELDS.join(",")}`)
    .option("--jsonl", "one JSON item per line (same as --format jsonl)")
    .addHelpText(
      "after",
      examples([
        "backlog list --env prod --status open,in_progress",
        "backlog list --overdue --priority P0 --json | jq -r '.[].id'",
        "backlog list --owner cto --all --jsonl > cto.jsonl",
        "backlog list --search timeout --tag security --sort -updated",
        "backlog list --since 7d --format csv --fields id,title,owner > recent.csv",
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
            tag: raw.tag as string[],
            week: raw.week as string | undefined,
            since: raw.since as string | undefined,
            search: raw.search as string | undefined,
            sort: raw.sort as string | undefined,
            fields: raw.fields as string | undefined,
            due_before: raw.dueBefore as string | undefined,
            overdue: raw.overdue as boolean | undefined,
            limit: raw.limit as string | undefined,
            offset: raw.offset as string | undefined,
            all: raw.all as boolean | undefined,
          },
          ctx.policy,
          { maxLimit: MAX_COUNT, flagNames: true },
        );
        const format = listFormat(raw.format as string | undefined, raw.jsonl === true, ctx.mode.json);
        const warnings = async (total: number, shown: number) => {
          if (total === 0) await noteIfEmpty(ctx, "list");
          else if (shown < total - query.offset) ctx.warn(`showing ${shown} of ${total} (use --limit N or --all)`);
        };
        if (format === "table") {
          // A table's columns fit its widest cells: the rows are kept (not the items, each row one string) until all are read.
          const stream = async (write: (text: string) => void, styleOf: () => Promise<Style>) => {
            const style = await styleOf();
            const rows = new PackedRows();
            const row = query.fields ? (item: BacklogItem) => fieldRow(item, query.fields ?? []) : (item: BacklogItem) => itemRow(item, style);
            const { total, shown } = await ctx.service.listInPages(query, PAGE_SIZE, (items) => {
              for (const item of items) rows.push(row(item));
            });
            await warnings(total, shown);
            if (query.fields) writeFieldTable(rows, query.fields, style, write);
            else writeItemList(rows, total, query.offset, style, write);
          };
          return { data: null, human: () => "", stream };
        }
        // Every other format (and --json) is written a page of items at a time, as they are read.
        const paged = pagedText(format, query.fields, DEFAULT_FIELDS);
        const stream = async (write: (text: string) => void) => {
          const { total, shown } = await ctx.service.listInPages(query, PAGE_SIZE, (items) => write(paged.page(items)));
          write(paged.end());
          await warnings(total, shown);
        };
        return { data: null, human: () => "", stream };
      }),
    );

  program
    .command("get")
    .description("show one item and its event timeline (oldest first)")
    .argument("<id>", "item id (bl_...)")
    .addHelpText("after", examples(["backlog get bl_0123456789ab", "backlog get bl_0123456789ab --json | jq '.events[].message'"]))
    .action(
      run(async (ctx, [id]) => {
        const result = await ctx.service.get(idArg(id, "get"));
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

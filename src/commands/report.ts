/** report (week-over-week figures) and log (the event feed across items). */
import { EVENT_TYPES } from "../domain/item.js";
import { expectedOneOf } from "../domain/validation.js";
import { renderReportMarkdown, renderReportText } from "../output/render-report.js";
import { jsonArrayStream } from "../output/formats.js";
import type { Style } from "../output/style.js";
import { cell, PackedRows, writeTable } from "../output/table.js";
import { eventLogInPages } from "../service/event-log.js";
import { checkEnum, wholeNumber } from "../service/list-query.js";
import { buildReport, MAX_REPORT_WEEKS } from "../service/report.js";
import { examples, lazySchema, parseOptions, type Register, zod } from "./kit.js";

const FORMATS = ["text", "json", "markdown", "html"] as const;
/** report's options, read as list reads its own (no zod to set up for the one command). */
function reportOptions(raw: Record<string, unknown>): { env: string; weeks: number; format?: (typeof FORMATS)[number] } {
  const format = raw.format === undefined ? undefined : (checkEnum("--format", String(raw.format), FORMATS) as (typeof FORMATS)[number]);
  return { env: String(raw.env ?? "prod"), weeks: wholeNumber("--weeks", raw.weeks as string | undefined, 1, MAX_REPORT_WEEKS, 8), format };
}

/** The most events one `log` prints. */
const MAX_LOG_EVENTS = 100_000;
/** Events made and written at a time (see PAGE_SIZE in read.ts). */
const LOG_PAGE = 50;
const LOG_HEAD = ["TIME", "ITEM", "TYPE", "ACTOR", "TITLE", "MESSAGE"];

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const duration = () =>
  zod()
    .string()
    .regex(/^\d{1,5}[hdw]$/, "expected a duration like 12h, 7d or 4w")
    .transform((s) => Number(s.slice(0, -1)) * UNIT_MS[s.slice(-1)]);

const logOptions = lazySchema(() => {
  const z = zod();
  return z.object({
    since: duration().default(7 * 86_400_000),
    env: z.string().optional(),
    service: z.string().optional(),
    actor: z.string().optional(),
    type: z.enum(EVENT_TYPES, { error: expectedOneOf(EVENT_TYPES) }).optional(),
  });
});

export const registerReport: Register = (program, run) => {
  program
    .command("report")
    .description("week-over-week figures: created, done, canceled, active and overdue per ISO week; top services")
    .option("--env <env>", "environment", "prod")
    .option("--weeks <n>", "how many ISO weeks, up to the current one", "8")
    .option("--format <format>", "text, json, markdown (wiki / PR comment) or html (one self-contained file)")
    .addHelpText(
      "after",
      examples([
        "backlog report --env prod --weeks 12",
        "backlog report --format markdown >> $GITHUB_STEP_SUMMARY",
        "backlog report --weeks 26 --format html > report.html",
        "backlog report --json | jq '.weeks[-1]'",
      ]),
    )
    .action(
      run(async (ctx, _args, raw) => {
        const opts = reportOptions(raw);
        const report = await buildReport(ctx.service, { env: opts.env, weeks: opts.weeks });
        const format = opts.format ?? (ctx.mode.json ? "json" : "text");
        if (format === "json") return { data: report, human: () => "", raw: `${JSON.stringify(report, null, 2)}\n` };
        if (format === "markdown") return { data: report, human: () => "", raw: renderReportMarkdown(report) };
        if (format === "html") {
          const { renderReportHtml } = await import("../web/report-page.js");
          return { data: report, human: () => "", raw: renderReportHtml(report) };
        }
        return { data: report, human: (style) => renderReportText(report, style) };
      }),
    );

  program
    .command("log")
    .description("the events across items, newest first, with each item's title (git log for the backlog)")
    .option("--since <duration>", "how far back: 12h, 7d, 4w", "7d")
    .option("--env <env>", "only items of this environment")
    .option("--service <name>", "only items of this service")
    .option("--actor <name>", "only events by this actor")
    .option("--type <type>", `only this event type (${EVENT_TYPES.join("|")})`)
    .option("--limit <n>", "at most n events", "100")
    .addHelpText("after", examples(["backlog log --since 1d", "backlog log --env prod --type status_change --json | jq -r '.[].item_title'"]))
    .action(
      run(async (ctx, _args, raw) => {
        // --limit is checked as every command's whole numbers are (list-query.ts).
        const { since, ...rest } = parseOptions(logOptions(), raw, "log");
        const limit = wholeNumber("--limit", raw.limit as string | undefined, 1, MAX_LOG_EVENTS, 100);
        const query = { sinceMs: since, ...rest, limit };
        if (ctx.mode.json) {
          // The JSON array written a page at a time, as the events are made.
          return { data: null, human: () => "", stream: jsonArrayStream((page) => eventLogInPages(ctx.service, query, LOG_PAGE, page)) };
        }
        // A table's columns fit its widest cells: the rows are kept (each one string) until all are made.
        const stream = async (write: (text: string) => void, styleOf: () => Promise<Style>) => {
          const style = await styleOf();
          const rows = new PackedRows();
          await eventLogInPages(ctx.service, query, LOG_PAGE, (events) => {
            for (const e of events) rows.push([cell(e.ts.slice(0, 19).replace("T", " ")), cell(e.item_id), cell(e.type), cell(e.actor), cell(e.item_title ?? "(item removed)", 60), cell(e.message)]);
          });
          if (rows.length === 0) return void write("No events in that period.\n");
          writeTable(LOG_HEAD.map((h) => style.chalk.bold(h)), rows, style.width, [], write);
          write("\n");
        };
        return { data: null, human: () => "", stream };
      }),
    );
};

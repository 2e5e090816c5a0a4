/** generate-weekly and generate-daily. */
import * as z from "zod";
import { type GenerateOutcome, type RunAction, runGenerate } from "../service/generate.js";
import type { Style } from "../output/style.js";
import { safeInline } from "../output/sanitize.js";
import { cell, renderTable } from "../output/table.js";
import { examples, type Register, parseOptions } from "./kit.js";

const options = z.object({
  env: z.string().optional(),
  digest: z.string().min(1).optional(),
  digestDir: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
  requireCurrent: z.boolean().optional(),
  quiet: z.boolean().optional(),
});

const ACTION_STYLE: Record<RunAction, (c: Style["chalk"], text: string) => string> = {
  created: (c, t) => c.green(t),
  carried_over: (c, t) => c.cyan(t),
  updated: (c, t) => c.yellow(t),
  unchanged: (c, t) => c.dim(t),
};

function renderOutcome({ report, disabled }: GenerateOutcome, command: string, style: Style): string {
  const c = style.chalk;
  if (disabled) return `${disabled}\n`;
  const would = report.dry_run ? "would be " : "";
  const lines = [
    c.bold(`${command} · ${report.week} · ${cell(report.env)} · ${cell(report.digest ?? "")}`),
    `Created ${report.created} · carried over ${report.carried_over} · updated ${report.updated} · unchanged ${report.unchanged} · ` +
      `skipped ${report.skipped} · cleared ${report.cleared}${report.dry_run ? " (dry run: counts of what would be written)" : ""}`,
  ];
  if (report.items.length > 0) {
    lines.push(
      renderTable(
        ["ACTION", "ID", "SERVICE", "CATEGORY", "RULE"].map((h) => c.bold(h)),
        report.items.map((i) => [ACTION_STYLE[i.action](c, i.action), i.id ?? "(new)", cell(i.service), cell(i.category), cell(i.rule)]),
      ),
    );
  }
  if (report.skipped_items.length > 0) {
    lines.push(c.bold("Skipped"), renderTable(["SERVICE", "CATEGORY", "RULE", "REASON"].map((h) => c.bold(h)), report.skipped_items.map((s) => [cell(s.service), cell(s.category), cell(s.rule), cell(s.reason)])));
  }
  if (report.cleared_items.length > 0) {
    lines.push(
      c.bold(`Cleared: no rule matched them this week (${would}left open; close them when the work is done)`),
      renderTable(
        ["ID", "SERVICE", "CATEGORY", "STATUS", "LAST WEEK"].map((h) => c.bold(h)),
        report.cleared_items.map((i) => [i.id, cell(i.service), cell(i.category), cell(i.status), cell(i.last_week ?? "")]),
      ),
    );
  }
  if (report.dry_run) lines.push(c.dim("Dry run: nothing was written."));
  return `${lines.join("\n")}\n`;
}

export const registerGenerate: Register = (program, run) => {
  const variants = [
    { which: "weekly" as const, command: "generate-weekly", what: "platform (pressure) digest", file: "ops/reports/platform/YYYY-Www.json", dirVar: "$BACKLOG_DIGEST_DIR" },
    { which: "daily" as const, command: "generate-daily", what: "risk digest (when the policy enables it)", file: "ops/reports/risk/YYYY-MM-DD.json", dirVar: "$BACKLOG_RISK_DIGEST_DIR" },
  ];
  for (const v of variants) {
    program
      .command(v.command)
      .description(`upsert the backlog items the policy's rules call for, from the newest ${v.what} (admin)`)
      .option("--env <env>", "environment (default: the digest's env, else prod)")
      .option("--digest <file>", `the digest to use (default: the newest ${v.file})`)
      .option("--digest-dir <dir>", `where digests are (default ${v.dirVar}, else ${v.file.replace(/\/[^/]+$/, "")})`)
      .option("--dry-run", "report what would be written, write nothing")
      .option("--require-current", "exit 3 when the newest digest is older than the current ISO week (for cron)")
      .option("--quiet", "print nothing on success (cron mails only failures); errors still go to stderr")
      .addHelpText(
        "after",
        examples([`backlog ${v.command} --actor scheduler`, `backlog ${v.command} --actor scheduler --dry-run --json | jq '.items[] | select(.action=="created")'`, `backlog ${v.command} --actor scheduler --require-current --quiet`]),
      )
      .action(
        run(async (ctx, _args, raw) => {
          const opts = parseOptions(options, raw, v.command);
          const outcome = await runGenerate(ctx.service, v.which, {
            location: { file: opts.digest, dir: opts.digestDir, cwd: ctx.cwd, variables: ctx.env },
            env: opts.env,
            dryRun: opts.dryRun === true,
            requireCurrent: opts.requireCurrent === true,
          });
          if (outcome.stale) ctx.warn(safeInline(outcome.stale));
          if (outcome.disabled && (ctx.mode.json || opts.quiet)) ctx.warn(outcome.disabled);
          if (opts.quiet) return { data: outcome.report, human: () => "", raw: "" };
          return { data: outcome.report, human: (style) => renderOutcome(outcome, v.command, style) };
        }),
      );
  }
};

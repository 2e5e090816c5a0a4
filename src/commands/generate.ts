/** generate-weekly and generate-daily. */
import * as z from "zod";
import { type GenerateOutcome, type RunReport, runGenerate } from "../service/generate.js";
import type { Style } from "../output/style.js";
import { cell, renderTable } from "../output/table.js";
import { examples, type Register, parseOptions } from "./kit.js";

const options = z.object({
  env: z.string().optional(),
  digest: z.string().min(1).optional(),
  digestDir: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
});

function renderOutcome({ report, disabled, changed }: GenerateOutcome, command: string, style: Style): string {
  const c = style.chalk;
  if (disabled) return `${disabled}\n`;
  // An update that found the item already up to date wrote nothing (in a dry run: would write nothing).
  const isUnchanged = (i: RunReport["items"][number]) => i.action === "updated" && i.id !== null && !changed.has(i.id);
  const unchanged = report.items.filter(isUnchanged).length;
  const lines = [
    c.bold(`${command} · ${report.week} · ${cell(report.env)} · ${cell(report.digest ?? "")}`),
    `${report.dry_run ? "Would create" : "Created"} ${report.created} · ${report.dry_run ? "would update" : "updated"} ${report.updated}` +
      `${unchanged > 0 ? ` (${unchanged} already up to date)` : ""} · skipped ${report.skipped}`,
  ];
  if (report.items.length > 0) {
    lines.push(
      renderTable(
        ["ACTION", "ID", "SERVICE", "CATEGORY", "RULE"].map((h) => c.bold(h)),
        report.items.map((i) => [
          i.action === "created" ? c.green(i.action) : isUnchanged(i) ? c.dim("unchanged") : c.yellow(i.action),
          i.id ?? "(new)",
          cell(i.service),
          cell(i.category),
          cell(i.rule),
        ]),
      ),
    );
  }
  if (report.skipped_items.length > 0) {
    lines.push(c.bold("Skipped"), renderTable(["SERVICE", "CATEGORY", "RULE", "REASON"].map((h) => c.bold(h)), report.skipped_items.map((s) => [cell(s.service), cell(s.category), cell(s.rule), cell(s.reason)])));
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
      .addHelpText(
        "after",
        examples([`backlog ${v.command} --actor scheduler`, `backlog ${v.command} --actor scheduler --dry-run --json | jq '.items[] | select(.action=="created")'`]),
      )
      .action(
        run(async (ctx, _args, raw) => {
          const opts = parseOptions(options, raw, v.command);
          const outcome = await runGenerate(ctx.service, v.which, {
            location: { file: opts.digest, dir: opts.digestDir, cwd: ctx.cwd, variables: ctx.env },
            env: opts.env,
            dryRun: opts.dryRun === true,
          });
          if (outcome.disabled && ctx.mode.json) ctx.warn(outcome.disabled);
          return { data: outcome.report, human: (style) => renderOutcome(outcome, v.command, style) };
        }),
      );
  }
};

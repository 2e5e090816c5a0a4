/** gate: fail (exit 10) when the backlog exceeds its thresholds. */
import type { GateReport } from "../domain/gate.js";
import { issueLines } from "../domain/validation.js";
import { ExitCode, invalidInput } from "../errors.js";
import { gateOptionsOf, gateParamsSchema, runGate } from "../service/gate.js";
import type { Style } from "../output/style.js";
import { cell, drawTable } from "../output/table.js";
import { examples, type Register } from "./kit.js";
import { noteIfEmpty } from "./read.js";

/** The gate's report for humans, handed to `write` a part at a time (a failing gate can list 25k items). */
function writeGate(r: GateReport, style: Style, write: (text: string) => void): void {
  const c = style.chalk;
  const scope = `${cell(r.env)}${r.service ? `/${cell(r.service)}` : ""}`;
  if (r.pass) {
    return void write(`${c.green("PASS")} ${scope}: ${r.open_count} open, ${r.overdue_count} overdue; no threshold exceeded.\n`);
  }
  write(`${c.bold.red("FAIL")} ${scope}: ${r.violations.length} gate violation${r.violations.length === 1 ? "" : "s"}\n`);
  for (const v of r.violations) {
    write(`\n${c.red("✗")} ${v.gate}${v.priority ? ` ${v.priority}` : ""}: ${v.message}\n`);
    drawTable(
      ["ID", "PRI", "STATUS", "DUE", "OWNER", "SERVICE", "TITLE"].map((h) => c.bold(h)),
      v.items.map((i) => [i.id, style.priority(i.priority), style.status(i.status), i.due_date || "-", cell(i.owner, 16), cell(i.service, 24), cell(i.title)]),
      style.width,
      [],
      (part) => write(`${part}\n`),
    );
  }
}

export const registerGate: Register = (program, run) => {
  program
    .command("gate")
    .description("check the backlog against thresholds (flags override the policy's gates); exit 10 when any is exceeded")
    .option("--env <env>", "environment", "prod")
    .option("--service <name>", "only this service")
    .option("--max-overdue <n>", "overdue items allowed (all priorities)")
    .option("--max-overdue-by-priority <P=N,...>", "overdue items allowed per priority, e.g. P0=0,P1=2")
    .option("--max-open <P=N,...>", "open (not done/canceled) items allowed per priority, e.g. P0=3,P1=10")
    .option("--max-age-days <n>", "open items older than this many days fail")
    .addHelpText(
      "after",
      examples(["backlog gate --env prod || notify-oncall", "backlog gate --max-overdue-by-priority P0=0 --json | jq '.violations[].items[].id'"]),
    )
    .action(
      run(async (ctx, _args, raw) => {
        const parsed = gateParamsSchema.safeParse({ env: raw.env, service: raw.service, max_overdue: raw.maxOverdue, max_overdue_by_priority: raw.maxOverdueByPriority, max_open: raw.maxOpen, max_age_days: raw.maxAgeDays });
        if (!parsed.success) {
          const problems = issueLines(parsed.error).map((line) => line.replace(/^([a-z_]+)(?=:)/, (key) => `--${key.replace(/_/g, "-")}`));
          throw invalidInput(problems.join("; "), "See `backlog gate --help`.", "invalid_usage");
        }
        const report = await runGate(ctx.service, gateOptionsOf(parsed.data));
        await noteIfEmpty(ctx, "gate");
        // With --json the report is printed whole (as JSON); for humans, a part at a time.
        const stream = ctx.mode.json ? undefined : async (write: (text: string) => void, style: () => Promise<Style>) => writeGate(report, await style(), write);
        return { data: report, human: () => "", stream, exitCode: report.pass ? ExitCode.ok : ExitCode.gateFailed };
      }),
    );
};

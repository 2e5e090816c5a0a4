/** gate: fail (exit 10) when the backlog exceeds its thresholds. */
import { MAX_COUNT } from "../domain/limits.js";
import * as z from "zod";
import type { GateReport } from "../domain/gate.js";
import { PRIORITIES } from "../domain/item.js";
import { ExitCode } from "../errors.js";
import { runGate } from "../service/gate.js";
import type { Style } from "../output/style.js";
import { cell, renderTable } from "../output/table.js";
import { examples, type Register, parseOptions } from "./kit.js";

const whole = z.string().regex(/^\d{1,9}$/, `expected a whole number from 0 to ${MAX_COUNT}`).transform(Number);
const byPriority = z
  .string()
  .regex(new RegExp(`^(${PRIORITIES.join("|")})=\\d+(,(${PRIORITIES.join("|")})=\\d+)*$`), "expected P=N pairs, e.g. P0=0,P1=2")
  .transform((text) => Object.fromEntries(text.split(",").map((pair) => [pair.split("=")[0], Number(pair.split("=")[1])])));

const options = z.object({
  env: z.string().default("prod"),
  service: z.string().optional(),
  maxOverdue: whole.optional(),
  maxOverdueByPriority: byPriority.optional(),
  maxOpen: byPriority.optional(),
  maxAgeDays: whole.optional(),
});

function renderGate(r: GateReport, style: Style): string {
  const c = style.chalk;
  const scope = `${cell(r.env)}${r.service ? `/${cell(r.service)}` : ""}`;
  if (r.pass) {
    return `${c.green("PASS")} ${scope}: ${r.open_count} open, ${r.overdue_count} overdue; no threshold exceeded.\n`;
  }
  const lines = [`${c.bold.red("FAIL")} ${scope}: ${r.violations.length} gate violation${r.violations.length === 1 ? "" : "s"}`];
  for (const v of r.violations) {
    lines.push("", `${c.red("✗")} ${v.gate}${v.priority ? ` ${v.priority}` : ""}: ${v.message}`);
    lines.push(
      renderTable(
        ["ID", "PRI", "STATUS", "DUE", "OWNER", "SERVICE", "TITLE"].map((h) => c.bold(h)),
        v.items.map((i) => [i.id, style.priority(i.priority), style.status(i.status), i.due_date || "-", cell(i.owner, 16), cell(i.service, 24), cell(i.title)]),
        style.width,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
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
        const opts = parseOptions(options, raw, "gate");
        const overrides = Object.fromEntries(
          Object.entries({
            max_overdue: opts.maxOverdue,
            max_overdue_by_priority: opts.maxOverdueByPriority,
            max_open: opts.maxOpen,
            max_age_days: opts.maxAgeDays,
          }).filter(([, v]) => v !== undefined),
        );
        const report = await runGate(ctx.service, { env: opts.env, service: opts.service, overrides });
        return { data: report, human: (style) => renderGate(report, style), exitCode: report.pass ? ExitCode.ok : ExitCode.gateFailed };
      }),
    );
};

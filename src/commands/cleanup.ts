/** cleanup: drop expired done/canceled items and their events, and compact the log. */
import { MAX_RETENTION_DAYS } from "../domain/limits.js";
import * as z from "zod";
import { examples, type Register, parseOptions } from "./kit.js";

const options = z.object({
  retentionDays: z.string().regex(/^\d{1,5}$/, `expected a whole number of days from 0 to ${MAX_RETENTION_DAYS}`).transform(Number).refine((n) => n <= MAX_RETENTION_DAYS, `expected a whole number of days from 0 to ${MAX_RETENTION_DAYS}`).optional(),
  dryRun: z.boolean().optional(),
});

const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);

export const registerCleanup: Register = (program, run) => {
  program
    .command("cleanup")
    .description("remove done/canceled items older than the retention (and their events); always compacts items.jsonl (admin)")
    .option("--retention-days <n>", "days to keep done/canceled items (default: policy defaults.retention_days)")
    .option("--dry-run", "report what would change, write nothing")
    .addHelpText("after", examples(["backlog cleanup --actor scheduler", "backlog cleanup --actor scheduler --retention-days 30 --dry-run --json"]))
    .action(
      run(async (ctx, _args, raw) => {
        const opts = parseOptions(options, raw, "cleanup");
        const r = await ctx.service.cleanup(opts.retentionDays, opts.dryRun === true);
        const verb = opts.dryRun ? "Dry run: would remove" : "Removed";
        return {
          data: r,
          human: () =>
            `${verb} ${r.deleted} item${r.deleted === 1 ? "" : "s"} past retention and ${r.events_deleted} of their events.\n` +
            `items.jsonl: ${r.lines_before} → ${r.lines_after} lines, ${kb(r.bytes_before)} → ${kb(r.bytes_after)}.\n` +
            (r.quarantined > 0 ? `Quarantined ${r.quarantined} unreadable line${r.quarantined === 1 ? "" : "s"} (see *.jsonl.quarantine).\n` : ""),
        };
      }),
    );
};

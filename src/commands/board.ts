/** `backlog board --output FILE`: the dashboard as one self-contained HTML file. */
import * as z from "zod";
import { dataDir } from "../store/open-store.js";
import { outputOutsideStore } from "../store/output-guard.js";
import { writeFileAtomically } from "../store/jsonl-file.js";
import { DEFAULT_ENV, renderDashboardHtml } from "../web/routes.js";
import { examples, parseOptions, type Register } from "./kit.js";

const boardOptions = z.object({ output: z.string().min(1, "expected a file name"), env: z.string().min(1) });

export const registerBoard: Register = (program, run) => {
  program
    .command("board")
    .description("write the dashboard of an env as one self-contained HTML file (CSS and chart inline)")
    .requiredOption("--output <file>", "the HTML file to write (atomically)")
    .option("--env <env>", "environment", DEFAULT_ENV)
    .addHelpText("after", examples(["backlog board --output board.html", "backlog board --env staging --output /srv/www/staging.html"]))
    .action(
      run(async (ctx, _args, raw) => {
        const opts = parseOptions(boardOptions, raw, "board");
        const store = dataDir({ dir: program.opts().dir as string | undefined, cwd: ctx.cwd, env: ctx.env });
        const target = outputOutsideStore(store, ctx.cwd, opts.output, "board");
        const html = await renderDashboardHtml(ctx.service, opts.env, { inlineCss: true });
        writeFileAtomically(target, html);
        return { data: { output: target, env: opts.env, bytes: Buffer.byteLength(html) }, human: () => `Wrote the ${opts.env} board to ${opts.output}.\n` };
      }),
    );
};

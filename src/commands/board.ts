/** `backlog board --output FILE`: the dashboard as one self-contained HTML file. */
import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import * as z from "zod";
import { invalidInput } from "../errors.js";
import { dataDir } from "../store/open-store.js";
import { writeFileAtomically } from "../store/jsonl-file.js";
import { DEFAULT_ENV, renderDashboardHtml } from "../web/routes.js";
import { examples, parseOptions, type Register } from "./kit.js";

const boardOptions = z.object({ output: z.string().min(1, "expected a file name"), env: z.string().min(1) });

const real = (path: string) => (existsSync(path) ? realpathSync(path) : path);

/** The path a write would land on, symlinks followed, so that a link into the store is caught too. */
function landingPath(path: string): string {
  return existsSync(path) ? realpathSync(path) : resolve(real(dirname(path)), basename(path));
}

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
        const target = landingPath(resolve(ctx.cwd, opts.output));
        const store = real(dataDir({ dir: program.opts().dir as string | undefined, cwd: ctx.cwd, env: ctx.env }));
        if (target === store || target.startsWith(`${store}/`)) {
          throw invalidInput(`refusing to write ${opts.output}: it is inside the data directory ${store}`, "Write the board somewhere outside the store, e.g. --output board.html.", "output_is_store");
        }
        const html = await renderDashboardHtml(ctx.service, opts.env, { inlineCss: true });
        writeFileAtomically(target, html);
        return { data: { output: target, env: opts.env, bytes: Buffer.byteLength(html) }, human: () => `Wrote the ${opts.env} board to ${opts.output}.\n` };
      }),
    );
};

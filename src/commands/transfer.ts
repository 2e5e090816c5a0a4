/** migrate, export, import. */
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { invalidInput } from "../errors.js";
import { runExport, runImport, runMigrate } from "../service/transfer.js";
import { linesOf, writeFileAtomicallyFrom } from "../store/jsonl-file.js";
import { keepYoungGenerationSmall } from "../store/jsonl-index.js";
import { dataDir } from "../store/open-store.js";
import { outputOutsideStore } from "../store/output-guard.js";
import { examples, type Register } from "./kit.js";

export const registerTransfer: Register = (program, run) => {
  program
    .command("migrate")
    .description("create or upgrade the PostgreSQL schema, idempotently (admin)")
    .option("--dry-run", "print the SQL that would run, change nothing")
    .addHelpText("after", examples(["backlog migrate --backend postgres --actor scheduler", "backlog migrate --backend postgres --actor scheduler --dry-run"]))
    .action(
      run(async (ctx, _args, opts) => {
        const r = await runMigrate(ctx.service, opts.dryRun === true);
        return {
          data: r,
          human: () => {
            if (r.version === null && r.applied.length === 0 && r.sql === "") return `The ${r.backend} backend has no schema to migrate.\n`;
            if (r.applied.length === 0) return `Schema is up to date (version ${r.version}).\n`;
            return opts.dryRun ? r.sql : `Applied migration${r.applied.length === 1 ? "" : "s"} ${r.applied.join(", ")}; schema version ${r.version}.\n`;
          },
        };
      }),
    );

  program
    .command("export")
    .description("write the whole store (items, then events) as JSONL, to stdout or --output")
    .option("--output <file>", "write to this file (atomically) instead of stdout")
    .addHelpText("after", examples(["backlog export > backlog.jsonl", "backlog export --output backup.jsonl --json"]))
    .action(
      run(async (ctx, _args, opts) => {
        // Checked before reading the store, and the target is written only after the snapshot.
        const store = dataDir({ dir: program.opts().dir as string | undefined, cwd: ctx.cwd, env: ctx.env });
        const target = opts.output === undefined ? null : outputOutsideStore(store, ctx.cwd, String(opts.output), "export");
        // To stdout: written as it is read. To a file: a temp file renamed into place once whole.
        if (target === null) return { data: null, human: () => "", stream: async (write) => void (await runExport(ctx.service, write)) };
        let counts = { items: 0, events: 0 };
        await writeFileAtomicallyFrom(target, async (write) => {
          counts = await runExport(ctx.service, write);
        });
        return { data: counts, human: () => `Exported ${counts.items} items and ${counts.events} events to ${String(opts.output)}.\n` };
      }),
    );

  program
    .command("import")
    .description("load an export into the configured backend in one transaction; re-importing changes nothing (admin)")
    .argument("<file>", "a file written by `backlog export`, or - for stdin")
    .addHelpText("after", examples(["backlog export --dir ops/backlog > move.jsonl && backlog import move.jsonl --backend postgres --actor scheduler"]))
    .action(
      run(async (ctx, [file]) => {
        const unreadable = (error: unknown) => invalidInput(`cannot read ${file}: ${(error as Error).message}`, "Pass a file written by `backlog export`, or - for stdin.");
        const imported = (r: { items: number; events: number }) => ({ data: r, human: () => `Imported ${r.items} items and ${r.events} events.\n` });
        const origin = file === "-" ? "stdin" : file;
        let fd: number;
        try {
          fd = file === "-" ? 0 : openSync(resolve(ctx.cwd, file), "r");
        } catch (error) {
          throw unreadable(error);
        }
        // Standard input, a pipe (`import <(ssh host backlog export)`) or any other stream can be read
        // only once, from its start: it is read whole.
        let stream: boolean;
        try {
          stream = !fstatSync(fd).isFile();
        } catch (error) {
          if (fd !== 0) closeSync(fd);
          throw unreadable(error);
        }
        if (stream) {
          let text: string;
          try {
            text = readFileSync(fd, "utf8");
          } catch (error) {
            throw unreadable(error);
          } finally {
            if (fd !== 0) closeSync(fd);
          }
          return imported(await runImport(ctx.service, text, origin));
        }
        // A file is read a chunk at a time, never held whole (an export of a large store is hundreds
        // of MB), and twice: once to check every record, once to write them.
        try {
          // Only a failed read is the file's fault.
          const lines = function* (): Generator<string> {
            const reading = linesOf(fd);
            for (;;) {
              let next: IteratorResult<string>;
              try {
                next = reading.next();
              } catch (error) {
                throw unreadable(error);
              }
              if (next.done) return;
              yield next.value;
            }
          };
          // One long pass over every record, twice: V8's generations kept small meanwhile, as while
          // indexing (an import of 100k items into an empty store peaked at 144-289 MB from one run
          // to the next, at 122-125 MB with this, for some 15% more time).
          keepYoungGenerationSmall();
          return imported(await runImport(ctx.service, lines, origin));
        } finally {
          if (fd !== 0) closeSync(fd);
        }
      }),
    );
};

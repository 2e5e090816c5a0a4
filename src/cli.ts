/**
 * Wiring: global options, the commands, output, and the one place that maps errors to exit codes.
 * The process is never ended with process.exit(): stdout is always flushed to slow readers.
 */
import { Command, CommanderError } from "commander";
import { registerCleanup } from "./commands/cleanup.js";
import { registerGate } from "./commands/gate.js";
import { registerGenerate } from "./commands/generate.js";
import type { Handler, Runner } from "./commands/kit.js";
import { registerRead } from "./commands/read.js";
import { registerTool } from "./commands/tool.js";
import { registerTransfer } from "./commands/transfer.js";
import { registerWrite } from "./commands/write.js";
import { type Context, createContext, type GlobalOptions } from "./context.js";
import { BacklogError, ExitCode } from "./errors.js";
import { createStyle } from "./output/style.js";

declare const __BACKLOG_VERSION__: string;
const VERSION = typeof __BACKLOG_VERSION__ === "string" ? __BACKLOG_VERSION__ : "0.0.0-dev";

interface Io {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

const HELP_FOOTER = `
Global options go anywhere on the line. Environment: BACKLOG_DIR, BACKLOG_POLICY, BACKLOG_BACKEND,
BACKLOG_ACTOR, BACKLOG_NOW, BACKLOG_LOCK_TIMEOUT_MS, NO_COLOR.
Exit codes: 0 ok, 1 unexpected, 2 invalid input, 3 not found, 4 conflict, 5 permission denied,
6 storage unavailable, 10 gate failed.

Examples:
  $ backlog generate-weekly --actor scheduler && backlog dashboard
  $ backlog list --status open --priority P0
  $ backlog set-status bl_0123456789ab in_progress --message "on it"
`;

function reportError(io: Io, json: boolean, error: unknown): number {
  const known = error instanceof BacklogError;
  const code = known ? error.code : "internal_error";
  const message = known ? error.message : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  const hint = known ? error.hint : "This is a bug: please report it with the command line and the output above.";
  if (json) {
    io.stderr.write(`${JSON.stringify({ error: { code, message, hint: hint ?? null } })}\n`);
  } else {
    io.stderr.write(`backlog: ${message}\n${hint ? `${hint}\n` : ""}`);
    if (!known && error instanceof Error && io.env.BACKLOG_DEBUG) io.stderr.write(`${error.stack}\n`);
  }
  return known ? error.exitCode : ExitCode.unexpected;
}

export async function main(io: Io): Promise<number> {
  // The tool protocol always answers in JSON, errors included.
  let wantsJson = io.argv.includes("--json") || io.argv.find((arg) => !arg.startsWith("-")) === "tool";
  let exitCode: number = ExitCode.ok;
  let context: Context | undefined;
  const program = new Command("backlog");

  const run: Runner = (handler: Handler, options = {}) => async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    wantsJson = wantsJson || options.jsonErrors === true;
    const args = command.processedArgs as string[];
    const opts = command.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
    context = await createContext(opts, {
      cwd: io.cwd,
      env: io.env,
      stdout: io.stdout,
      warn: (m) => io.stderr.write(opts.json ? `${JSON.stringify({ warning: m })}\n` : `backlog: warning: ${m}\n`),
    });
    const result = await handler(context, args, command.opts());
    if (result.raw !== undefined) io.stdout.write(result.raw);
    else if (context.mode.json) io.stdout.write(`${JSON.stringify(result.data, null, 2)}\n`);
    else io.stdout.write(result.human(createStyle(context.mode)));
    exitCode = result.exitCode ?? ExitCode.ok;
  };

  program
    .version(VERSION, "-V, --version", "print the version")
    .description("Turns weekly risk/pressure digests into a deduplicated, owned, due-dated engineering backlog.")
    .option("--dir <path>", "data directory of the JSONL store (default $BACKLOG_DIR, else ops/backlog)")
    .option("--policy <file>", "policy file (default $BACKLOG_POLICY, else config/backlog_policy.yml)")
    .option("--backend <name>", "jsonl, postgres, memory, null or auto (default $BACKLOG_BACKEND, else jsonl)")
    .option("--dsn-file <file>", "file holding the PostgreSQL DSN (else $BACKLOG_POSTGRES_DSN, else $POSTGRES_DSN)")
    .option("--actor <name>", "who acts, for RBAC and events (default $BACKLOG_ACTOR, else the OS user)")
    .option("--json", "print the result as JSON (errors as JSON on stderr)")
    .option("--no-color", "no colour (also off when stdout is not a TTY or NO_COLOR is set)")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .addHelpText("after", HELP_FOOTER)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander's own parse errors are reported below, in the program's format.
      outputError: () => undefined,
    });

  registerRead(program, run);
  registerWrite(program, run);
  registerGenerate(program, run);
  registerCleanup(program, run);
  registerGate(program, run);
  registerTool(program, run);
  registerTransfer(program, run);
  for (const command of program.commands) command.exitOverride();

  try {
    if (io.argv.length === 0) {
      program.outputHelp();
      return ExitCode.ok;
    }
    await program.parseAsync(io.argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok; // --help, --version
      const message = error.message.replace(/^error: /, "");
      return reportError(io, wantsJson, new BacklogError("invalid_usage", ExitCode.invalid, message, "Run `backlog --help` (or `backlog <command> --help`) for usage."));
    }
    exitCode = reportError(io, wantsJson, error);
  } finally {
    await context?.store.close();
  }
  return exitCode;
}

const io: Io = { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr };
main(io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`backlog: unexpected failure: ${String(error)}\n`);
    process.exitCode = ExitCode.unexpected;
  },
);

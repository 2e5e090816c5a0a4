/**
 * Wiring: global options, the commands, output, and the one place that maps errors to exit codes.
 * The process is never ended with process.exit(): stdout is always flushed to slow readers.
 */
import { Command, CommanderError } from "commander";
import type { Handler, Register, Runner } from "./commands/kit.js";
import type { Context, GlobalOptions } from "./context.js";
import { BacklogError, ExitCode } from "./errors.js";
import { fdOutput, type Output } from "./output/fd-output.js";
import { safeMultiline } from "./output/sanitize.js";
import { commandWord } from "./argv.js";

/**
 * Command groups, loaded on demand: a command pays only for the code it runs, and `--version`
 * for none of it. All groups load for help, errors and typo suggestions.
 */
const GROUPS: Array<{ commands: string[]; load: () => Promise<Register> }> = [
  { commands: ["list", "get", "dashboard"], load: async () => (await import("./commands/read.js")).registerRead },
  { commands: ["create", "upsert", "edit", "set-status", "close", "comment"], load: async () => (await import("./commands/write.js")).registerWrite },
  { commands: ["generate-weekly", "generate-daily"], load: async () => (await import("./commands/generate.js")).registerGenerate },
  { commands: ["cleanup"], load: async () => (await import("./commands/cleanup.js")).registerCleanup },
  { commands: ["gate"], load: async () => (await import("./commands/gate.js")).registerGate },
  { commands: ["report", "log"], load: async () => (await import("./commands/report.js")).registerReport },
  { commands: ["tool"], load: async () => (await import("./commands/tool.js")).registerTool },
  { commands: ["board"], load: async () => (await import("./commands/board.js")).registerBoard },
  { commands: ["token"], load: async () => (await import("./commands/token.js")).registerToken },
  { commands: ["serve"], load: async () => (await import("./commands/serve.js")).registerServe },
  { commands: ["migrate", "export", "import"], load: async () => (await import("./commands/transfer.js")).registerTransfer },
  { commands: ["completion"], load: async () => (await import("./commands/completion.js")).registerCompletion },
];
declare const __BACKLOG_VERSION__: string;
const VERSION = typeof __BACKLOG_VERSION__ === "string" ? __BACKLOG_VERSION__ : "0.0.0-dev";

export interface Io {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: Output;
  stderr: Output;
  /** The build key of the running bundle (from the launcher): what the policy cache is kept for. */
  build?: string;
}

const HELP_FOOTER = `
Global options go anywhere on the line. Environment: BACKLOG_DIR, BACKLOG_POLICY, BACKLOG_BACKEND,
BACKLOG_POSTGRES_DSN (or POSTGRES_DSN), BACKLOG_ACTOR, BACKLOG_NOW, BACKLOG_DIGEST_DIR,
BACKLOG_RISK_DIGEST_DIR, BACKLOG_LOCK_TIMEOUT_MS, BACKLOG_INDEX_CACHE, BACKLOG_POLICY_CACHE, NO_COLOR,
FORCE_COLOR, COLUMNS (README: all of them).
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
    io.stderr.write(`${safeJson(JSON.stringify({ error: { code, message, hint: hint ?? null } }))}\n`);
  } else {
    // Messages may echo input (flag values, digest values): shown, never obeyed by the terminal.
    io.stderr.write(`backlog: ${safeMultiline(message)}\n${hint ? `${safeMultiline(hint)}\n` : ""}`);
    if (!known && error instanceof Error && io.env.BACKLOG_DEBUG) io.stderr.write(`${error.stack}\n`);
  }
  return known ? error.exitCode : ExitCode.unexpected;
}

/**
 * A reader that goes away (`backlog list | head`) is not an error: the rest of the output is
 * dropped, and the command still finishes its own work (a write in progress completes).
 */
function ignoreClosedReaders(io: Io): void {
  let reported = false;
  for (const stream of [io.stdout, io.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") return;
      // Output that cannot be written (a full disk, /dev/full): a storage problem, exit 6, no stack.
      outputFailed = true;
      process.exitCode = ExitCode.storageUnavailable;
      if (!reported && stream === io.stdout) {
        reported = true;
        io.stderr.write(`backlog: cannot write the output: ${error.code ?? error.message}\nFree space on the output's device, or send the output elsewhere.\n`);
      }
    });
  }
}

let outputFailed = false;

/** JSON text with the line/paragraph separators and bidi controls JSON.stringify leaves raw, escaped. */
const safeJson = (json: string): string =>
  json.replace(/[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * zod without its JIT, set before zod is loaded (a read may never load it): zod keeps its settings
 * in the object at globalThis.__zod_globalConfig and adopts one that is already there
 * (test/unit/zod-config.test.ts checks that it still does).
 */
function zodJitless(): void {
  const holder = globalThis as { __zod_globalConfig?: { jitless?: boolean } };
  (holder.__zod_globalConfig ??= {}).jitless = true;
}

/** `backlog get` → "missing argument <id>: item id", with the command's usage as the hint. */
function missingArgument(program: Command, argv: readonly string[], commanderMessage: string): BacklogError {
  const name = /'([^']+)'/.exec(commanderMessage)?.[1] ?? "argument";
  const word = commandWord(argv);
  const command = program.commands.find((c) => c.name() === word || c.aliases().includes(word ?? ""));
  const argument = command?.registeredArguments.find((a) => a.name() === name);
  const usage = command ? `Usage: backlog ${command.name()} ${command.usage()}` : "Run `backlog --help` for usage.";
  return new BacklogError(
    "invalid_usage",
    ExitCode.invalid,
    `missing argument <${name}>${argument?.description ? `: ${argument.description}` : ""}`,
    `${usage} (see \`backlog ${command?.name() ?? "<command>"} --help\`).`,
  );
}

export async function main(io: Io): Promise<number> {
  ignoreClosedReaders(io);
  // The tool protocol always answers in JSON, errors included.
  let wantsJson = io.argv.includes("--json") || io.argv.find((arg) => !arg.startsWith("-")) === "tool";
  let exitCode: number = ExitCode.ok;
  let failed = false;
  let context: Context | undefined;
  const program = new Command("backlog");

  const run: Runner = (handler: Handler, options = {}) => async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    wantsJson = wantsJson || options.jsonErrors === true;
    const args = command.processedArgs as string[];
    const opts = command.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
    const { createContext } = await import("./context.js");
    context = await createContext(opts, {
      cwd: io.cwd,
      env: io.env,
      stdout: io.stdout,
      build: io.build,
      warn: (m) => io.stderr.write(opts.json ? `${JSON.stringify({ warning: m })}\n` : `backlog: warning: ${m}\n`),
    });
    const result = await handler(context, args, command.opts());
    const style = async () => (await import("./output/style.js")).createStyle((context as Context).mode);
    if (result.stream !== undefined) await result.stream((text) => io.stdout.write(text), style);
    else if (result.raw !== undefined) io.stdout.write(result.raw);
    else if (context.mode.json) io.stdout.write(`${JSON.stringify(result.data, null, 2)}\n`);
    else io.stdout.write(result.human(await style()));
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
    .option("--color <when>", "always, never or auto (default auto: on a TTY, unless NO_COLOR or TERM=dumb; FORCE_COLOR=1 forces, 0 stops)")
    .option("--no-color", "the same as --color never")
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

  try {
    const word = commandWord(io.argv);
    const versionOnly = word === undefined && (io.argv.includes("--version") || io.argv.includes("-V"));
    // Called by the completion scripts at each <Tab>: no command tree, no store opened, no error shown.
    if (word === "__complete") {
      io.stdout.write(await (await import("./commands/complete-values.js")).completeValues(io.argv, io.cwd, io.env, io.build));
      return ExitCode.ok;
    }
    // A command validates its options and the policy once: zod's compiled fast path (code built
    // with new Function, never in the code cache) costs more than it saves. The server keeps it.
    if (word !== "serve") zodJitless();
    // A completion script is written from the whole command tree.
    const named = word === "completion" ? GROUPS : GROUPS.filter((g) => word !== undefined && g.commands.includes(word));
    const needed = versionOnly ? [] : named.length > 0 ? named : GROUPS;
    for (const register of await Promise.all(needed.map((g) => g.load()))) register(program, run);
    for (const command of program.commands) command.exitOverride();
    if (io.argv.length === 0) {
      program.outputHelp();
      return ExitCode.ok;
    }
    await program.parseAsync(io.argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok; // --help, --version
      if (error.code === "commander.missingArgument") return reportError(io, wantsJson, missingArgument(program, io.argv, error.message));
      const message = error.message.replace(/^error: /, "");
      return reportError(io, wantsJson, new BacklogError("invalid_usage", ExitCode.invalid, message, "Run `backlog --help` (or `backlog <command> --help`) for usage."));
    }
    failed = true;
    exitCode = reportError(io, wantsJson, error);
  } finally {
    await context?.store.close(failed ? "failed" : "ok");
  }
  return exitCode;
}

/**
 * Runs the command line of this process: called by the launcher (bin/backlog → dist/launch.cjs)
 * with the bundle's build key.
 */
export function start(build?: string): void {
  const stdout = fdOutput(1, () => process.stdout);
  const stderr = fdOutput(2, () => process.stderr);
  const io: Io = { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env, stdout, stderr, build };
  main(io).then(
    (code) => {
      process.exitCode = outputFailed ? ExitCode.storageUnavailable : code;
    },
    (error: unknown) => {
      stderr.write(`backlog: unexpected failure: ${safeMultiline(String(error))}\n`);
      process.exitCode = ExitCode.unexpected;
    },
  );
}

/** What every command module shares: its result type and option validation at the edge. */
import type { Command } from "commander";
import type * as z from "zod";
import { issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import type { Context } from "../context.js";
import type { Style } from "../output/style.js";

export interface CommandResult {
  /** Printed with --json. */
  data: unknown;
  /** Printed otherwise. */
  human: (style: Style) => string;
  /** Printed verbatim in every mode instead of `data` (e.g. `--jsonl`). */
  raw?: string;
  /**
   * Printed in every mode instead of the above, a part at a time as it calls `write`: an answer
   * too long to hold whole (list --all of a large store). What it wrote stays written if it throws.
   */
  stream?: (write: (text: string) => void, style: () => Promise<Style>) => Promise<void>;
  /** Non-zero for results that are not errors but must fail a pipeline (gate). */
  exitCode?: number;
}

export type Handler = (ctx: Context, args: string[], opts: Record<string, unknown>) => Promise<CommandResult>;

/** cli.ts supplies this: it turns a handler into a commander action with context and exits. */
export type Runner = (handler: Handler, options?: { jsonErrors?: boolean }) => (...args: unknown[]) => Promise<void>;

export type Register = (program: Command, run: Runner) => void;

const flagName = (key: PropertyKey) => `--${String(key).replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;

/** Validates parsed options; problems are reported as `--flag: message`, exit 2. */
export function parseOptions<T extends z.ZodType>(schema: T, opts: Record<string, unknown>, command: string): z.infer<T> {
  const parsed = schema.safeParse(opts);
  if (parsed.success) return parsed.data;
  const problems = issueLines(parsed.error).map((line) => line.replace(/^([A-Za-z]+)(?=[:.[])/, (key) => flagName(key)));
  throw invalidInput(problems.join("; "), `See \`backlog ${command} --help\`.`, "invalid_usage");
}

/** Validates one positional argument; a problem reads `<name>: message`, exit 2. */
export function parseArg<T extends z.ZodType>(schema: T, value: unknown, name: string, command: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? "invalid value";
  throw invalidInput(`<${name}> ${JSON.stringify(value)}: ${message}`, `See \`backlog ${command} --help\`.`, "invalid_usage");
}

/**
 * zod, loaded on first use (a plain require, which the bundler resolves into the bundle): a read
 * whose options need no schema does not pay for setting zod up.
 */
export const zod = (): typeof z => require("zod") as typeof z;

/** A schema built on first use: a command builds only the schemas of the command that runs. */
export function lazySchema<T extends z.ZodType>(build: () => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build());
}

export const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

export const commaList = (value: string | undefined) =>
  value === undefined ? undefined : value.split(",").map((s) => s.trim()).filter((s) => s !== "");

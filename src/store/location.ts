/**
 * Where the store is: the backend named by --backend or $BACKLOG_BACKEND, and the JSONL data
 * directory. Apart from open-store.ts so that the completion of ids (dist/complete.cjs) loads no store.
 */
import { resolve } from "node:path";
import { BacklogError, ExitCode } from "../errors.js";

export const BACKENDS = ["jsonl", "postgres", "memory", "null", "auto"] as const;
export type BackendName = (typeof BACKENDS)[number];
export const DEFAULT_DATA_DIR = "ops/backlog";

export function resolveBackend(requested: string | undefined, env: NodeJS.ProcessEnv, dsnConfigured: boolean): Exclude<BackendName, "auto"> {
  const name = requested ?? env.BACKLOG_BACKEND ?? "jsonl";
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new BacklogError(
      "invalid_usage",
      ExitCode.invalid,
      `unknown backend "${name}"`,
      `Use --backend (or $BACKLOG_BACKEND) with one of ${BACKENDS.join(", ")}.`,
    );
  }
  if (name === "auto") return dsnConfigured ? "postgres" : "jsonl";
  return name as Exclude<BackendName, "auto">;
}

/**
 * --dir, else $BACKLOG_DIR, else ops/backlog. An empty $BACKLOG_DIR counts as unset (as an empty
 * variable does for every other setting), never as "the working directory"; an empty --dir is a
 * mistake of the command line.
 */
export function dataDir(config: { dir: string | undefined; cwd: string; env: NodeJS.ProcessEnv }): string {
  if (config.dir === "") {
    throw new BacklogError("invalid_usage", ExitCode.invalid, "--dir is empty", "Pass the data directory, e.g. --dir ops/backlog (or leave --dir out for $BACKLOG_DIR, else ops/backlog).");
  }
  return resolve(config.cwd, config.dir ?? (config.env.BACKLOG_DIR || DEFAULT_DATA_DIR));
}

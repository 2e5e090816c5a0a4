/**
 * DSN resolution and connection errors. The password is never printed: messages name the host,
 * port, database and user only.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { invalidInput, storageUnavailable } from "../../errors.js";

export interface DsnSource {
  dsnFile?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** --dsn-file, else $BACKLOG_POSTGRES_DSN, else $POSTGRES_DSN; undefined when none is configured. */
export function resolveDsn({ dsnFile, env, cwd }: DsnSource): string | undefined {
  if (dsnFile !== undefined) {
    try {
      const dsn = readFileSync(resolve(cwd, dsnFile), "utf8").trim();
      if (dsn !== "") return dsn;
    } catch (error) {
      throw invalidInput(`cannot read --dsn-file ${dsnFile}: ${(error as Error).message}`, "Pass a readable file holding one postgres:// URL.", "invalid_usage");
    }
    throw invalidInput(`--dsn-file ${dsnFile} is empty`, "Write the postgres:// URL into it.", "invalid_usage");
  }
  return env.BACKLOG_POSTGRES_DSN || env.POSTGRES_DSN || undefined;
}

/** `user@host:port/db`, for messages. */
export function describeDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    const host = url.hostname || url.searchParams.get("host") || "localhost";
    const db = url.pathname.replace(/^\//, "") || "(default db)";
    return `${decodeURIComponent(url.username) || "(default user)"}@${host}:${url.port || "5432"}/${db}`;
  } catch {
    return "(unparseable DSN)";
  }
}

/** Removes any occurrence of the DSN's password from a driver message, to be sure. */
function redact(message: string, dsn: string): string {
  try {
    const password = decodeURIComponent(new URL(dsn).password);
    return password === "" ? message : message.split(password).join("***");
  } catch {
    return message;
  }
}

export function connectionFailed(dsn: string, error: unknown) {
  const reason = redact(error instanceof Error ? error.message : String(error), dsn);
  return storageUnavailable(
    `cannot connect to PostgreSQL at ${describeDsn(dsn)}: ${reason}`,
    "Check that the server is up and the DSN ($BACKLOG_POSTGRES_DSN, $POSTGRES_DSN or --dsn-file) is right. backlog never falls back to another backend.",
    "backend_unreachable",
  );
}

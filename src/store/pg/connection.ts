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

/**
 * Why a connection failed, in words built from the error's fields, never from the DSN: a server
 * error's own text (the server never sees the client's DSN), a system error's code, or only the
 * error's kind. Nothing is removed from a message by search and replace, so no password can leak
 * whatever characters it holds.
 */
export function connectionReason(error: unknown): string {
  const e = error as { code?: unknown; severity?: unknown; message?: unknown; name?: unknown; syscall?: unknown };
  if (typeof e?.code === "string" && typeof e.severity === "string" && typeof e.message === "string") return `${e.message} (SQLSTATE ${e.code})`;
  if (typeof e?.code === "string" && /^E[A-Z]+$/.test(e.code)) return `${e.code}${typeof e.syscall === "string" ? ` on ${e.syscall}` : ""}`;
  if (typeof e?.message === "string" && /terminated|timeout|closed/i.test(e.message) && e.message.length < 120 && !/[:@/]/.test(e.message)) return e.message;
  return `the connection failed (${typeof e?.name === "string" ? e.name : "unknown error"})`;
}

/** A DSN must be a postgres:// URL; one that is not is refused without printing it. */
export function checkDsn(dsn: string): void {
  let protocol = "";
  try {
    protocol = new URL(dsn).protocol;
  } catch {
    // fall through: not a URL
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:") {
    throw invalidInput(
      "the PostgreSQL DSN is not a postgres:// URL (its text is not shown: it may hold a password)",
      "Write it as postgres://user:password@host:5432/db, percent-encoding special characters of the password (/ as %2F, @ as %40).",
      "invalid_dsn",
    );
  }
}

export function connectionFailed(dsn: string, error: unknown) {
  return storageUnavailable(
    `cannot reach PostgreSQL at ${describeDsn(dsn)}: ${connectionReason(error)}`,
    "Check that the server is up and the DSN ($BACKLOG_POSTGRES_DSN, $POSTGRES_DSN or --dsn-file) is right, then run the command again. backlog never falls back to another backend.",
    "backend_unreachable",
  );
}

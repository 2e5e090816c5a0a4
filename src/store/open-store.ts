/** Chooses and opens the configured backend (SPEC section 2). Never falls back to another one. */
import { existsSync } from "node:fs";
import { keepYoungGenerationSmall, NO_PARALLELISM, type Parallelism } from "./jsonl-index.js";
import { BacklogError, ExitCode } from "../errors.js";
import { JsonlStore } from "./jsonl-store.js";
import { checkDsn, resolveDsn } from "./pg/connection.js";
import { DEFAULT_LOCK_TIMEOUT_MS } from "./lock.js";
import { MemoryStore, NullStore } from "./memory-store.js";
import type { Store, Warn } from "./types.js";
import { dataDir, resolveBackend } from "./location.js";

export { BACKENDS, type BackendName, DEFAULT_DATA_DIR, dataDir, resolveBackend } from "./location.js";

export interface StoreConfig {
  backend: string | undefined;
  dir: string | undefined;
  dsnFile: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  warn: Warn;
  now: () => Date;
}

function lockTimeout(env: NodeJS.ProcessEnv): number {
  const raw = env.BACKLOG_LOCK_TIMEOUT_MS;
  if (raw === undefined || raw === "") return DEFAULT_LOCK_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new BacklogError(
      "invalid_usage",
      ExitCode.invalid,
      `BACKLOG_LOCK_TIMEOUT_MS must be a whole number of milliseconds, got "${raw}"`,
      "Set it to e.g. 10000, or unset it for the default.",
    );
  }
  return ms;
}

declare const __BACKLOG_BUILD__: boolean | undefined;
const DEFAULT_PARALLEL_BYTES = 8 << 20;

/**
 * Logs from 8 MiB up are indexed by two threads. The worker exists only in the build (dist/), so
 * code run from source indexes on one. BACKLOG_INDEX_PARALLEL_BYTES moves the threshold (tests).
 */
function indexParallelism(env: NodeJS.ProcessEnv): Parallelism {
  if (typeof __BACKLOG_BUILD__ === "undefined") return NO_PARALLELISM;
  const url = [new URL("./index-worker.js", import.meta.url), new URL("../index-worker.js", import.meta.url)].find((u) => existsSync(u));
  const minBytes = Number(env.BACKLOG_INDEX_PARALLEL_BYTES || DEFAULT_PARALLEL_BYTES);
  // Without saved indexes, every read indexes the logs: the young generation is kept as it is
  // from here on, not only from the build (what runs before it, a digest read, would grow it).
  if (env.BACKLOG_INDEX_CACHE === "off") keepYoungGenerationSmall();
  return url && Number.isFinite(minBytes) ? { workerUrl: url, minBytes: Math.max(1, minBytes) } : NO_PARALLELISM;
}

export async function openStore(config: StoreConfig): Promise<Store> {
  const dsn = resolveDsn({ dsnFile: config.dsnFile, env: config.env, cwd: config.cwd });
  const backend = resolveBackend(config.backend, config.env, dsn !== undefined);
  switch (backend) {
    case "jsonl":
      return new JsonlStore({
        dir: dataDir(config),
        warn: config.warn,
        now: config.now,
        lockTimeoutMs: lockTimeout(config.env),
        savedIndexes: config.env.BACKLOG_INDEX_CACHE !== "off",
        parallelism: indexParallelism(config.env),
      });
    case "memory":
      return new MemoryStore();
    case "null":
      return new NullStore();
    case "postgres": {
      if (dsn === undefined) {
        throw new BacklogError(
          "invalid_usage",
          ExitCode.invalid,
          "the postgres backend needs a DSN",
          "Set $BACKLOG_POSTGRES_DSN (or $POSTGRES_DSN) to postgres://user@host:port/db, or pass --dsn-file FILE.",
        );
      }
      checkDsn(dsn);
      // Loaded only here: the driver costs start-up time that JSONL commands should not pay.
      const { PgStore } = await import("./pg/pg-store.js");
      return new PgStore({ dsn, lockTimeoutMs: lockTimeout(config.env) });
    }
  }
}

/** Everything a command needs, resolved once from global options and the environment. */
import { MAX_YEAR, MIN_YEAR } from "./domain/limits.js";
import { isCalendarDate } from "./domain/calendar.js";
import { userInfo } from "node:os";
import { normalizeTimestamp } from "./domain/item.js";
import { invalidInput } from "./errors.js";
import { nodeCrypto } from "./node-crypto.js";
import { resolveOutputMode, type OutputMode } from "./output/mode.js";
import { policyCache } from "./policy/cache.js";
import { loadPolicy } from "./policy/load.js";
import type { Policy } from "./policy/types.js";
import { BacklogService } from "./service/backlog-service.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/types.js";

export interface GlobalOptions {
  dir?: string;
  policy?: string;
  backend?: string;
  dsnFile?: string;
  actor?: string;
  json?: boolean;
  /** `--color always|never|auto`; false from `--no-color`. */
  color?: string | boolean;
}

export interface Context {
  service: BacklogService;
  /** True when the actor came from --actor or $BACKLOG_ACTOR rather than the OS user. */
  actorExplicit: boolean;
  policy: Policy;
  store: Store;
  mode: OutputMode;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  warn: (message: string) => void;
}

/** $BACKLOG_NOW replaces the clock everywhere; naive timestamps are UTC, like stored ones. */
export function resolveClock(env: NodeJS.ProcessEnv): () => Date {
  const fixed = env.BACKLOG_NOW;
  if (fixed === undefined || fixed === "") return () => new Date();
  const ms = /^\d{4}-\d{2}-\d{2}/.test(fixed) && isCalendarDate(fixed.slice(0, 10)) ? Date.parse(normalizeTimestamp(fixed, fixed)) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalidInput(`BACKLOG_NOW is not an ISO timestamp: "${fixed}"`, "Use e.g. BACKLOG_NOW=2026-02-16T06:20:00Z, or unset it.", "invalid_usage");
  }
  const year = new Date(ms).getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw invalidInput(`BACKLOG_NOW is out of range: "${fixed}" (expected a year from ${MIN_YEAR} to ${MAX_YEAR})`, "Use e.g. BACKLOG_NOW=2026-02-16T06:20:00Z, or unset it.", "invalid_usage");
  }
  return () => new Date(ms);
}

export function resolveActor(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  if (env.BACKLOG_ACTOR) return env.BACKLOG_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || "unknown";
  }
}

/** `build`: the key of the running bundle, which the policy cache is kept for (none: no cache). */
export async function createContext(
  opts: GlobalOptions,
  io: { cwd: string; env: NodeJS.ProcessEnv; stdout: { isTTY?: boolean; columns?: number }; warn: (m: string) => void; build?: string },
): Promise<Context> {
  const { cwd, env, warn } = io;
  const mode = resolveOutputMode(opts, io.stdout, env);
  const now = resolveClock(env);
  const { policy } = loadPolicy(opts.policy ?? (env.BACKLOG_POLICY || undefined), cwd, policyCache(env, io.build));
  const store = await openStore({ backend: opts.backend, dir: opts.dir, dsnFile: opts.dsnFile, cwd, env, warn, now });
  const service = new BacklogService({
    store,
    policy,
    actor: resolveActor(opts.actor, env),
    now,
    randomHex: (bytes) => nodeCrypto().randomBytes(bytes).toString("hex"),
  });
  return { service, policy, store, mode, cwd, env, now, warn, actorExplicit: Boolean(opts.actor || env.BACKLOG_ACTOR) };
}

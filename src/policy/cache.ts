/**
 * The policy cache: what js-yaml and the zod schema made of a policy file, kept so that a command
 * whose policy has not changed skips both (zod's schema alone costs more than a small read).
 *
 * It is an optimisation that is never trusted further than the policy itself:
 * - it lives in the user's own cache directory ($XDG_CACHE_HOME/backlog, else ~/.cache/backlog),
 *   never in the data directory, and is used only when that directory and the file are owned by
 *   the effective user and writable by nobody else, the file opened with O_NOFOLLOW;
 * - an entry is used only for the very text it was made from (compared whole) and the very build
 *   of backlog that made it (the bundle's build key: a changed schema never reads an old entry);
 * - it holds the schema's output only, as JSON, and only when JSON gives back exactly that output;
 *   anything else in the file (damaged, planted, another format) is ignored.
 * Any problem (no HOME, an unusable directory, a failed write) means the policy is parsed as
 * without a cache, silently. BACKLOG_POLICY_CACHE=off turns it off.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { nodeCrypto } from "../node-crypto.js";
import type { PolicyFile } from "./schema.js";

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

const FORMAT = "backlog-policy-cache-2";
/** Entries kept, the latest used first: one machine may run several repositories' policies. */
export const MAX_POLICY_ENTRIES = 8;
export const POLICY_CACHE_FILE = "policy.json";
/** Past this size the file is not a cache of a policy (itself at most 1 MiB). */
const MAX_CACHE_BYTES = 8 * 1024 * 1024;

/** Where and for which build: null when the cache is off or has no place. */
export interface PolicyCache {
  dir: string;
  build: string;
}

export interface Entry {
  text: string;
  file: PolicyFile;
}

interface CacheFile {
  format: string;
  build: string;
  /** The latest written first. */
  entries: Entry[];
}

/** The cache for this environment and build, or null (off, no build key, no usable HOME). */
export function policyCache(env: NodeJS.ProcessEnv, build: string | undefined): PolicyCache | null {
  if (build === undefined || build === "" || env.BACKLOG_POLICY_CACHE === "off") return null;
  // XDG: a relative $XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : env.HOME && isAbsolute(env.HOME) ? join(env.HOME, ".cache") : null;
  return base === null ? null : { dir: join(base, "backlog"), build };
}

/** Owned by the effective user, writable by no one else. */
function trusted(stat: { uid: number; mode: number }): boolean {
  return stat.uid === process.geteuid?.() && (stat.mode & 0o022) === 0;
}

function trustedDir(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    return stat.isDirectory() && trusted(stat);
  } catch {
    return false;
  }
}

/** What the cache holds: the entries of this build, read once, for a lookup and then a write. */
export interface CachedPolicies {
  entries: Entry[];
}

export function readPolicyCache(cache: PolicyCache): CachedPolicies {
  return { entries: readEntries(cache) };
}

/** The validated policy file made from exactly `text` by this build, or undefined. */
export function cachedPolicyFile(cached: CachedPolicies, text: string): PolicyFile | undefined {
  const file = cached.entries.find((entry) => entry.text === text)?.file;
  return file !== null && typeof file === "object" && !Array.isArray(file) ? file : undefined;
}

/** The entries of this build in a trusted cache file; none for anything else. */
function readEntries(cache: PolicyCache): Entry[] {
  if (!trustedDir(cache.dir)) return [];
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place does not hang the command (it fails the checks below).
    fd = openSync(join(cache.dir, POLICY_CACHE_FILE), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return [];
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || !trusted(stat) || stat.size > MAX_CACHE_BYTES) return [];
    const bytes = Buffer.allocUnsafe(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) return [];
      read += n;
    }
    const parsed = JSON.parse(bytes.toString("utf8")) as Partial<CacheFile> | null;
    if (parsed === null || typeof parsed !== "object" || parsed.format !== FORMAT || parsed.build !== cache.build || !Array.isArray(parsed.entries)) return [];
    return parsed.entries.filter((entry): entry is Entry => entry !== null && typeof entry === "object" && typeof entry.text === "string");
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
}

const TEMP = /^\.policy\.json\.[0-9a-f]{16}\.tmp$/;
/** A temp file this old was left by a killed command (a write takes milliseconds). */
const STALE_TEMP_MS = 3_600_000;

/** Removes temp files that killed commands left behind; best effort. */
function removeStaleTemps(dir: string): void {
  try {
    for (const name of readdirSync(dir)) {
      if (!TEMP.test(name)) continue;
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isFile() && Date.now() - stat.mtimeMs > STALE_TEMP_MS) unlinkSync(path);
    }
  } catch {
    // another command removed it first, or the directory cannot be read: nothing to do
  }
}

/** Keeps `file` (the schema's output for `text`) for the next command; silent on any failure. */
export function writePolicyCache(cache: PolicyCache, cached: CachedPolicies, text: string, file: PolicyFile): void {
  // Only what JSON gives back unchanged is cached (an .inf, a -0 or an odd prototype is not).
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(file)), file)) return;
  // The other policies' entries stay (several repositories on one machine do not evict each other
  // at every command); when two commands write at once, the last rename wins: an entry is lost, not
  // corrupted.
  const others = cached.entries.filter((entry) => entry.text !== text);
  const entries = [{ text, file }, ...others].slice(0, MAX_POLICY_ENTRIES);
  const json = JSON.stringify({ format: FORMAT, build: cache.build, entries } satisfies CacheFile);
  try {
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
  } catch {
    return;
  }
  if (!trustedDir(cache.dir)) return;
  removeStaleTemps(cache.dir);
  const temp = join(cache.dir, `.${POLICY_CACHE_FILE}.${nodeCrypto().randomBytes(8).toString("hex")}.tmp`);
  try {
    const fd = openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      const bytes = Buffer.from(json);
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(cache.dir, POLICY_CACHE_FILE));
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already gone
    }
  }
}

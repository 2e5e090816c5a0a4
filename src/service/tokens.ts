/**
 * API tokens for `backlog serve`: the file keeps only each token's SHA-256 hash, its actor and when
 * it was made (mode 0600, replaced atomically through an exclusively created temp file).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as z from "zod";
import { issueLines } from "../domain/validation.js";
import { invalidInput, notFound, storageUnavailable } from "../errors.js";

export const DEFAULT_TOKENS_FILE = "config/backlog_tokens.json";

const ACTOR = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const entry = z.strictObject({ actor: z.string().regex(ACTOR), sha256: z.string().regex(/^[0-9a-f]{64}$/), created_at: z.string() });
const tokensFile = z.strictObject({ tokens: z.array(entry) });
export type TokenEntry = z.infer<typeof entry>;

const sha256 = (token: string) => createHash("sha256").update(token, "utf8").digest();

/** --tokens, else $BACKLOG_TOKENS_FILE, else config/backlog_tokens.json when present (or when creating). */
export function resolveTokensFile(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string, creating = false): string | undefined {
  const named = flag || env.BACKLOG_TOKENS_FILE;
  if (named) return resolve(cwd, named);
  const fallback = resolve(cwd, DEFAULT_TOKENS_FILE);
  return creating || existsSync(fallback) ? fallback : undefined;
}

export function readTokens(file: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw storageUnavailable(`cannot read the tokens file ${file}: ${(error as Error).message}`, "Check the path and its permissions.");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalidInput(`tokens file ${file} is not valid JSON: ${(error as Error).message}`, "Recreate it with `backlog token add ACTOR`.", "invalid_tokens_file");
  }
  const parsed = tokensFile.safeParse(raw);
  if (!parsed.success) throw invalidInput(`tokens file ${file}: ${issueLines(parsed.error).join("; ")}`, "Recreate it with `backlog token add ACTOR`.", "invalid_tokens_file");
  return parsed.data.tokens;
}

function writeTokens(file: string, tokens: TokenEntry[]): void {
  const temp = join(dirname(file), `.${randomBytes(8).toString("hex")}.tokens.tmp`);
  try {
    writeFileSync(temp, `${JSON.stringify({ tokens }, null, 2)}\n`, { flag: "wx", mode: 0o600 });
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never created
    }
    throw storageUnavailable(`cannot write the tokens file ${file}: ${(error as Error).message}`, "Check that its directory exists and is writable.");
  }
}

/** Makes a new token for `actor`, stores its hash, and returns the token (shown once). */
export function addToken(file: string, actor: string, now: Date): string {
  if (!ACTOR.test(actor)) throw invalidInput(`<actor> ${JSON.stringify(actor)}: expected letters, digits, . _ @ - (max 64)`, "e.g. `backlog token add scheduler`.", "invalid_usage");
  const tokens = readTokens(file);
  const token = `blt_${randomBytes(32).toString("base64url")}`;
  writeTokens(file, [...tokens, { actor, sha256: sha256(token).toString("hex"), created_at: now.toISOString() }]);
  return token;
}

export function listTokens(file: string): Array<{ actor: string; created_at: string }> {
  return readTokens(file).map(({ actor, created_at }) => ({ actor, created_at }));
}

/** Revokes every token of `actor`; returns how many. */
export function revokeTokens(file: string, actor: string): number {
  const tokens = readTokens(file);
  const kept = tokens.filter((t) => t.actor !== actor);
  if (kept.length === tokens.length) throw notFound(`no token for actor "${actor}" in ${file}`, "See `backlog token list`.", "token_not_found");
  writeTokens(file, kept);
  return tokens.length - kept.length;
}

/** The actor a presented token belongs to, compared in constant time over the hashes; undefined if none. */
export function actorForToken(tokens: readonly TokenEntry[], presented: string): string | undefined {
  const hash = sha256(presented);
  let found: string | undefined;
  for (const t of tokens) {
    if (timingSafeEqual(hash, Buffer.from(t.sha256, "hex")) && found === undefined) found = t.actor;
  }
  return found;
}

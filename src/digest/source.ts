/** Finds and reads digests: the newest by the week (or day) in its name, or the file given. */
import { readdirSync } from "node:fs";
import { jsonDepthExceeds, LIMITS } from "../domain/limits.js";
import { InputTooLarge, readBounded } from "../input/bounded-read.js";
import { join, resolve } from "node:path";
import type * as z from "zod";
import { isoWeekOf } from "../domain/calendar.js";
import { type Digest, riskDigestSchema, weeklyDigestSchema } from "../domain/digest.js";
import { issueLines } from "../domain/validation.js";
import { invalidInput, notFound } from "../errors.js";

export interface DigestKind {
  label: string;
  /** File names of this kind; they sort chronologically as strings. */
  pattern: RegExp;
  defaultDir: string;
  dirVariable: string;
  missing: string;
  parse(raw: unknown): { digest: Digest } | { problems: string[] };
}

function validate<T extends z.ZodType>(schema: T, raw: unknown): { data: z.infer<T> } | { problems: string[] } {
  const parsed = schema.safeParse(raw);
  return parsed.success ? { data: parsed.data } : { problems: issueLines(parsed.error) };
}

export const WEEKLY_DIGEST: DigestKind = {
  label: "platform digest",
  pattern: /^\d{4}-W\d{2}\.json$/,
  defaultDir: "ops/reports/platform",
  dirVariable: "BACKLOG_DIGEST_DIR",
  missing: "No platform digest found. Run architecture_pressure_tool.digest first.",
  parse(raw) {
    const r = validate(weeklyDigestSchema, raw);
    return "problems" in r ? r : { digest: { week: r.data.week, env: r.data.env, services: r.data.services } };
  },
};

export const RISK_DIGEST: DigestKind = {
  label: "risk digest",
  pattern: /^\d{4}-\d{2}-\d{2}\.json$/,
  defaultDir: "ops/reports/risk",
  dirVariable: "BACKLOG_RISK_DIGEST_DIR",
  missing: "No risk digest found. Run the risk digest first.",
  parse(raw) {
    const r = validate(riskDigestSchema, raw);
    return "problems" in r ? r : { digest: { week: isoWeekOf(r.data.date), env: r.data.env, services: r.data.services } };
  },
};

export interface DigestLocation {
  file?: string;
  dir?: string;
  cwd: string;
  variables: NodeJS.ProcessEnv;
}

/** The path (as the user would write it) of the digest to use; exit 3 when there is none. */
export function locateDigest(kind: DigestKind, where: DigestLocation): string {
  if (where.file !== undefined) return where.file;
  const dir = where.dir ?? (where.variables[kind.dirVariable] || kind.defaultDir);
  let names: string[];
  try {
    names = readdirSync(resolve(where.cwd, dir));
  } catch {
    names = [];
  }
  const newest = names.filter((n) => kind.pattern.test(n)).sort().pop();
  if (newest === undefined) {
    throw notFound(kind.missing, `Looked in ${dir} for ${kind.pattern.source.replace(/\\/g, "")} files; pass --digest FILE or --digest-dir DIR.`, "digest_not_found");
  }
  return join(dir, newest);
}

export function readDigest(kind: DigestKind, path: string, cwd: string): Digest {
  let text: string;
  try {
    text = readBounded(resolve(cwd, path), LIMITS.digestBytes);
  } catch (error) {
    if (error instanceof InputTooLarge) {
      throw invalidInput(`${kind.label} ${path} is ${error.message} (limit: digest size)`, "Split the digest or drop old entries.", "invalid_digest");
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw notFound(`${kind.label} ${path} not found`, "Check the path given with --digest.", "digest_not_found");
    throw invalidInput(`cannot read ${kind.label} ${path}: ${(error as Error).message}`, "Check the file's permissions.", "invalid_digest");
  }
  if (jsonDepthExceeds(text, LIMITS.jsonDepth)) {
    throw invalidInput(`${kind.label} ${path} is nested deeper than ${LIMITS.jsonDepth} levels (limit: JSON depth)`, "Regenerate the digest.", "invalid_digest");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalidInput(`${kind.label} ${path} is not valid JSON: ${(error as Error).message}`, "Regenerate the digest, or fix it (`jq . FILE` shows where).", "invalid_digest");
  }
  return parseDigest(kind, raw, path);
}

/** A parsed digest of `kind`, or exit 2 listing every bad field; `where` names the file or "the request". */
export function parseDigest(kind: DigestKind, raw: unknown, where: string): Digest {
  const result = kind.parse(raw);
  if ("problems" in result) {
    throw invalidInput(`invalid ${kind.label} ${where}:\n  ${result.problems.join("\n  ")}`, "Fix the fields named above; the README's Digest format section describes it.", "invalid_digest");
  }
  return result.digest;
}

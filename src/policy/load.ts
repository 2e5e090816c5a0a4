/** Finds, reads and validates the policy file (SPEC section 3). */
import { LIMITS } from "../domain/limits.js";
import { InputTooLarge, readBounded } from "../input/bounded-read.js";
import { resolve } from "node:path";
import type * as JsYaml from "js-yaml";
import { BacklogError, ExitCode } from "../errors.js";
import { issueLines } from "../domain/validation.js";
import { DEFAULT_POLICY } from "./defaults.js";
import { cachedPolicyFile, type PolicyCache, readPolicyCache, writePolicyCache } from "./cache.js";
import { type PolicyFile, policyFileSchema, resolvePolicy } from "./schema.js";
import type { Policy } from "./types.js";

export const DEFAULT_POLICY_PATH = "config/backlog_policy.yml";

export interface LoadedPolicy {
  policy: Policy;
  /** The file it came from, or null for the built-in defaults. */
  path: string | null;
}

const invalidPolicy = (path: string, problems: string[]) =>
  new BacklogError(
    "invalid_policy",
    ExitCode.invalid,
    `invalid policy ${path}:\n  ${problems.join("\n  ")}`,
    `Fix the values named above in ${path} (see config/backlog_policy.yml in the repository for the shipped defaults).`,
  );

/** js-yaml, loaded on first use: a command whose policy the policy cache holds parses no YAML. */
const jsYaml = (): typeof JsYaml => require("js-yaml") as typeof JsYaml;

/** Parses policy text; `path` only names the file in messages. No I/O. */
export function parsePolicy(text: string, path: string): Policy {
  return resolveOrThrow(validatePolicyFile(text, path), path);
}

/** js-yaml, then the zod schema: the policy file as written, validated (not yet merged). */
function validatePolicyFile(text: string, path: string): PolicyFile {
  const { CORE_SCHEMA, load, YAMLException } = jsYaml();
  let raw: unknown;
  // js-yaml refuses a document with no content; an empty policy means "all defaults".
  const hasContent = text.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  try {
    raw = hasContent ? load(text, { schema: CORE_SCHEMA, filename: path }) : {};
  } catch (error) {
    if (error instanceof YAMLException) {
      const where = error.mark ? `line ${error.mark.line + 1}, column ${error.mark.column + 1}` : "unknown position";
      throw invalidPolicy(path, [`YAML syntax error at ${where}: ${error.reason}`]);
    }
    throw error;
  }
  const parsed = policyFileSchema().safeParse(raw ?? {});
  if (!parsed.success) throw invalidPolicy(path, issueLines(parsed.error));
  return parsed.data;
}

function resolveOrThrow(file: PolicyFile, path: string): Policy {
  const { policy, errors } = resolvePolicy(file);
  if (errors.length > 0) throw invalidPolicy(path, errors);
  return policy;
}

/**
 * Policy text through the policy cache (src/policy/cache.ts): the schema's output for this very
 * text when the cache holds it, else parsed and validated as always, then kept when valid.
 */
function parsePolicyCached(text: string, path: string, cache: PolicyCache): Policy {
  // Read once: a miss writes the file back with the other policies' entries it holds.
  const held = readPolicyCache(cache);
  const cached = cachedPolicyFile(held, text);
  if (cached !== undefined) {
    // Only valid files are cached; anything else is parsed again, and reported as always.
    const { policy, errors } = resolvePolicy(cached);
    if (errors.length === 0) return policy;
  }
  const file = validatePolicyFile(text, path);
  const policy = resolveOrThrow(file, path);
  writePolicyCache(cache, held, text, file);
  return policy;
}

/**
 * `explicit` is --policy, else $BACKLOG_POLICY; without either the default path may be absent.
 * `cache`: where validated policies are kept between commands (null or absent: none).
 */
export function loadPolicy(explicit: string | undefined, cwd: string, cache?: PolicyCache | null): LoadedPolicy {
  const path = resolve(cwd, explicit ?? DEFAULT_POLICY_PATH);
  let text: string;
  try {
    text = readBounded(path, LIMITS.policyBytes);
  } catch (error) {
    if (error instanceof InputTooLarge) {
      throw new BacklogError("invalid_policy", ExitCode.invalid, `policy file ${path} is ${error.message} (limit: policy size)`, "Shorten the policy file.");
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && explicit === undefined) return { policy: DEFAULT_POLICY, path: null };
    throw new BacklogError(
      "invalid_policy",
      ExitCode.invalid,
      `cannot read policy file ${path}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
      "Pass an existing file with --policy (or $BACKLOG_POLICY), or unset both to use config/backlog_policy.yml.",
    );
  }
  return { policy: cache ? parsePolicyCached(text, path, cache) : parsePolicy(text, path), path };
}

/** Finds, reads and validates the policy file (SPEC section 3). */
import { LIMITS } from "../domain/limits.js";
import { InputTooLarge, readBounded } from "../input/bounded-read.js";
import { resolve } from "node:path";
import { CORE_SCHEMA, load, YAMLException } from "js-yaml";
import { BacklogError, ExitCode } from "../errors.js";
import { issueLines } from "../domain/validation.js";
import { DEFAULT_POLICY } from "./defaults.js";
import { policyFileSchema, resolvePolicy } from "./schema.js";
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

/** Parses policy text; `path` only names the file in messages. No I/O. */
export function parsePolicy(text: string, path: string): Policy {
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
  const { policy, errors } = resolvePolicy(parsed.data);
  if (errors.length > 0) throw invalidPolicy(path, errors);
  return policy;
}

/** `explicit` is --policy, else $BACKLOG_POLICY; without either the default path may be absent. */
export function loadPolicy(explicit: string | undefined, cwd: string): LoadedPolicy {
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
  return { policy: parsePolicy(text, path), path };
}

/** Finds, reads and validates the policy file (SPEC section 3). */
import { LIMITS } from "../domain/limits.js";
import { InputTooLarge, readBounded } from "../input/bounded-read.js";
import { resolve } from "node:path";
import type * as JsYaml from "js-yaml";
import { BacklogError, ExitCode } from "../errors.js";
import { issueLines } from "../domain/validation.js";
import { DEFAULT_POLICY } from "./defaults.js";
import { quickAcceptPolicyFile } from "./quick-accept.js";
import { quickYaml } from "./quick-yaml.js";
import { policyFileSchema, resolvePolicy, type PolicyFile } from "./schema.js";
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
  // js-yaml refuses a document with no content; an empty policy means "all defaults".
  const hasContent = text.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  const raw = hasContent ? (quickYaml(text) ?? readYaml(text, path)) : {};
  const { policy, errors } = resolvePolicy(quickAcceptPolicyFile(raw ?? {}) ?? validated(raw ?? {}, path));
  if (errors.length > 0) throw invalidPolicy(path, errors);
  return policy;
}

/**
 * js-yaml, for the files quickYaml declines: loaded then (a plain require, which the bundler
 * resolves into the bundle), since setting it up costs about a millisecond at every command.
 */
function readYaml(text: string, path: string): unknown {
  const { CORE_SCHEMA, load, YAMLException } = require("js-yaml") as typeof JsYaml;
  try {
    return load(text, { schema: CORE_SCHEMA, filename: path });
  } catch (error) {
    if (error instanceof YAMLException) {
      const where = error.mark ? `line ${error.mark.line + 1}, column ${error.mark.column + 1}` : "unknown position";
      throw invalidPolicy(path, [`YAML syntax error at ${where}: ${error.reason}`]);
    }
    throw error;
  }
}

function validated(raw: unknown, path: string): PolicyFile {
  const parsed = policyFileSchema().safeParse(raw);
  if (!parsed.success) throw invalidPolicy(path, issueLines(parsed.error));
  return parsed.data;
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

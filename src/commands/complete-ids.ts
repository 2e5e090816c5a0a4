/**
 * `backlog [globals] __complete ids [PREFIX]`: the item ids of the JSONL store, one a line. Run by
 * the launcher (dist/launch.cjs, from dist/complete.cjs) without loading the CLI, so this module
 * and what it imports stay small. Nothing at all is printed on any problem.
 */
import { PASSED_GLOBALS } from "../output/completion-scripts.js";

interface CompleteRequest {
  globals: Record<string, string>;
  kind: string | undefined;
  prefix: string;
}

/** The global flags that locate the store and policy, the kind asked for and the prefix typed. */
export function completeRequest(argv: readonly string[]): CompleteRequest {
  const globals: Record<string, string> = {};
  const words: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const eq = argv[i].indexOf("=");
    if (argv[i].startsWith("--") && eq > 0) globals[argv[i].slice(0, eq)] = argv[i].slice(eq + 1);
    else if (PASSED_GLOBALS.includes(argv[i])) globals[argv[i]] = argv[++i] ?? "";
    else words.push(argv[i]);
  }
  const [, kind, prefix = ""] = words;
  return { globals, kind, prefix };
}

/** Only plain words: a value with a control character or a blank is not offered. */
export function plainLines(values: string[]): string {
  const plain = values.filter((v) => /^[\x21-\x7e]+$/.test(v));
  return plain.length > 0 ? `${plain.join("\n")}\n` : "";
}

/** The answer to an `ids` request: item ids of the JSONL store (none for PostgreSQL). */
export async function completeIds({ globals, prefix }: CompleteRequest, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { dataDir, resolveBackend } = await import("../store/location.js");
    const dsn = Boolean(globals["--dsn-file"] || env.BACKLOG_POSTGRES_DSN || env.POSTGRES_DSN);
    if (resolveBackend(globals["--backend"], env, dsn) !== "jsonl") return "";
    const { itemIdsWithPrefix } = await import("../store/jsonl-ids.js");
    return plainLines(itemIdsWithPrefix(dataDir({ dir: globals["--dir"], cwd, env }), prefix));
  } catch {
    return "";
  }
}


/**
 * `backlog [globals] __complete ids|envs|categories [PREFIX]`, called by the completion scripts:
 * candidates one a line. Reads only what it needs (the items log and its saved index, or the
 * policy) and prints nothing at all on any problem: a completion never shows an error. Ids are
 * normally answered by the launcher itself (complete-ids.ts), without loading the CLI.
 */
import { completeIds, completeRequest, plainLines } from "./complete-ids.js";

/** `build`: the running bundle's build key, for the policy cache (src/policy/cache.ts). */
export async function completeValues(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, build?: string): Promise<string> {
  try {
    const request = completeRequest(argv);
    const { globals, kind, prefix } = request;
    if (kind === "ids") return await completeIds(request, cwd, env);
    if (kind === "envs" || kind === "categories") {
      const { loadPolicy } = await import("../policy/load.js");
      const { policyCache } = await import("../policy/cache.js");
      const { policy } = loadPolicy(globals["--policy"] ?? (env.BACKLOG_POLICY || undefined), cwd, policyCache(env, build));
      return plainLines((kind === "envs" ? [...policy.envs] : Object.keys(policy.categories)).filter((v) => v.startsWith(prefix)));
    }
    return "";
  } catch {
    return "";
  }
}

/** generate-weekly / generate-daily: one locked batch that upserts what the rules call for. */
import { planGeneration } from "../domain/generation.js";
import type { Source } from "../domain/item.js";
import { ENTITLEMENTS } from "../domain/rbac.js";
import { invalidInput } from "../errors.js";
import { type DigestKind, type DigestLocation, locateDigest, readDigest, RISK_DIGEST, WEEKLY_DIGEST } from "../digest/source.js";
import type { BacklogService } from "./backlog-service.js";

export interface RunReport {
  week: string | null;
  env: string;
  digest: string | null;
  dry_run: boolean;
  created: number;
  updated: number;
  skipped: number;
  items: Array<{ action: "created" | "updated"; id: string | null; service: string; category: string; rule: string; dedupe_key: string }>;
  skipped_items: Array<{ service: string; category: string; rule: string; reason: string }>;
}

export interface GenerateOptions {
  location: DigestLocation;
  /** A digest given in the request itself (HTTP), used instead of locating a file. */
  inline?: unknown;
  /** --env; when absent, the digest's env, else prod. */
  env?: string;
  dryRun: boolean;
}

export interface GenerateOutcome {
  report: RunReport;
  /** Set when the policy switches this generation off: nothing was read or written. */
  disabled: string | null;
  /** Ids of the updates that changed something (the rest were already up to date). */
  changed: Set<string>;
}

const GENERATORS = {
  weekly: { kind: WEEKLY_DIGEST, source: "digest" as Source, flag: "weekly_from_pressure_digest", command: "generate-weekly" },
  daily: { kind: RISK_DIGEST, source: "risk" as Source, flag: "daily_from_risk_digest", command: "generate-daily" },
} as const;

export async function runGenerate(service: BacklogService, which: keyof typeof GENERATORS, options: GenerateOptions): Promise<GenerateOutcome> {
  const { kind, source, flag, command } = GENERATORS[which];
  service.authorize(ENTITLEMENTS.admin, command);
  const policy = service.policy;
  const empty = (env: string): RunReport => ({ week: null, env, digest: null, dry_run: options.dryRun, created: 0, updated: 0, skipped: 0, items: [], skipped_items: [] });
  if (!policy.generation[flag]) {
    return {
      report: empty(options.env ?? "prod"),
      disabled: `${command} is disabled by the policy (generation.${flag}: false); set it to true to enable it.`,
      changed: new Set(),
    };
  }
  const { path, digest } = digestOf(kind, options);
  const env = resolveEnv(options.env, digest.env, kind, path, policy.envs);
  const plan = planGeneration({ policy, digest, env, today: service.today(), source, origin: kind.label });
  const written = await service.deps.store.write(
    async (tx) => {
      const items: RunReport["items"] = [];
      const changed = new Set<string>();
      const existing = await tx.findByDedupeKeys(plan.planned.map((p) => p.dedupe_key));
      const ids = await service.freshIds(tx, plan.planned.filter((p) => !existing.has(p.dedupe_key)).length);
      for (const planned of plan.planned) {
        const current = existing.get(planned.dedupe_key);
        const ruleMeta = { rule: planned.rule, week: digest.week };
        let id: string;
        if (current) {
          const next = service.recordUpdate(tx, current, planned, ruleMeta);
          if (next !== current) changed.add(next.id);
          id = current.id;
        } else {
          const item = service.buildItem(planned, ids.pop() as string, digest.week);
          service.recordCreate(tx, item, ruleMeta);
          id = item.id;
        }
        items.push({
          action: current ? "updated" : "created",
          id: options.dryRun && !current ? null : id,
          service: planned.service,
          category: planned.category,
          rule: planned.rule,
          dedupe_key: planned.dedupe_key,
        });
      }
      return { items, changed };
    },
    { dryRun: options.dryRun },
  );
  const report: RunReport = {
    ...empty(env),
    week: digest.week,
    digest: path,
    created: written.items.filter((i) => i.action === "created").length,
    updated: written.items.filter((i) => i.action === "updated").length,
    skipped: plan.skipped.length,
    items: written.items,
    skipped_items: plan.skipped,
  };
  return { report, disabled: null, changed: written.changed };
}

function digestOf(kind: DigestKind, options: GenerateOptions): { path: string; digest: ReturnType<typeof readDigest> } {
  if (options.inline === undefined) {
    const path = locateDigest(kind, options.location);
    return { path, digest: readDigest(kind, path, options.location.cwd) };
  }
  const result = kind.parse(options.inline);
  if ("problems" in result) {
    throw invalidInput(`invalid ${kind.label} in the request:\n  ${result.problems.join("\n  ")}`, "Fix the fields named above; SPEC section 5 gives the digest format.", "invalid_digest");
  }
  return { path: "(request)", digest: result.digest };
}

function resolveEnv(flag: string | undefined, fromDigest: string | undefined, kind: DigestKind, path: string, envs: readonly string[]): string {
  if (flag !== undefined && fromDigest !== undefined && flag !== fromDigest) {
    throw invalidInput(`the ${kind.label} ${path} is for env "${fromDigest}", not "${flag}"`, `Pass --env ${fromDigest}, or the digest of ${flag}.`, "invalid_digest");
  }
  const env = flag ?? fromDigest ?? "prod";
  if (!envs.includes(env)) {
    throw invalidInput(`env "${env}" is not one of the policy's envs (${envs.join("|")})`, "Pass --env with one of them, or add it to `envs` in the policy.", "invalid_usage");
  }
  return env;
}

/** generate-weekly / generate-daily: one locked batch that upserts what the rules call for. */
import { isoWeekOf } from "../domain/calendar.js";
import { type PlannedItem, planGeneration } from "../domain/generation.js";
import type { BacklogItem, Source } from "../domain/item.js";
import { unionTags } from "../domain/upsert.js";
import { escalation, type GeneratedRef, latestBySeries, seenMeta, seriesKey } from "../domain/week-over-week.js";
import { ENTITLEMENTS } from "../domain/rbac.js";
import { invalidInput, notFound } from "../errors.js";
import { type DigestKind, type DigestLocation, locateDigest, parseDigest, readDigest, RISK_DIGEST, WEEKLY_DIGEST } from "../digest/source.js";
import type { BacklogService } from "./backlog-service.js";

export type RunAction = "created" | "updated" | "carried_over" | "unchanged";

export interface RunReport {
  week: string | null;
  env: string;
  digest: string | null;
  dry_run: boolean;
  created: number;
  updated: number;
  carried_over: number;
  unchanged: number;
  skipped: number;
  cleared: number;
  items: Array<{ action: RunAction; id: string | null; service: string; category: string; rule: string; dedupe_key: string }>;
  skipped_items: Array<{ service: string; category: string; rule: string; reason: string }>;
  /** Active generated items of the env that no rule matched this week: listed, not closed. */
  cleared_items: Array<{ id: string; service: string; category: string; dedupe_key: string; last_week: string | null; status: string }>;
}

export interface GenerateOptions {
  location: DigestLocation;
  /** A digest given in the request itself (HTTP), used instead of locating a file. */
  inline?: unknown;
  /** --env; when absent, the digest's env, else prod. */
  env?: string;
  dryRun: boolean;
  /** --require-current: a newest digest older than this week is exit 3, not a warning. */
  requireCurrent?: boolean;
}

export interface GenerateOutcome {
  report: RunReport;
  /** Set when the policy switches this generation off: nothing was read or written. */
  disabled: string | null;
  /** Set when the newest digest is older than the current ISO week (for stderr). */
  stale: string | null;
}

const GENERATORS = {
  weekly: { kind: WEEKLY_DIGEST, source: "digest" as Source, flag: "weekly_from_pressure_digest", command: "generate-weekly" },
  daily: { kind: RISK_DIGEST, source: "risk" as Source, flag: "daily_from_risk_digest", command: "generate-daily" },
} as const;

const emptyReport = (env: string, dryRun: boolean): RunReport => ({
  week: null, env, digest: null, dry_run: dryRun, created: 0, updated: 0, carried_over: 0, unchanged: 0, skipped: 0, cleared: 0,
  items: [], skipped_items: [], cleared_items: [],
});

export async function runGenerate(service: BacklogService, which: keyof typeof GENERATORS, options: GenerateOptions): Promise<GenerateOutcome> {
  const { kind, source, flag, command } = GENERATORS[which];
  service.authorize(ENTITLEMENTS.admin, command);
  const policy = service.policy;
  if (!policy.generation[flag]) {
    return {
      report: emptyReport(options.env ?? "prod", options.dryRun),
      disabled: `${command} is disabled by the policy (generation.${flag}: false); set it to true to enable it.`,
      stale: null,
    };
  }
  const { path, digest } = digestOf(kind, options);
  const stale = options.location.file === undefined && options.inline === undefined ? staleness(kind.label, path, digest.week, isoWeekOf(service.today())) : null;
  if (stale && options.requireCurrent) {
    throw notFound(stale, `Run the digest job for this week first, or pass --digest ${path} to use it anyway.`, "digest_stale");
  }
  const env = resolveEnv(options.env, digest.env, kind, path, policy.envs);
  const plan = planGeneration({ policy, digest, env, today: service.today(), source, origin: kind.label });
  const prefix = policy.dedupe.key_prefix;
  const { carry_over: carryOver, escalate_after_weeks: escalateAfter } = policy.generation;
  const written = await service.deps.store.write(
    async (tx) => {
      const items: RunReport["items"] = [];
      const byKey = await tx.findByDedupeKeys(plan.planned.map((p) => p.dedupe_key));
      // Only keys of the generated format form series (the store finds no others); the few items needed are then read in one batch.
      const active = await tx.findActiveGenerated(prefix, env);
      const series = carryOver ? latestBySeries(prefix, active) : new Map<string, GeneratedRef>();
      const matched = new Set([...plan.planned, ...plan.skipped].map((m) => seriesKey(env, m.service, m.category)));
      const carriedRefs = plan.planned.map((p) => (byKey.has(p.dedupe_key) ? undefined : series.get(seriesKey(p.env, p.service, p.category))));
      const clearedRefs = active.filter((ref) => !matched.has(seriesKey(ref.env, ref.service, ref.category)));
      const wanted = [...carriedRefs.filter((r): r is GeneratedRef => r !== undefined), ...clearedRefs].map((r) => r.id);
      const read = wanted.length > 0 ? await tx.getItems(wanted) : new Map<string, BacklogItem>();
      const targets = plan.planned.map((p, i) => byKey.get(p.dedupe_key) ?? (carriedRefs[i] ? read.get(carriedRefs[i].id) : undefined));
      const ids = await service.freshIds(tx, targets.filter((t) => t === undefined).length);
      const ruleMeta = { rule: "", week: digest.week };
      for (const [i, planned] of plan.planned.entries()) {
        const current = targets[i];
        const meta = { ...ruleMeta, rule: planned.rule };
        let action: RunAction;
        let id: string | null;
        let dedupeKey = planned.dedupe_key;
        if (current) {
          dedupeKey = current.dedupe_key;
          const carried = current.dedupe_key !== planned.dedupe_key;
          const input = carryOver ? withSeen(planned, current) : planned;
          const next = service.recordUpdate(tx, current, input, meta);
          const weeksAfter = seenMeta(unionTags(current.tags, planned.tags)).weeks_seen;
          const raised = carryOver ? escalation(current.priority, seenMeta(current.tags).weeks_seen, weeksAfter, escalateAfter) : null;
          if (raised) service.recordEscalation(tx, next, raised, weeksAfter);
          action = next === current && !raised ? "unchanged" : carried ? "carried_over" : "updated";
          id = current.id;
        } else {
          const item = service.buildItem(carryOver ? withSeen(planned, null) : planned, ids.pop() as string, digest.week);
          service.recordCreate(tx, item, meta);
          action = "created";
          id = options.dryRun ? null : item.id;
        }
        items.push({ action, id, service: planned.service, category: planned.category, rule: planned.rule, dedupe_key: dedupeKey });
      }
      const cleared = clearedRefs
        .map((ref) => read.get(ref.id))
        .filter((item): item is BacklogItem => item !== undefined && item.source === source)
        .sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.category < b.category ? -1 : a.category > b.category ? 1 : 0))
        .map((item) => ({ id: item.id, service: item.service, category: item.category, dedupe_key: item.dedupe_key, last_week: seenMeta(item.tags).last_week, status: item.status }));
      return { items, cleared };
    },
    { dryRun: options.dryRun },
  );
  const count = (action: RunAction) => written.items.filter((i) => i.action === action).length;
  const report: RunReport = {
    ...emptyReport(env, options.dryRun),
    week: digest.week,
    digest: path,
    created: count("created"),
    updated: count("updated"),
    carried_over: count("carried_over"),
    unchanged: count("unchanged"),
    skipped: plan.skipped.length,
    cleared: written.cleared.length,
    items: written.items,
    skipped_items: plan.skipped,
    cleared_items: written.cleared,
  };
  return { report, disabled: null, stale };
}

/** The planned upsert with the week tags of `current` counted into meta.weeks_seen / last_week. */
function withSeen(planned: PlannedItem, current: BacklogItem | null): PlannedItem {
  return { ...planned, meta: { ...planned.meta, ...seenMeta(unionTags(current?.tags ?? [], planned.tags)) } };
}

/** The stale-digest warning, or null when the digest is of the current week (or later). */
export function staleness(label: string, path: string, digestWeek: string, currentWeek: string): string | null {
  if (digestWeek >= currentWeek) return null;
  return `the newest ${label} (${path}) is for ${digestWeek}, but the current week is ${currentWeek}: the digest job may not have run`;
}

function digestOf(kind: DigestKind, options: GenerateOptions): { path: string; digest: ReturnType<typeof readDigest> } {
  if (options.inline === undefined) {
    const path = locateDigest(kind, options.location);
    return { path, digest: readDigest(kind, path, options.location.cwd) };
  }
  return { path: "(request)", digest: parseDigest(kind, options.inline, "in the request") };
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

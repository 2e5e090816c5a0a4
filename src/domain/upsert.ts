/** What an upsert changes on an existing item (SPEC section 4), as a pure function. */
import type { BacklogItem, EvidenceRefs } from "./item.js";

export interface UpsertPatch {
  title?: string;
  description?: string;
  evidence_refs?: EvidenceRefs;
  tags?: readonly string[];
  meta?: Record<string, unknown>;
  /** Asked for, but kept as they are on an existing item (see keptFields). */
  owner?: string;
  priority?: string;
  status?: string;
  due_date?: string;
}

/** Fields an upsert never changes on an existing item: people may have changed them since. */
export const UPSERT_KEPT_FIELDS = ["owner", "priority", "status", "due_date"] as const;

/** JSON with object keys sorted: equal values compare equal whatever order a store kept keys in. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const sameJson = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

export function unionTags(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])];
}

/**
 * Updates title, description and evidence, unions tags and merges meta; keeps status, owner,
 * priority and due date, which people may have changed. `changed` lists the fields that differ:
 * empty means there is nothing to write.
 */
export function applyUpsert(existing: BacklogItem, patch: UpsertPatch, updatedAt: string): { item: BacklogItem; changed: string[]; kept: string[] } {
  const next: BacklogItem = {
    ...existing,
    title: patch.title ?? existing.title,
    description: patch.description ?? existing.description,
    evidence_refs: patch.evidence_refs ?? existing.evidence_refs,
    tags: unionTags(existing.tags, patch.tags ?? []),
    meta: { ...existing.meta, ...patch.meta },
  };
  const changed = (["title", "description", "evidence_refs", "tags", "meta"] as const).filter(
    (field) => !sameJson(existing[field], next[field]),
  );
  return { item: changed.length > 0 ? { ...next, updated_at: updatedAt } : existing, changed, kept: keptFields(existing, patch) };
}

/** The kept fields the input asked to change: given, and different from the existing item's. */
export function keptFields(existing: BacklogItem, patch: UpsertPatch): string[] {
  return UPSERT_KEPT_FIELDS.filter((field) => patch[field] !== undefined && (patch[field] ?? "") !== existing[field]);
}

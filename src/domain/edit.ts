/**
 * `backlog edit`: the changes a person asks for, applied to an item (pure, no I/O). The result
 * names each field that really changed with its old and new value; an empty map is a no-op.
 */
import { type BacklogItem, EVIDENCE_KINDS, type EvidenceKind, type Priority } from "./item.js";

export interface EditChanges {
  title?: string;
  description?: string;
  owner?: string;
  priority?: Priority;
  /** null (or "") clears the due date. */
  due_date?: string | null;
  /** Replaces the tags. */
  tags?: string[];
  add_tags?: string[];
  remove_tags?: string[];
  /** Replaces the references of the kinds given; other kinds are kept. */
  evidence_refs?: Partial<Record<EvidenceKind, string[]>>;
  add_evidence?: Partial<Record<EvidenceKind, string[]>>;
  remove_evidence?: Partial<Record<EvidenceKind, string[]>>;
  /** Merged into meta; a null value removes the key. */
  meta?: Record<string, unknown>;
}

export type FieldChange = { from: unknown; to: unknown };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function applyEdit(item: BacklogItem, changes: EditChanges, nowIso: string): { item: BacklogItem; changes: Record<string, FieldChange> } {
  const next: BacklogItem = { ...item, evidence_refs: { ...item.evidence_refs }, tags: [...item.tags], meta: { ...item.meta } };
  if (changes.title !== undefined) next.title = changes.title;
  if (changes.description !== undefined) next.description = changes.description;
  if (changes.owner !== undefined) next.owner = changes.owner;
  if (changes.priority !== undefined) next.priority = changes.priority;
  if (changes.due_date !== undefined) next.due_date = changes.due_date ?? "";

  let tags = changes.tags !== undefined ? [...changes.tags] : next.tags;
  if (changes.add_tags) tags = [...tags, ...changes.add_tags];
  if (changes.remove_tags) {
    const drop = new Set(changes.remove_tags);
    tags = tags.filter((t) => !drop.has(t));
  }
  next.tags = [...new Set(tags)];

  for (const kind of EVIDENCE_KINDS) {
    let refs = changes.evidence_refs?.[kind] !== undefined ? [...(changes.evidence_refs[kind] ?? [])] : next.evidence_refs[kind];
    const add = changes.add_evidence?.[kind];
    if (add) refs = [...refs, ...add];
    const remove = changes.remove_evidence?.[kind];
    if (remove) {
      const drop = new Set(remove);
      refs = refs.filter((r) => !drop.has(r));
    }
    next.evidence_refs[kind] = [...new Set(refs)];
  }

  if (changes.meta) {
    for (const [key, value] of Object.entries(changes.meta)) {
      if (value === null) delete next.meta[key];
      else next.meta[key] = value;
    }
  }

  const diff: Record<string, FieldChange> = {};
  for (const field of ["title", "description", "owner", "priority", "due_date", "tags", "evidence_refs", "meta"] as const) {
    if (!same(item[field], next[field])) diff[field] = { from: item[field], to: next[field] };
  }
  if (Object.keys(diff).length === 0) return { item, changes: {} };
  next.updated_at = nowIso;
  return { item: next, changes: diff };
}

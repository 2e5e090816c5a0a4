import type { BacklogItem } from "../../src/domain/item.js";
import { emptyEvidence } from "../../src/domain/item.js";

let counter = 0;

/** An item built from an object literal: only what the test cares about needs saying. */
export function makeItem(over: Partial<BacklogItem> = {}): BacklogItem {
  counter += 1;
  const id = over.id ?? `bl_${counter.toString(16).padStart(12, "0")}`;
  return {
    id,
    created_at: "2026-02-01T00:00:00.000Z",
    updated_at: "2026-02-01T00:00:00.000Z",
    env: "prod",
    service: "gateway",
    category: "refactor",
    title: `item ${counter}`,
    description: "",
    priority: "P2",
    status: "open",
    owner: "oncall",
    due_date: "",
    source: "manual",
    dedupe_key: `manual:${id}`,
    evidence_refs: emptyEvidence(),
    tags: [],
    meta: {},
    ...over,
  };
}

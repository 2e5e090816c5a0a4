import { describe, expect, it } from "vitest";
import { firstInOrder, linePrefilter, matchesFullFilter, queryItems, selectFields, sinceInstant } from "../../src/domain/query.js";
import { makeItem } from "../helpers/items.js";

describe("the pure list query", () => {
  const a = makeItem({ id: "bl_00000000000a", title: "Alpha", priority: "P1", due_date: "", tags: ["db", "week:2026-W05"], updated_at: "2026-02-03T00:00:00.000Z" });
  const b = makeItem({ id: "bl_00000000000b", title: "beta", priority: "P1", due_date: "2026-01-02", owner: "Ops", status: "blocked" });
  const c = makeItem({ id: "bl_00000000000c", title: "gamma", priority: "P0", description: "Has a TIMEOUT", service: "auth", status: "done" });
  const all = { limit: null, offset: 0 };
  const ids = (filter: object, page: object = all) => queryItems([a, b, c], filter, { ...all, ...page }).items.map((i) => i.id);

  it("list filters: any of the values; tags all; updated since", () => {
    expect(ids({ priority: ["P0", "P1"], statuses: ["open", "done"] })).toEqual([c.id, a.id]);
    expect(ids({ owner: ["Ops", "x"] })).toEqual([b.id]);
    expect(ids({ owner: [] })).toHaveLength(3);
    expect(ids({ tags: ["db"] })).toEqual([a.id]);
    expect(ids({ tags: ["db", "other"] })).toEqual([]);
    expect(ids({ updatedSince: "2026-02-02T00:00:00.000Z" })).toEqual([a.id]);
  });

  it("search: case-insensitive over title, description, service, owner, id, dedupe key and tags", () => {
    expect(ids({ search: "timeout" })).toEqual([c.id]);
    expect(ids({ search: "ALPHA" })).toEqual([a.id]);
    expect(ids({ search: "ops" })).toEqual([b.id]);
    expect(ids({ search: "AUTH" })).toEqual([c.id]);
    expect(ids({ search: "00b" })).toEqual([b.id]);
    expect(ids({ search: "manual:bl_00000000000a" })).toEqual([a.id]);
    expect(ids({ search: "W05" })).toEqual([a.id]);
    expect(matchesFullFilter(a, { search: "nothing" })).toBe(false);
  });

  it("sort: keys in turn, -KEY descending, then the default order; empty due dates last ascending", () => {
    expect(ids({})).toEqual([c.id, b.id, a.id]);
    expect(ids({}, { sort: [{ key: "title", desc: false }] })).toEqual([a.id, b.id, c.id]);
    expect(ids({}, { sort: [{ key: "priority", desc: true }] })).toEqual([b.id, a.id, c.id]);
    expect(ids({}, { sort: [{ key: "due", desc: false }] })).toEqual([b.id, c.id, a.id]);
    expect(ids({}, { sort: [{ key: "due", desc: true }] })).toEqual([c.id, a.id, b.id]);
    expect(ids({}, { sort: [{ key: "status", desc: false }] })).toEqual([a.id, b.id, c.id]);
    expect(ids({}, { sort: [{ key: "updated", desc: true }] })).toEqual([a.id, c.id, b.id]);
  });

  it("pages after sorting; hydrates only what the cheap filter kept", () => {
    const seen: string[] = [];
    const entries = [a, b, c].map(({ tags: _t, title: _ti, description: _d, ...entry }) => entry);
    const full = (e: { id: string }) => {
      seen.push(e.id);
      return [a, b, c].find((i) => i.id === e.id) ?? a;
    };
    const r = queryItems(entries, { search: "a", priority: ["P1"] }, { limit: 1, offset: 1 }, full);
    expect(seen).toEqual([a.id, b.id]);
    expect(r.total).toBe(2);
    expect(r.items.map((i) => i.id)).toEqual([a.id]);
  });

  it("since spans count back from now; fields pick keys in order", () => {
    expect(sinceInstant({ hours: 24 }, new Date("2026-02-02T06:00:00.000Z"))).toBe("2026-02-01T06:00:00.000Z");
    expect(sinceInstant({ at: "2026-02-01T00:00:00.000Z" }, new Date())).toBe("2026-02-01T00:00:00.000Z");
    expect(Object.keys(selectFields(a, ["title", "id", "tags"]))).toEqual(["title", "id", "tags"]);
  });

  it("the stored-line prefilter never drops a match, and drops lines without the text", () => {
    const test = linePrefilter({ search: "ALP", tags: ["db"] });
    expect(test?.(JSON.stringify(a))).toBe(true);
    expect(test?.(JSON.stringify(b))).toBe(false);
    // A Python-written line with ensure_ascii: escaped non-ASCII text is not looked for.
    expect(linePrefilter({ search: "é" })).toBeNull();
    expect(linePrefilter({ search: 'say "hi"' })).toBeNull();
    expect(linePrefilter({ tags: ["ü"] })).toBeNull();
    expect(linePrefilter({ search: "zzz", tags: ["ü"] })?.('{"title":"\\u00fc zzz"}')).toBe(true);
  });
});

describe("firstInOrder (a page without a full sort)", () => {
  it("gives exactly the prefix of a full sort, for every page size", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const items = Array.from({ length: 500 }, (_, i) => ({ id: `bl_${i.toString(16).padStart(12, "0")}`, rank: Math.floor(random() * 20) }));
    const compare = (a: (typeof items)[number], b: (typeof items)[number]) => a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const sorted = [...items].sort(compare);
    for (const k of [0, 1, 2, 7, 50, 62, 63, 64, 499, 500, 600]) expect(firstInOrder([...items], compare, k)).toEqual(sorted.slice(0, k));
  });
});

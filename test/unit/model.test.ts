import { describe, expect, it } from "vitest";
import { normalizeStoredEvent, normalizeStoredItem } from "../../src/domain/item.js";
import { applyUpsert } from "../../src/domain/upsert.js";
import { resolveOutputMode } from "../../src/output/mode.js";
import { safeInline, safeMultiline } from "../../src/output/sanitize.js";
import { makeItem } from "../helpers/items.js";

describe("reading reference-store records", () => {
  it("fills the reference defaults and reads naive timestamps as UTC", () => {
    const item = normalizeStoredItem({ id: "bl_0123456789ab", created_at: "2026-02-16T06:20:00", service: "gateway", category: "refactor", title: "t" });
    expect(item).toMatchObject({
      created_at: "2026-02-16T06:20:00.000Z",
      updated_at: "2026-02-16T06:20:00.000Z",
      env: "prod",
      priority: "P2",
      status: "open",
      owner: "oncall",
      source: "manual",
      due_date: "",
      tags: [],
      meta: {},
      evidence_refs: { alerts: [], incidents: [], release_checks: [], artifacts: [], followups: [] },
    });
  });

  it("normalises zoned timestamps and microseconds", () => {
    expect(normalizeStoredItem({ id: "x", created_at: "2026-02-16T07:20:00.123456+01:00" })?.created_at).toBe("2026-02-16T06:20:00.123Z");
    expect(normalizeStoredEvent({ id: "ev_1", item_id: "x", ts: "2026-02-16 06:20:00.5" })?.ts).toBe("2026-02-16T06:20:00.500Z");
  });

  it("is null for values that are not items", () => {
    expect(normalizeStoredItem(null)).toBeNull();
    expect(normalizeStoredItem([1])).toBeNull();
    expect(normalizeStoredItem({ title: "no id" })).toBeNull();
  });
});

describe("upsert", () => {
  const existing = makeItem({ status: "in_progress", owner: "cto", priority: "P0", due_date: "2026-01-01", tags: ["a"], meta: { x: 1, y: 1 } });

  it("updates content, unions tags, merges meta and keeps what people own", () => {
    const { item, changed } = applyUpsert(existing, { title: "new", tags: ["b", "a"], meta: { y: 2 }, description: "d" }, "2026-03-01T00:00:00.000Z");
    expect(item).toMatchObject({ title: "new", description: "d", tags: ["a", "b"], meta: { x: 1, y: 2 }, status: "in_progress", owner: "cto", priority: "P0", due_date: "2026-01-01", updated_at: "2026-03-01T00:00:00.000Z" });
    expect(changed).toEqual(["title", "description", "tags", "meta"]);
  });

  it("changes nothing, not even updated_at, when nothing differs", () => {
    const { item, changed } = applyUpsert(existing, { title: existing.title, tags: ["a"], meta: { x: 1 } }, "2026-03-01T00:00:00.000Z");
    expect(changed).toEqual([]);
    expect(item).toBe(existing);
  });
});

describe("terminal safety", () => {
  it("makes escape sequences and bidi controls visible", () => {
    expect(safeInline("ok\u001b[31mred\u0007\u202e")).toBe("ok\\x1b[31mred\\x07\\u{202e}");
    expect(safeInline("a\nb")).toBe("a\\x0ab");
    expect(safeMultiline("a\nb\u001b")).toBe("a\nb\\x1b");
  });
});

describe("output mode", () => {
  it.each([
    [{}, { isTTY: true }, {}, true],
    [{}, { isTTY: false }, {}, false],
    [{ color: false }, { isTTY: true }, {}, false],
    [{}, { isTTY: true }, { NO_COLOR: "" }, false],
    [{}, { isTTY: true }, { TERM: "dumb" }, false],
    [{ json: true }, { isTTY: true }, {}, false],
    [{ color: "always" }, { isTTY: false }, { NO_COLOR: "1" }, true],
    [{ color: "never" }, { isTTY: true }, { FORCE_COLOR: "1" }, false],
    [{ color: "auto" }, { isTTY: false }, { FORCE_COLOR: "1" }, true],
    [{}, { isTTY: false }, { FORCE_COLOR: "" }, true],
    [{}, { isTTY: true }, { FORCE_COLOR: "0" }, false],
    [{}, { isTTY: true }, { FORCE_COLOR: "false" }, false],
    [{ json: true, color: "always" }, { isTTY: true }, {}, false],
  ])("flags %j, stdout %j, env %j → colour %s", (flags, stdout, env, color) => {
    expect(resolveOutputMode(flags, stdout, env).color).toBe(color);
  });

  it.each([
    [{ isTTY: true, columns: 132 }, {}, 132],
    [{ isTTY: true, columns: 132 }, { COLUMNS: "90" }, 90],
    [{ isTTY: false }, { COLUMNS: "90" }, 90],
    [{ isTTY: false }, {}, null],
    [{ isTTY: false }, { COLUMNS: "wide" }, null],
    [{ isTTY: true }, {}, 100],
  ])("stdout %j, env %j → width %s", (stdout, env, width) => {
    expect(resolveOutputMode({}, stdout, env).width).toBe(width);
  });
});

describe("upsert change detection", () => {
  it("does not see a change where only the key order of stored objects differs", () => {
    const existing = makeItem({ meta: { b: 1, a: { y: 2, x: 1 } } });
    const { changed } = applyUpsert(existing, { meta: { a: { x: 1, y: 2 }, b: 1 } }, "2026-03-01T00:00:00.000Z");
    expect(changed).toEqual([]);
  });
});

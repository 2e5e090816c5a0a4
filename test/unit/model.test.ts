import { describe, expect, it } from "vitest";
import { isStoredTimestamp, normalizeStoredEvent, normalizeStoredItem } from "../../src/domain/item.js";
import { parseExport } from "../../src/domain/transfer.js";
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

describe("stored values outside their enum", () => {
  const read = (over: Record<string, unknown>) => {
    const notes: string[] = [];
    const item = normalizeStoredItem({ id: "bl_0123456789ab", service: "api", category: "refactor", ...over }, (field, message) => notes.push(`${field}: ${message}`));
    return { item, notes };
  };

  it.each([
    [{ status: "Done" }, { status: "done" }, ['status: "Done" read as "done"']],
    [{ priority: "p0" }, { priority: "P0" }, ['priority: "p0" read as "P0"']],
    [{ source: "RISK", status: "IN_PROGRESS" }, { source: "risk", status: "in_progress" }, ['source: "RISK" read as "risk"', 'status: "IN_PROGRESS" read as "in_progress"']],
    [{ status: null, priority: undefined }, { status: "open", priority: "P2" }, []],
  ])("normalises case variants with a note: %j", (over, expected, notes) => {
    const r = read(over);
    expect(r.item).toMatchObject(expected);
    expect(r.notes).toEqual(notes);
  });

  it.each([[{ status: "finished" }, 'status: "finished" is not one of open|in_progress|blocked|done|canceled'], [{ priority: 0 }, "priority: 0 is not one of P0|P1|P2|P3"], [{ source: "bot" }, 'source: "bot" is not one of risk|pressure|digest|manual']])(
    "never coerces another value: the record is unreadable, with a note (%j)",
    (over, note) => {
      const r = read(over);
      expect(r.item).toBeNull();
      expect(r.notes).toEqual([note]);
    },
  );

  it("events too", () => {
    const notes: string[] = [];
    expect(normalizeStoredEvent({ id: "ev_1", item_id: "x", type: "Comment" }, (f, m) => notes.push(`${f}: ${m}`))?.type).toBe("comment");
    expect(normalizeStoredEvent({ id: "ev_1", item_id: "x", type: "rumour" }, (f, m) => notes.push(`${f}: ${m}`))).toBeNull();
    expect(notes).toEqual(['type: "Comment" read as "comment"', 'type: "rumour" is not one of created|status_change|comment|auto_update|edited']);
  });
});

describe("export records", () => {
  it.each([
    ["2026-02-16T06:20:00.000Z", true],
    ["2026-02-16T06:20:00", true],
    ["2026-02-16T07:20:00+01:00", true],
    ["2026-02-30T00:00:00.000Z", false],
    ["0001-01-01T00:00:00.000Z", false],
    ["yesterday", false],
    ["", false],
  ])("a stored timestamp %j is valid: %s", (value, valid) => expect(isStoredTimestamp(value)).toBe(valid));

  it("parses with the checks it is given, numbering lines and finding twins", () => {
    const item = (id: string, key: string) => JSON.stringify({ item: { id, service: "api", category: "refactor", dedupe_key: key } });
    const text = [item("bl_1", "a"), "", item("bl_2", "a"), item("bl_1", "b"), "[]", item("bad", "c"), JSON.stringify({ event: { id: "ev_1", item_id: "bl_1" } })].join("\n");
    const parsed = parseExport(`\ufeff${text}`, { item: (raw) => ((raw as { id: string }).id === "bad" ? ["id: no"] : []), event: () => [] });
    expect(parsed.items.map((i) => [i.line, i.value.id])).toEqual([[1, "bl_1"]]);
    expect(parsed.events.map((e) => e.line)).toEqual([7]);
    expect(parsed.errors).toEqual([
      'line 3: item bl_2: dedupe key "a" is also the key of line 1',
      "line 4: item bl_1 appears twice (also line 1)",
      'line 5: expected {"item":{…}} or {"event":{…}}',
      "line 6: item bad: id: no",
    ]);
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

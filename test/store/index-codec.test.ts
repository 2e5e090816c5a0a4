/**
 * The saved index file (binary, format 4): what is saved reads back the same, and any file that is
 * not exactly what this version saved for this kind is no index at all, so reads fall back to the
 * log and give the answer the log gives.
 */
import { crc32 } from "node:zlib";
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ColumnReader, ColumnWriter, IndexFileError, StringTable } from "../../src/store/index-codec.js";
import { type IndexKind, type LogIndex, loadSavedIndex, saveIndex } from "../../src/store/jsonl-index.js";
import { eventsIndex, type ItemEntry, itemsIndex } from "../../src/store/jsonl-indexes.js";
import { JsonlStore } from "../../src/store/jsonl-store.js";
import { makeItem } from "../helpers/items.js";
import { tempDir } from "../helpers/temp.js";

const header = { bad: [3, 9], notes: [[4, "status: read as open"]] as Array<[number, string]>, lines: 12, covered: 5_000_000_123, identity: { dev: "1", ino: "2", birth: "3", size: 5_000_000_200, mtime: "4", ctime: "5" }, head: "h", tail: "t", crc: 4_000_000_000, unsaved: 0, verifiedAt: "5" };

const entry = (id: string, over: Partial<ItemEntry> = {}): ItemEntry => ({
  id, env: "prod", service: "gateway", category: "refactor", priority: "P1", status: "open", owner: "oncall", due_date: "", created_at: "2026-02-01T00:00:00.000Z",
  updated_at: "2026-02-01T00:00:00.000Z", dedupe_key: `manual:${id}`, off: 0, len: 10, ...over,
});

function savedItems(dir: string, state = new Map([["bl_000000000001", entry("bl_000000000001")]])) {
  const path = join(dir, ".items.jsonl.index");
  saveIndex(itemsIndex, path, { ...header, state } as LogIndex<Map<string, ItemEntry>>);
  return path;
}

describe("saved index file", () => {
  it("reads back what was saved: odd strings, large offsets, every header field", () => {
    const dir = tempDir();
    const odd = ["", "\u0000", "é", "日本", "\ud800", "😀", "a\"b\\c\n"];
    const state = new Map<string, ItemEntry>();
    odd.forEach((text, i) => {
      const id = `bl_${String(i).padStart(12, "0")}${text}`;
      state.set(id, entry(id, { owner: text, dedupe_key: `k${text}`, off: 2 ** 40 + i, len: i }));
    });
    const loaded = loadSavedIndex(itemsIndex, savedItems(dir, state));
    expect(loaded).toEqual({ ...header, state, savedMtime: expect.stringMatching(/^\d+$/) });
    // Latin-1 only and wider strings are stored two ways: both round trips are exact.
    const plain = new Map([["bl_000000000009", entry("bl_000000000009", { owner: "ÿ" })]]);
    expect(loadSavedIndex(itemsIndex, savedItems(dir, plain))?.state).toEqual(plain);

    const events = new Map([["bl_000000000001", [0, 10, 2 ** 33, 7]], ["bl_0000000000é2", []], ["\ud800", [5, 6]]]);
    const path = join(dir, ".events.jsonl.index");
    saveIndex(eventsIndex, path, { ...header, state: events });
    expect(loadSavedIndex(eventsIndex, path)).toEqual({ ...header, state: events, savedMtime: expect.stringMatching(/^\d+$/) });
    expect(loadSavedIndex(eventsIndex, savedItems(dir, new Map()))).toBeNull();
    expect(loadSavedIndex(itemsIndex, path), "an events index is never read as an items index").toBeNull();
  });

  it("is no index at all when any byte is changed, or when it is cut short anywhere", () => {
    const dir = tempDir();
    const path = savedItems(dir);
    const bytes = readFileSync(path);
    for (let i = 0; i < bytes.length; i += 1) {
      const flipped = Buffer.from(bytes);
      flipped[i] ^= 0x20;
      writeFileSync(path, flipped);
      expect(loadSavedIndex(itemsIndex, path), `byte ${i} changed`).toBeNull();
    }
    for (let length = 0; length < bytes.length; length += 1) {
      writeFileSync(path, bytes.subarray(0, length));
      expect(loadSavedIndex(itemsIndex, path), `cut at ${length}`).toBeNull();
    }
    writeFileSync(path, Buffer.concat([bytes, Buffer.from("\n")]));
    expect(loadSavedIndex(itemsIndex, path)).toBeNull();
    writeFileSync(path, bytes);
    expect(loadSavedIndex(itemsIndex, path)).not.toBeNull();
  });

  it("is no index when a file with a valid checksum holds numbers it cannot hold", () => {
    const dir = tempDir();
    const path = savedItems(dir);
    const bytes = readFileSync(path);
    /** The file with `edit` applied and its checksum made right again. */
    const planted = (edit: (b: Buffer) => void) => {
      const b = Buffer.from(bytes);
      edit(b);
      b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
      writeFileSync(path, b);
      return loadSavedIndex(itemsIndex, path);
    };
    expect(planted(() => undefined)).not.toBeNull();
    // The rows' section follows the strings: its first number is the id's string number.
    const rowsAt = bytes.indexOf(Buffer.from([1, 0, 0, 0, 11, 0, 0, 0, 44, 0, 0, 0]));
    expect(rowsAt).toBeGreaterThan(0);
    expect(planted((b) => b.writeUInt32LE(999, rowsAt + 12)), "a string number past the table").toBeNull();
    const offAt = bytes.indexOf(Buffer.from([2, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0]));
    expect(planted((b) => b.writeDoubleLE(-1, offAt + 12)), "a negative offset").toBeNull();
    expect(planted((b) => b.writeDoubleLE(0.5, offAt + 12)), "a fractional offset").toBeNull();
    expect(planted((b) => b.writeUInt32LE(3, 4)), "another format").toBeNull();
  });

  it("of an earlier format (JSON), planted as a link, or unreadable, is ignored, and the log read and indexed anew", async () => {
    const dir = tempDir();
    const writer = new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z") });
    for (let i = 0; i < 3; i += 1) await writer.write(async (tx) => tx.putItem(makeItem({ title: `item ${i}` })));
    await writer.close("ok");
    const path = join(dir, ".items.jsonl.index");
    const good = loadSavedIndex(itemsIndex, path);
    expect(good?.state.size).toBe(3);
    const read = async () => {
      const store = new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z") });
      const d = await store.dashboard("prod", "2026-02-16", []);
      await store.close("ok");
      return d.status_counts.open;
    };
    // Format 3, with every entry blocked: were it read, no item would count as open.
    const rows = [...(good?.state.values() ?? [])].flatMap((e) => [e.id, e.env, e.service, e.category, e.priority, "blocked", e.owner, e.due_date, e.created_at, e.updated_at, e.dedupe_key, e.off, e.len]);
    const { state: _state, unsaved: _unsaved, ...head } = good as LogIndex<unknown>;
    writeFileSync(path, JSON.stringify({ format: 3, kind: "items", ...head, state: rows }));
    expect(await read()).toBe(3);
    expect(loadSavedIndex(itemsIndex, path)?.state.size, "rewritten in the new format").toBe(3);

    const victim = join(tempDir(), "victim");
    writeFileSync(victim, readFileSync(path));
    rmSync(path);
    symlinkSync(victim, path);
    expect(loadSavedIndex(itemsIndex, path)).toBeNull();
    expect(await read()).toBe(3);
    expect(existsSync(victim)).toBe(true);

    writeFileSync(path, Buffer.alloc(0));
    expect(await read()).toBe(3);
  });
});

describe("one key of a saved index", () => {
  /** What a whole read gives for `key`, and what a lookup of `key` alone gives, from the same file. */
  const both = <S extends Map<string, unknown>>(kind: IndexKind<S>, file: Buffer, key: string) => {
    const whole = kind.decode(new ColumnReader(file, 5)).get(key);
    const one = kind.decodeSome(new ColumnReader(file, 5), [key]);
    return { whole, one: one.get(key), others: [...one.keys()].filter((k) => k !== key) };
  };
  const fileOf = <S>(kind: IndexKind<S>, state: S) => {
    const out = new ColumnWriter();
    kind.encode(state, out);
    return out.file(5, { kind: kind.name });
  };

  it("is what a whole read gives for that key, whatever the strings around it", () => {
    // Keys that are prefixes, suffixes and middles of others, that span two strings, empty, wide.
    const keys = ["bl_1", "bl_12", "bl_123", "l_12", "2", "", "é", "日本", "\ud800", "😀", "a\"b", "bl_1bl_12"];
    for (const wide of [false, true]) {
      const state = new Map<string, ItemEntry>();
      keys.forEach((id, i) => state.set(id, entry(id, { owner: wide ? "日" : "ÿ", dedupe_key: keys[(i + 1) % keys.length], off: 2 ** 40 + i })));
      const file = fileOf(itemsIndex, state);
      for (const key of [...keys, "absent", "bl_", "12bl", "b"]) {
        const { whole, one, others } = both(itemsIndex, file, key);
        expect(one, `${wide ? "wide" : "latin-1"} table, ${JSON.stringify(key)}`).toEqual(whole);
        expect(others).toEqual([]);
      }
      const some = itemsIndex.decodeSome(new ColumnReader(file, 5), ["bl_12", "absent", "é", "bl_12"]);
      expect([...some.keys()].sort()).toEqual(["bl_12", "é"]);
      const events = new Map(keys.map((id, i): [string, number[]] => [id, Array.from({ length: 2 * i }, (_, k) => k * 3)]));
      if (wide) events.set("日", [1, 2]);
      const eventsFile = fileOf(eventsIndex, events);
      for (const key of [...keys, "absent", "日"]) expect(both(eventsIndex, eventsFile, key).one, JSON.stringify(key)).toEqual(both(eventsIndex, eventsFile, key).whole);
    }
  });

  it("finds a string only where a string of its length starts", () => {
    for (const wide of ["", "日"]) {
      const table = new StringTable();
      const strings = ["xa", "bz", "b", "ab", "", "ab", "zab", `c${wide}`];
      table.strings.push(...strings);
      const out = new ColumnWriter();
      out.strings(table);
      const saved = new ColumnReader(out.file(5, {}), 5).stringTable();
      expect(saved.numbersOf("ab")).toEqual([3, 5]);
      expect(saved.numbersOf("")).toEqual([4]);
      expect(saved.numbersOf("b")).toEqual([2]);
      for (const absent of ["xab", "a", "z", "abz", "bb", "ā"]) expect(saved.numbersOf(absent), absent).toEqual([]);
      expect(strings.map((_, n) => saved.at(n))).toEqual(strings);
      expect(() => saved.at(strings.length)).toThrow(IndexFileError);
    }
  });

  it("takes the last record of a key written twice, as a whole read does, and refuses a record it uses that a whole read refuses", () => {
    // A table with the same string twice (this code never writes one: any other writer might).
    const table = new StringTable();
    const out = new ColumnWriter();
    for (const s of ["bl_1", "prod", "bl_1"]) table.strings.push(s);
    out.strings(table);
    out.u32s(Uint32Array.from({ length: 22 }, (_, i) => (i === 0 ? 0 : i === 11 ? 2 : 1)));
    out.f64s(Float64Array.from([5, 7]));
    out.u32s(Uint32Array.from([1, 2]));
    const file = out.file(5, { kind: "items" });
    const { whole, one } = both(itemsIndex, file, "bl_1");
    expect(one).toEqual(whole);
    expect((one as ItemEntry).off).toBe(7);

    const planted = new ColumnWriter();
    const t = new StringTable();
    t.number("bl_1");
    planted.strings(t);
    planted.u32s(Uint32Array.from({ length: 22 }, (_, i) => (i === 12 ? 9 : 0)));
    planted.f64s(Float64Array.from([5, 7]));
    planted.u32s(Uint32Array.from([1, 2]));
    const bad = planted.file(5, { kind: "items" });
    expect(() => itemsIndex.decode(new ColumnReader(bad, 5))).toThrow(IndexFileError);
    expect(() => itemsIndex.decodeSome(new ColumnReader(bad, 5), ["bl_1"])).toThrow(IndexFileError);
  });
});

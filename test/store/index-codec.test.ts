/**
 * The saved index file (binary, format 6): what is saved reads back the same, and any file that is
 * not exactly what this version saved for this kind is no index at all, so reads fall back to the
 * log and give the answer the log gives.
 */
import { crc32 } from "node:zlib";
import { closeSync, existsSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ColumnReader, ColumnWriter, IndexFileError, StringTable } from "../../src/store/index-codec.js";
import { type IndexKind, type LogIndex, loadSavedIndex, saveIndex } from "../../src/store/jsonl-index.js";
import { eventsIndex, type ItemEntry, itemsIndex, itemsWhere, type RowFields } from "../../src/store/jsonl-indexes.js";
import { isActiveGenerated } from "../../src/store/buffered-tx.js";
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
    // The rows' section is the last: its first number is the env's string number.
    const rowsAt = bytes.indexOf(Buffer.from([1, 0, 0, 0, 10, 0, 0, 0, 40, 0, 0, 0]));
    expect(rowsAt).toBeGreaterThan(0);
    expect(planted((b) => b.writeUInt32LE(999, rowsAt + 16)), "a string number past the table").toBeNull();
    const offAt = bytes.indexOf(Buffer.from([2, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0]));
    expect(planted((b) => b.writeDoubleLE(-1, offAt + 16)), "a negative offset").toBeNull();
    expect(planted((b) => b.writeDoubleLE(0.5, offAt + 16)), "a fractional offset").toBeNull();
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
  const FORMAT = 6;
  /** A log of these items' lines, and the items index a read of it makes. */
  const logOf = (items: readonly object[]) => {
    const lines = items.map((item) => JSON.stringify(item));
    const log = Buffer.from(`${lines.join("\n")}\n`);
    const state = itemsIndex.empty();
    let off = 0;
    for (const line of lines) {
      itemsIndex.add(state, line, off, Buffer.byteLength(line), () => undefined);
      off += Buffer.byteLength(line) + 1;
    }
    return { state, line: (at: number, len: number) => log.toString("utf8", at, at + len) };
  };
  const fileOf = <S>(kind: IndexKind<S>, state: S) => {
    const out = new ColumnWriter();
    kind.encode(state, out);
    return out.file(FORMAT, { kind: kind.name });
  };
  /** The file on disk, read by a lookup: only the header and the sections it uses. */
  const partial = (file: Buffer) => {
    const path = join(tempDir(), "index");
    writeFileSync(path, file);
    const fd = openSync(path, "r");
    try {
      return { reader: ColumnReader.partial(fd, file.length, FORMAT), close: () => closeSync(fd) };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  };
  const noLine = () => {
    throw new Error("no line is read");
  };

  it("is what a whole read gives for that key, whatever the strings around it, read whole or in part", () => {
    // Keys that are prefixes, suffixes and middles of others, that span two strings, wide.
    const keys = ["bl_1", "bl_12", "bl_123", "l_12", "2", "é", "日本", "\ud800", "😀", "a\"b", "bl_1bl_12"];
    for (const wide of [false, true]) {
      const { state, line } = logOf(keys.map((id, i) => makeItem({ id, owner: wide ? "日" : "ÿ", dedupe_key: `k${keys[(i + 1) % keys.length]}` })));
      const file = fileOf(itemsIndex, state);
      const whole = itemsIndex.decode(new ColumnReader(file, FORMAT));
      expect(whole).toEqual(state);
      for (const key of [...keys, "absent", "bl_", "12bl", "b", ""]) {
        const one = itemsIndex.decodeSome(new ColumnReader(file, FORMAT), [key], line);
        expect(one.get(key), `${wide ? "wide" : "latin-1"} table, ${JSON.stringify(key)}`).toEqual(whole.get(key));
        expect([...one.keys()].filter((k) => k !== key)).toEqual([]);
        const { reader, close } = partial(file);
        expect(itemsIndex.decodeSome(reader, [key], line).get(key)).toEqual(whole.get(key));
        reader.done();
        close();
      }
      const some = itemsIndex.decodeSome(new ColumnReader(file, FORMAT), ["bl_12", "absent", "é", "bl_12"], line);
      expect([...some.keys()].sort()).toEqual(["bl_12", "é"]);
      const events = new Map([...keys, ""].map((id, i): [string, number[]] => [id, Array.from({ length: 2 * i }, (_, k) => k * 3)]));
      if (wide) events.set("日", [1, 2]);
      const eventsFile = fileOf(eventsIndex, events);
      for (const key of [...keys, "", "absent", "日"]) {
        const { reader, close } = partial(eventsFile);
        expect(eventsIndex.decodeSome(reader, [key], noLine).get(key), JSON.stringify(key)).toEqual(eventsIndex.decode(new ColumnReader(eventsFile, FORMAT)).get(key));
        close();
      }
    }
  });

  it("finds a string only where a string of its length starts", () => {
    for (const wide of ["", "日"]) {
      const table = new StringTable();
      const strings = ["xa", "bz", "b", "ab", "", "ab", "zab", `c${wide}`];
      table.strings.push(...strings);
      const out = new ColumnWriter();
      out.strings(table);
      const saved = new ColumnReader(out.file(FORMAT, {}), FORMAT).stringTable();
      expect(saved.numbersOf("ab")).toEqual([3, 5]);
      expect(saved.numbersOf("")).toEqual([4]);
      expect(saved.numbersOf("b")).toEqual([2]);
      for (const absent of ["xab", "a", "z", "abz", "bb", "ā"]) expect(saved.numbersOf(absent), absent).toEqual([]);
      expect(strings.map((_, n) => saved.at(n))).toEqual(strings);
      expect(() => saved.at(strings.length)).toThrow(IndexFileError);
    }
  });

  it("reads the latest line of an id saved twice, as a whole read does, and refuses what it uses that is not right", () => {
    const older = makeItem({ title: "older" });
    const { line } = logOf([older, { ...older, title: "newer" }]);
    const firstLength = Buffer.byteLength(JSON.stringify(older));
    /** An items file of format 6 written by hand: the id twice, at these offsets and lengths. */
    const handMade = (offs: number[], lens: number[], rows = new Uint32Array(20)) => {
      const out = new ColumnWriter();
      out.strings([older.id, older.id]);
      out.f64s(Float64Array.from(offs));
      out.u32s(Uint32Array.from(lens));
      out.strings(["prod"]);
      out.u32s(rows);
      return out.file(FORMAT, { kind: "items" });
    };
    const file = handMade([0, firstLength + 1], [firstLength, Buffer.byteLength(JSON.stringify({ ...older, title: "newer" }))]);
    const whole = itemsIndex.decode(new ColumnReader(file, FORMAT)).get(older.id);
    const one = itemsIndex.decodeSome(new ColumnReader(file, FORMAT), [older.id], line).get(older.id);
    expect([one?.off, one?.len]).toEqual([whole?.off, whole?.len]);
    expect(one?.off).toBe(firstLength + 1);

    const refused = [
      handMade([0, -1], [firstLength, 5]),
      handMade([0, 0.5], [firstLength, 5]),
      // Not a whole line.
      handMade([0, 0], [firstLength, 5]),
    ];
    for (const bad of refused) expect(() => itemsIndex.decodeSome(new ColumnReader(bad, FORMAT), [older.id], line)).toThrow(IndexFileError);
    // The line it points to is another item's.
    const another = makeItem({ title: "another" });
    const elsewhere = logOf([another, older]);
    const anotherLength = Buffer.byteLength(JSON.stringify(another));
    expect(() => itemsIndex.decodeSome(new ColumnReader(handMade([0, 0], [anotherLength, anotherLength]), FORMAT), [older.id], elsewhere.line)).toThrow(IndexFileError);
  });

  it("by value, is what a whole read gives for the entries asked about, and no other", () => {
    const statuses = ["open", "in_progress", "blocked", "done", "canceled"] as const;
    for (const [count, wide] of [[7, false], [60, false], [60, true]] as const) {
      const items = Array.from({ length: count }, (_, i) =>
        makeItem({
          env: i % 3 === 0 ? "staging" : "prod",
          status: statuses[i % statuses.length],
          owner: wide ? "日" : "ÿ",
          dedupe_key: i % 4 === 0 ? `manual:${i}` : `platform_backlog:2026-W0${1 + (i % 9)}:prod:svc-${i}:refactor${i % 7 === 0 ? ":extra" : ""}`,
        }),
      );
      const { state } = logOf(items);
      const file = fileOf(itemsIndex, state);
      const whole = itemsIndex.decode(new ColumnReader(file, FORMAT));
      const keys = new Set([items[1].dedupe_key, items[count - 1].dedupe_key, "absent", "", ...items.slice(0, 30).map((item) => item.dedupe_key)]);
      const questions: Array<[string, (row: RowFields) => boolean]> = [
        ["some dedupe keys", (row) => keys.has(row.dedupe_key)],
        ["one dedupe key", (row) => row.dedupe_key === items[2].dedupe_key],
        ["active generated of prod", (row) => isActiveGenerated(row, "platform_backlog", "prod")],
        ["active generated of staging", (row) => isActiveGenerated(row, "platform_backlog", "staging")],
        ["nothing", () => false],
      ];
      for (const [what, where] of questions) {
        const expected = [...whole].filter(([, e]) => where(e));
        expect([...itemsWhere(new ColumnReader(file, FORMAT), where)], `${what}, ${count} items`).toEqual(expected);
        const { reader, close } = partial(file);
        expect([...itemsWhere(reader, where)]).toEqual(expected);
        reader.done();
        close();
      }
    }
  });

  it("by value, takes an id's last row, as a whole read does, and refuses a row that is not right", () => {
    /** Items files written by hand: `rows` strings of ["prod", "open", "done", "k"], ids repeated as given. */
    const handMade = (ids: string[], rows: number[][], offs = ids.map((_, i) => i * 10)) => {
      const out = new ColumnWriter();
      out.strings(ids);
      out.f64s(Float64Array.from(offs));
      out.u32s(Uint32Array.from(ids, () => 5));
      out.strings(["prod", "open", "done", "k"]);
      out.u32s(Uint32Array.from(rows.flat()));
      return out.file(FORMAT, { kind: "items" });
    };
    const row = (status: number) => [0, 0, 0, 0, status, 0, 0, 0, 0, 3];
    const wantedOpen = (r: RowFields) => r.status === "open";
    for (const others of [0, 30]) {
      // `others` other ids match too: found by a search of the ids, or by one pass over them.
      const more = Array.from({ length: others }, (_, i) => `bl_more${i}`);
      const check = (ids: string[], statuses: number[]) => {
        const file = handMade([...ids, ...more], [...statuses.map(row), ...more.map(() => row(1))]);
        const expected = [...itemsIndex.decode(new ColumnReader(file, FORMAT))].filter(([, e]) => wantedOpen(e));
        expect([...itemsWhere(new ColumnReader(file, FORMAT), wantedOpen)]).toEqual(expected);
        return expected.filter(([id]) => id === "bl_twice").map(([, e]) => e.off);
      };
      // Its later row matches: that one; it does not: not at all (its earlier row is not its entry).
      expect(check(["bl_twice", "bl_twice"], [2, 1])).toEqual([10]);
      expect(check(["bl_twice", "bl_twice"], [1, 2])).toEqual([]);
      expect(check(["bl_twice", "bl_other", "bl_twice"], [1, 1, 1])).toEqual([20]);
    }
    const refused = [
      // A string number past the table, in a field asked about or in one made for an entry.
      handMade(["bl_a"], [[0, 0, 0, 0, 9, 0, 0, 0, 0, 3]]),
      handMade(["bl_a"], [[0, 9, 0, 0, 1, 0, 0, 0, 0, 3]]),
      // An offset that is no position.
      handMade(["bl_a"], [row(1)], [-1]),
      // Rows of another length.
      handMade(["bl_a"], [row(1).slice(1)]),
    ];
    for (const bad of refused) expect(() => itemsWhere(new ColumnReader(bad, FORMAT), wantedOpen)).toThrow(IndexFileError);
    // A byte of the rows changed: a lookup by value reads them, so it refuses the file (their CRC).
    const { state } = logOf([makeItem(), makeItem()]);
    const file = fileOf(itemsIndex, state);
    const changed = Buffer.from(file);
    changed[file.length - 8] ^= 1;
    const { reader, close } = partial(changed);
    expect(() => itemsWhere(reader, () => true)).toThrow(IndexFileError);
    close();
  });

  it("in part checks each section it reads by its own CRC, and reads no other", () => {
    const { state, line } = logOf([makeItem({ title: "one" }), makeItem({ title: "two" })]);
    const [id] = state.keys();
    const file = fileOf(itemsIndex, state);
    // The rows are the last section: a byte changed there is seen by a whole read, not by a lookup.
    const rowsChanged = Buffer.from(file);
    rowsChanged[file.length - 8] ^= 1;
    expect(() => itemsIndex.decode(new ColumnReader(rowsChanged, FORMAT))).toThrow(IndexFileError);
    const rowsRead = partial(rowsChanged);
    expect(itemsIndex.decodeSome(rowsRead.reader, [id], line).get(id)?.id).toBe(id);
    rowsRead.close();
    // Any byte of the header or of the ids, offsets and lengths changed: the lookup refuses the
    // file; only the padding between them is never read.
    const padding = new Set<number>();
    let at = 16 + file.readUInt32LE(8);
    for (let section = 0; section <= 4; section += 1) {
      for (; at % 8 !== 0; at += 1) padding.add(at);
      if (section < 4) at += 16 + file.readUInt32LE(at + 8);
    }
    const used = at;
    expect(used).toBeLessThan(file.length - 100);
    for (let i = 0; i < used; i += 1) {
      const changed = Buffer.from(file);
      changed[i] ^= 0x20;
      let result: unknown;
      try {
        const { reader, close } = partial(changed);
        try {
          result = itemsIndex.decodeSome(reader, [id], line).get(id)?.id;
          reader.done();
        } finally {
          close();
        }
      } catch (error) {
        result = error instanceof IndexFileError || error instanceof SyntaxError ? "refused" : error;
      }
      expect(result, `byte ${i}`).toBe(padding.has(i) ? id : "refused");
    }
  });
});

/**
 * Without saved indexes, `get` finds one item by a byte search for its quoted id and parses only
 * the lines that hold it. Every case here is checked against the indexed read of the same files,
 * which parses every line: the search must give the same answer.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BacklogItem } from "../../src/domain/item.js";
import { JsonlStore } from "../../src/store/jsonl-store.js";
import { makeItem } from "../helpers/items.js";
import { tempDir } from "../helpers/temp.js";

const open = (dir: string, savedIndexes: boolean) => new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z"), savedIndexes });
const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const event = (id: string, itemId: string, ts: string, message = "m") => ({ id, item_id: itemId, ts, type: "comment", message, actor: "a", meta: {} });

/** A store written by hand: items and events lines as given. */
function storeOf(items: string, events = "") {
  const dir = tempDir();
  writeFileSync(join(dir, "items.jsonl"), items);
  writeFileSync(join(dir, "events.jsonl"), events);
  return dir;
}

/** The item and events of `id` by byte search (saved indexes off), after checking the indexed read agrees. */
async function searched(dir: string, id: string) {
  const byIndex = open(dir, true);
  // Long-lived: every read goes through the indexes, which parse every line.
  byIndex.keepOpen();
  const expected = await byIndex.getItemWithEvents(id);
  await byIndex.close("failed");
  const bySearch = open(dir, false);
  const found = await bySearch.getItemWithEvents(id);
  expect(found).toEqual(expected);
  expect(await bySearch.getItem(id)).toEqual(expected?.item ?? null);
  expect(await bySearch.listEvents(id)).toEqual(expected?.events ?? []);
  // With saved indexes on, a command reads through the indexes.
  const command = open(dir, true);
  expect(await command.getItemWithEvents(id)).toEqual(expected);
  await command.close("failed");
  return found;
}

describe("uncached get by byte search", () => {
  it("skips another item whose title holds the id, quoted or not", async () => {
    const target = makeItem({ id: "bl_00000000aaaa", title: "the one" });
    const other = makeItem({ id: "bl_00000000bbbb", title: `see "bl_00000000aaaa"`, description: "bl_00000000aaaa", dedupe_key: "bl_00000000aaaa" });
    const dir = storeOf(line(target) + line(other), line(event("ev_000000000001", "bl_00000000bbbb", "2026-02-01T00:00:00.000Z", "bl_00000000aaaa")));
    const found = await searched(dir, "bl_00000000aaaa");
    expect(found?.item.title).toBe("the one");
    expect(found?.events).toEqual([]);
  });

  it("does not take an id for a prefix of a longer one, nor the reverse", async () => {
    const dir = storeOf(line(makeItem({ id: "bl_abcd", title: "long" })) + line(makeItem({ id: "bl_abc", title: "short" })) + line(makeItem({ id: "bl_ab", title: "shorter" })));
    expect((await searched(dir, "bl_abc"))?.item.title).toBe("short");
    expect((await searched(dir, "bl_abcd"))?.item.title).toBe("long");
    expect(await searched(dir, "bl_a")).toBeNull();
  });

  it("returns the last version, and every event of the item in time order, once each", async () => {
    const v = (status: BacklogItem["status"], title: string) => makeItem({ id: "bl_00000000cccc", status, title });
    const events = [
      event("ev_000000000002", "bl_00000000cccc", "2026-02-02T00:00:00.000Z"),
      event("ev_000000000001", "bl_00000000cccc", "2026-02-01T00:00:00.000Z"),
      event("ev_000000000002", "bl_00000000cccc", "2026-02-02T00:00:00.000Z", "duplicate"),
      event("ev_000000000003", "bl_00000000dddd", "2026-02-03T00:00:00.000Z"),
    ];
    const dir = storeOf(line(v("open", "first")) + line(makeItem()) + line(v("blocked", "second")) + line(makeItem()) + line(v("done", "third")), events.map(line).join(""));
    const found = await searched(dir, "bl_00000000cccc");
    expect(found?.item).toMatchObject({ status: "done", title: "third" });
    expect(found?.events.map((e) => e.id)).toEqual(["ev_000000000001", "ev_000000000002"]);
  });

  it("ignores a torn last line, even one that is a newer version", async () => {
    const item = makeItem({ id: "bl_00000000eeee", title: "whole" });
    const torn = line({ ...item, title: "torn" }).slice(0, -1);
    const dir = storeOf(line(item) + torn);
    expect((await searched(dir, "bl_00000000eeee"))?.item.title).toBe("whole");
    // A torn line alone: no complete line, no item.
    const alone = storeOf(torn);
    expect(await searched(alone, "bl_00000000eeee")).toBeNull();
  });

  it("finds an id written with \\u escapes, and reads escaped text around it", async () => {
    const item = makeItem({ id: "bl_00000000ffff", title: 'quote " backslash \\ tab \t' });
    const escaped = line({ ...item, title: "escaped", updated_at: "2026-02-02T00:00:00.000Z" }).replace('"id":"bl_00000000ffff"', '"id":"\\u0062l_00000000ffff"');
    const dir = storeOf(line(item) + escaped, line(event("ev_000000000004", "bl_00000000ffff", "2026-02-01T00:00:00.000Z")).replace('"item_id":"bl_', '"item_id":"\\u0062l_'));
    const found = await searched(dir, "bl_00000000ffff");
    expect(found?.item.title).toBe("escaped");
    expect(found?.events).toHaveLength(1);
    // Only the first version: its escaped title comes back whole.
    const first = storeOf(line(item));
    expect((await searched(first, "bl_00000000ffff"))?.item.title).toBe('quote " backslash \\ tab \t');
  });

  it("skips unreadable and blank lines that hold the id, and reads CRLF line ends", async () => {
    const item = makeItem({ id: "bl_000000001111", title: "kept" });
    const dir = storeOf(`${line(item)}{"id":"bl_000000001111", broken\n\n${line({ id: "bl_000000001111" }).slice(0, -1)}\r\n`);
    await searched(dir, "bl_000000001111");
    const crlf = storeOf(`${line(item).slice(0, -1)}\r\n`);
    expect((await searched(crlf, "bl_000000001111"))?.item.title).toBe("kept");
  });

  it("reads lines longer than its buffer, and lines appended after them", async () => {
    const big = makeItem({ id: "bl_000000002222", description: "x".repeat(5 << 20) });
    const dir = storeOf(line(makeItem()) + line(big));
    expect((await searched(dir, "bl_000000002222"))?.item.description).toHaveLength(5 << 20);
    appendFileSync(join(dir, "items.jsonl"), line(makeItem({ id: "bl_000000003333" })));
    expect((await searched(dir, "bl_000000003333"))?.item.id).toBe("bl_000000003333");
  });

  it("answers for a missing store and an unknown id", async () => {
    const dir = tempDir();
    expect(await open(dir, false).getItemWithEvents("bl_000000004444")).toBeNull();
    expect(await open(dir, false).listEvents("bl_000000004444")).toEqual([]);
    expect(await searched(storeOf(line(makeItem())), "bl_000000004444")).toBeNull();
  });

  it("falls back to reading every line for an id it cannot search as bytes", async () => {
    const dir = storeOf(line(makeItem({ id: "odd/id", title: "slash" })) + line(makeItem({ id: 'odd"id', title: "quote" })));
    expect((await searched(dir, "odd/id"))?.item.title).toBe("slash");
    expect((await searched(dir, 'odd"id'))?.item.title).toBe("quote");
  });
});

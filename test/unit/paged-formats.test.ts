/**
 * `list` writes every format but the table a page of items at a time: the pages' texts joined must
 * be the very bytes of the whole answer written at once, however the items are split.
 */
import { describe, expect, it } from "vitest";
import { type BacklogItem, emptyEvidence } from "../../src/domain/item.js";
import type { ItemFieldName } from "../../src/domain/query.js";
import { type PagedFormat, pagedText, toCsv, toJson, toMarkdown, toTsv } from "../../src/output/formats.js";
import { makeItem } from "../helpers/items.js";

const DEFAULT: readonly ItemFieldName[] = ["id", "priority", "status", "title"];

const items: BacklogItem[] = [
  makeItem({ title: 'a, "b" | c', description: "x\r\ny\tz\\w\u001b[31m", tags: ["t1", "t,2"] }),
  makeItem({ title: "ünïcödé ✓ \u2028", meta: { nested: { deep: [1, { e: [] }], empty: {} } } }),
  makeItem({ evidence_refs: { ...emptyEvidence(), alerts: ["A-1", "ü"] } }),
  ...Array.from({ length: 7 }, (_, i) => makeItem({ tags: i % 2 === 0 ? [] : [`k${i}`] })),
];

/** The whole text of `format` as the command printed it before pages: one call over every item. */
function whole(format: PagedFormat, list: BacklogItem[], fields?: readonly ItemFieldName[]): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(toJson(list, fields), null, 2)}\n`;
    case "jsonl":
      return toJson(list, fields).map((i) => `${JSON.stringify(i)}\n`).join("");
    case "csv":
      return toCsv(list, fields ?? DEFAULT);
    case "tsv":
      return toTsv(list, fields ?? DEFAULT);
    case "markdown":
      return toMarkdown(list, fields ?? DEFAULT);
  }
}

function paged(format: PagedFormat, list: BacklogItem[], sizes: number[], fields?: readonly ItemFieldName[]): string {
  const out = pagedText(format, fields, DEFAULT);
  let text = "";
  let at = 0;
  for (const size of sizes) {
    text += out.page(list.slice(at, at + size));
    at += size;
  }
  return text + out.end();
}

const FORMATS: PagedFormat[] = ["json", "jsonl", "csv", "tsv", "markdown"];

describe("formats written a page at a time", () => {
  for (const format of FORMATS) {
    it(`${format}: the same bytes however the items are paged, with or without --fields`, () => {
      for (const fields of [undefined, ["id", "tags", "meta", "title"] as ItemFieldName[]]) {
        const expected = whole(format, items, fields);
        for (const sizes of [[items.length], [1, 1, 1, 7], [3, 0, 4, 3], [0, 10], [9, 1, 0]]) {
          expect(paged(format, items, sizes, fields), `${format} ${JSON.stringify(sizes)}`).toBe(expected);
        }
      }
    });

    it(`${format}: no items at all is what the whole format writes for none`, () => {
      expect(paged(format, [], [])).toBe(whole(format, []));
      expect(paged(format, [], [0, 0])).toBe(whole(format, []));
    });
  }

  it("JSON is an indented array with a trailing newline ([] when empty)", () => {
    expect(paged("json", [], [])).toBe("[]\n");
    const one = makeItem({ meta: { a: { b: 1 } } });
    expect(paged("json", [one], [1])).toBe(`[\n  ${JSON.stringify(one, null, 2).split("\n").join("\n  ")}\n]\n`);
  });
});

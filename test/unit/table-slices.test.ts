/**
 * A table longer than a slice is laid out without cli-table3 (and was drawn by cli-table3 in
 * slices before): the text must be what one cli-table3 table of every row gives.
 */
import { Chalk } from "chalk";
import Table from "cli-table3";
import { describe, expect, it } from "vitest";
import { drawTable, fitToWidth, PackedRows, renderTable } from "../../src/output/table.js";

const NO_BORDERS = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "",
  right: "", "right-mid": "", middle: "  ",
};

/** One cli-table3 table of every row, as renderTable drew every table before slices. */
function whole(head: string[], rows: string[][]): string {
  const table = new Table({ head, chars: NO_BORDERS, style: { head: [], border: [], "padding-left": 0, "padding-right": 0 } });
  for (const row of rows) table.push(row);
  return table.toString().split("\n").map((line) => line.trimEnd()).join("\n");
}

/** What cli-table3 draws of the rows once fitToWidth has cut them to `width`. */
function wholeFitted(head: string[], rows: string[][], width: number, flexible: readonly number[]): string {
  const fitted = fitToWidth(head, { length: rows.length, row: (index) => rows[index] }, width, flexible);
  return whole(fitted.head, rows.map((row) => fitted.cutRow(row)));
}

const colour = new Chalk({ level: 1 });

/** Cells of every kind a terminal measures differently. */
const KINDS = [
  "",
  "gateway",
  "全角文字テキスト",
  "emoji 🚀 ✓ 👍🏽",
  "e\u0301te\u0301 combining",
  "ünïcödé",
  colour.red("red"),
  colour.bold.red("P0"),
  colour.green("完了 done"),
  "\x1b[31mleft open",
  "x".repeat(33),
  "trailing  ",
];

describe("a long table's layout", () => {
  it("is cli-table3's text (widths, padding, gap) for every kind of cell, the widest late or early", () => {
    const head = ["ID", "A", "", "B", "TITLE"].map((h, c) => (c === 3 ? colour.bold(h) : h));
    for (const count of [26, 27, 300, 1234]) {
      const rows = Array.from({ length: count }, (_, i) => [
        `bl_${i}`,
        KINDS[i % KINDS.length],
        KINDS[(i * 5) % KINDS.length],
        i % 7 === 0 ? "" : KINDS[(i * 7 + 3) % KINDS.length],
        i === count - 1 ? "the widest title of them all, the last row's" : KINDS[(i * 3) % KINDS.length],
      ]);
      expect(renderTable(head, rows), String(count)).toBe(whole(head, rows));
    }
  });

  it("is cli-table3's text of the rows cut to a width (a styled header, coloured cells kept whole)", () => {
    const head = ["ID", "PRI", "OWNER", "SERVICE", "TITLE"].map((h) => colour.bold(h));
    const rows = Array.from({ length: 500 }, (_, i) => [
      `bl_${String(i).padStart(4, "0")}`,
      i % 3 === 0 ? colour.bold.red("P0") : colour.blue("P2"),
      KINDS[i % KINDS.length].replace(/\x1b\[[0-9;]*m/g, ""),
      `service-${"s".repeat(i % 30)}`,
      `${KINDS[(i * 5) % KINDS.length]} title ${"y".repeat(i % 90)}`,
    ]);
    for (const width of [30, 60, 100, 400]) {
      const drawn = renderTable(head, rows, width, [2, 3]);
      expect(drawn, `width ${width}`).toBe(wholeFitted(head, rows, width, [2, 3]));
      if (width < 100) expect(drawn, "cells are cut").toContain("…");
    }
  });

  it("is still cli-table3's text with cells of several lines or ragged rows (drawn by it, in slices)", () => {
    const rows = Array.from({ length: 60 }, (_, i) => [`bl_${i}`, i === 30 ? "two\nlines" : KINDS[i % KINDS.length], `t${i}`]);
    expect(renderTable(["ID", "A", "TITLE"], rows)).toBe(whole(["ID", "A", "TITLE"], rows));
    const ragged = rows.map((row, i) => (i === 40 ? row.slice(0, 2) : row.map((text) => text.replace("\n", " "))));
    expect(renderTable(["ID", "A", "TITLE"], ragged)).toBe(whole(["ID", "A", "TITLE"], ragged));
  });

  it("hands its text on in parts, from packed rows (one string a row) as from arrays", () => {
    const rows = Array.from({ length: 1234 }, (_, i) => [`bl_${i}`, KINDS[i % KINDS.length], `title ${"y".repeat(i % 50)}`]);
    const packed = new PackedRows();
    for (const row of rows) packed.push(row);
    for (const width of [null, 40, 200]) {
      const parts: string[] = [];
      drawTable(["ID", "A", "TITLE"], packed, width, [1], (part) => parts.push(part));
      expect(parts.length, "written a part at a time").toBeGreaterThan(1);
      expect(parts.join("\n"), `width ${width}`).toBe(renderTable(["ID", "A", "TITLE"], rows, width, [1]));
    }
  });
});

describe("renderTable of many rows", () => {
  it("draws the same text as one table, whatever the widths (wide characters, empty cells, the widest row late)", () => {
    const words = ["", "a", "gateway", "全角文字", "emoji ✓", "x".repeat(30), "ünïcödé"];
    for (const count of [24, 25, 26, 1234]) {
      const rows = Array.from({ length: count }, (_, i) => [`bl_${i}`, words[i % words.length], words[(i * 3) % words.length], i === count - 1 ? "the widest title of them all, last" : `t${i % 17}`]);
      const head = ["ID", "A", "", "TITLE"];
      expect(renderTable(head, rows), String(count)).toBe(whole(head, rows));
    }
  });

  it("draws the same text from packed rows (one string a row) as from arrays, cut to a width or not", () => {
    const words = ["", "a", "gateway", "全角文字", "emoji ✓", "\x1b[31mred\x1b[39m", "x".repeat(30)];
    for (const count of [3, 26, 300]) {
      const rows = Array.from({ length: count }, (_, i) => [`bl_${i}`, words[i % words.length], words[(i * 3) % words.length], `title ${"y".repeat(i % 50)}`]);
      const packed = new PackedRows();
      for (const row of rows) packed.push(row);
      for (const width of [null, 40, 200]) {
        const parts: string[] = [];
        drawTable(["ID", "A", "B", "TITLE"], packed, width, [1, 2], (part) => parts.push(part));
        expect(parts.join("\n"), `${count} rows, width ${width}`).toBe(renderTable(["ID", "A", "B", "TITLE"], rows, width, [1, 2]));
      }
    }
  });
});

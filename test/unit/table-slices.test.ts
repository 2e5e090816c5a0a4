/**
 * A long table is drawn by cli-table3 in slices of rows with the whole table's column widths
 * (its layout time grows with the square of the rows): the text must be what one cli-table3 table
 * of every row gives.
 */
import Table from "cli-table3";
import { describe, expect, it } from "vitest";
import { drawTable, PackedRows, renderTable } from "../../src/output/table.js";

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

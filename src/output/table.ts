/** Borderless, aligned columns (gh style): readable on a terminal, still greppable when piped. */
import type CliTable from "cli-table3";
import { safeInline } from "./sanitize.js";

/**
 * cli-table3 (with its colour and string-width modules) is loaded on the first table: the command
 * modules import this file, and --json or --jsonl output never draws one. A plain require, which
 * the bundler resolves into the bundle (and so into the code cache), like a static import.
 */
let Table: typeof CliTable | undefined;

const NO_BORDERS = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "",
  right: "", "right-mid": "", middle: "  ",
};

const ANSI = /\x1b\[[0-9;]*m/g;
const ANSI_START = /\x1b\[/;
const visibleLength = (text: string) => text.replace(ANSI, "").length;
const COLUMN_GAP = 2;

/** How far the plain-text columns between the first and the last give way, in two steps. */
const CUT_STEPS = [
  { columnMin: 10, lastWanted: 40 },
  { columnMin: 6, lastWanted: 20 },
  { columnMin: 3, lastWanted: 16 },
];

/** Cuts text that may be wrapped in colour codes (a styled header) to `max` visible characters. */
function truncateStyled(text: string, max: number): string {
  const m = /^((?:\x1b\[[0-9;]*m)*)(.*?)((?:\x1b\[[0-9;]*m)*)$/s.exec(text);
  return m ? `${m[1]}${truncate(m[2], max)}${m[3]}` : truncate(text, max);
}

/**
 * With a width (a terminal, or $COLUMNS), each row fits on one line and the last column, where the
 * long free text goes, gets the room left. When that is too little, the widest of the `flexible`
 * columns (plain text such as owner or service; never ids, dates or coloured cells) give way first.
 * Piped output keeps every character. Returns the cut head and how to cut a row, so that a long
 * table's rows are cut a slice at a time.
 */
export function fitToWidth(head: string[], rows: TableRows, width: number, flexible: readonly number[]): { head: string[]; cutRow: (cells: string[]) => string[] } {
  const last = head.length - 1;
  const widths = head.slice(0, last).map((h) => visibleLength(h));
  const cuttable = widths.map((_, c) => flexible.includes(c));
  let lastLongest = visibleLength(head[last]);
  for (let i = 0; i < rows.length; i += 1) {
    const r = rows.row(i);
    for (let c = 0; c < last; c += 1) {
      widths[c] = Math.max(widths[c], visibleLength(r[c]));
      if (ANSI_START.test(r[c])) cuttable[c] = false;
    }
    lastLongest = Math.max(lastLongest, visibleLength(r[last]));
  }
  const used = () => widths.reduce((sum, w) => sum + w + COLUMN_GAP, 0);
  for (const step of CUT_STEPS) {
    while (used() + Math.min(step.lastWanted, lastLongest) + 1 > width) {
      let widest = -1;
      for (let c = 0; c < widths.length; c += 1) if (cuttable[c] && widths[c] > step.columnMin && (widest < 0 || widths[c] > widths[widest])) widest = c;
      if (widest < 0) break;
      widths[widest] -= 1;
    }
  }
  const room = Math.max(4, width - used() - 1);
  const cut = (cells: string[], fit: (text: string, max: number) => string) => [
    ...cells.slice(0, last).map((text, c) => (cuttable[c] ? fit(text, widths[c]) : text)),
    fit(cells[last], room),
  ];
  return { head: cut(head, truncateStyled), cutRow: (cells) => cut(cells, truncate) };
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text);

/**
 * cli-table3 lays a table out in time that grows with the square of its rows (its issue #68: 10k
 * rows took 10 s, 100k rows more than ten minutes), and measures each cell with string-width, which
 * builds emoji-regex's regular expression at every call (100k rows: 13 s, most of it there). So it
 * draws tables of up to SLICE_ROWS rows; a longer table's lines are laid out here (padded), the
 * same text: the column widths cli-table3 would compute for the whole table (the widest cell of
 * each column, by its own measure), each cell padded to its column's width, cells joined by the
 * gap, in parts of LINES_PART rows, each handed on before the next is made: small enough (tens
 * of KB) to stay an ordinary young object, not one of V8's large objects (parts of 500 rows,
 * coloured and 200 columns wide: 149 MB peak RSS for 100k rows, against 129 MB with 100 or 200).
 */
const SLICE_ROWS = 25;
const LINES_PART = 100;

/** The rows of a table, read one at a time. */
interface TableRows {
  readonly length: number;
  row(index: number): string[];
}

/**
 * A long table's rows kept until its columns are sized, each as one string (its cells joined by
 * NUL, which cell() never lets through): 100k rows of nine cells are then 100k strings rather than
 * 900k strings and 100k arrays (`list --all`: 160 MB peak RSS rather than 171 MB).
 */
export class PackedRows implements TableRows {
  private readonly lines: string[] = [];
  push(cells: readonly string[]): void {
    this.lines.push(cells.join("\0"));
  }
  get length(): number {
    return this.lines.length;
  }
  row(index: number): string[] {
    return this.lines[index].split("\0");
  }
}

const rowsOf = (rows: readonly string[][] | PackedRows): TableRows => (rows instanceof PackedRows ? rows : { length: rows.length, row: (index) => rows[index] });

export function renderTable(head: string[], rows: string[][], width: number | null = null, flexible: readonly number[] = []): string {
  const parts: string[] = [];
  writeTable(head, rows, width, flexible, (text) => parts.push(text));
  return parts.join("");
}

/** renderTable's text handed to `write` a part at a time (drawTable's parts, a newline between each two). */
export function writeTable(head: string[], rows: readonly string[][] | PackedRows, width: number | null, flexible: readonly number[], write: (text: string) => void): void {
  let first = true;
  drawTable(head, rows, width, flexible, (part) => {
    write(first ? part : `\n${part}`);
    first = false;
  });
}

/** renderTable's text handed to `each` a slice of rows at a time: the parts joined by newlines are that text. */
export function drawTable(head: string[], given: readonly string[][] | PackedRows, width: number | null, flexible: readonly number[], each: (part: string) => void): void {
  const rows = rowsOf(given);
  let rowAt = (index: number) => rows.row(index);
  if (width !== null && rows.length > 0) {
    const fitted = fitToWidth(head, rows, width, flexible);
    head = fitted.head;
    rowAt = (index) => fitted.cutRow(rows.row(index));
  }
  const slice = (from: number, to: number) => Array.from({ length: Math.min(to, rows.length) - from }, (_, k) => rowAt(from + k));
  Table ??= require("cli-table3") as typeof CliTable;
  const TableOf = Table;
  const draw = (withHead: string[], cells: string[][], colWidths?: number[]) => {
    const table = new TableOf({
      head: withHead,
      chars: NO_BORDERS,
      style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
      ...(colWidths ? { colWidths } : {}),
    });
    for (const row of cells) table.push(row);
    // cli-table3 pads the last column too; trailing blanks only get in the way of copy and grep.
    return table
      .toString()
      .split("\n")
      .map((line) => line.trimEnd())
      .join("\n");
  };
  if (rows.length <= SLICE_ROWS) {
    each(draw(head, slice(0, rows.length)));
    return;
  }
  const utils = require("cli-table3/src/utils") as CliTableUtils;
  // At least 1, as cli-table3 makes an empty column.
  const colWidths = head.map((h) => Math.max(1, widthIn(utils, h)));
  let regular = head.length > 0;
  for (let i = 0; i < rows.length; i += 1) {
    const cells = rowAt(i);
    if (cells.length !== head.length || cells.some((text) => text.includes("\n"))) regular = false;
    cells.forEach((text, c) => (colWidths[c] = Math.max(colWidths[c] ?? 1, widthIn(utils, text))));
  }
  if (!regular) {
    // Ragged rows or cells of several lines (no caller makes them): cli-table3 draws each slice.
    for (let from = 0; from < rows.length; from += SLICE_ROWS) each(draw(from === 0 ? head : [], slice(from, from + SLICE_ROWS), colWidths));
    return;
  }
  const line = (cells: readonly string[]) => cells.map((text, c) => padded(utils, text, colWidths[c])).join(NO_BORDERS.middle).trimEnd();
  for (let from = 0; from < rows.length; from += LINES_PART) {
    const lines = from === 0 ? [line(head)] : [];
    for (let i = from; i < Math.min(from + LINES_PART, rows.length); i += 1) lines.push(line(rowAt(i)));
    each(lines.join("\n"));
  }
}

/** What drawTable uses of cli-table3's own text functions (src/utils.js), which its cells draw with. */
interface CliTableUtils {
  strlen(text: string): number;
  colorizeLines(lines: string[]): string[];
  truncate(text: string, width: number, ellipsis: string): string;
  pad(text: string, width: number, fill: string, align: undefined): string;
}

/** Printable ASCII and the ellipsis that ends a cut cell, nothing else: one column a character. */
const ONE_COLUMN_EACH = /^[\x20-\x7e\u2026]*$/;
/** The colour codes cli-table3's strlen leaves out (its codeRegex). */
const COLOUR_CODES = /\u001b\[(?:\d*;){0,5}\d*m/g;

/**
 * cli-table3's strlen, fast where it can be: text that is printable ASCII (and ellipses) once its
 * colour codes are gone is as wide as it is long; anything else (wide characters, emoji,
 * combining marks) is measured by strlen itself.
 */
function widthIn(utils: CliTableUtils, text: string): number {
  const plain = text.includes("\x1b") ? text.replace(COLOUR_CODES, "") : text;
  return ONE_COLUMN_EACH.test(plain) ? plain.length : utils.strlen(text);
}

/**
 * A one-line cell as cli-table3 draws it in a column of `width` with no padding (Cell.drawLine):
 * colour left open closed (colorizeLines), cut to the width when wider (never, the width being
 * the widest cell's), blanks after.
 */
function padded(utils: CliTableUtils, text: string, width: number): string {
  const line = text.includes("\x1b") ? utils.colorizeLines([text])[0] : text;
  const length = widthIn(utils, line);
  return length <= width ? line + " ".repeat(width - length) : utils.pad(utils.truncate(line, width, "…"), width, " ", undefined);
}

/** One line of stored text, made safe and cut to `max` characters. */
export function cell(text: string, max = Infinity): string {
  return truncate(safeInline(text), max);
}

/**
 * `list --format`: the same rows as CSV (RFC 4180), TSV, a markdown table, JSON or JSON lines,
 * over the fields `--fields` picks. A value that is not a string (tags, evidence, meta) is its JSON.
 * Stored text passes the sanitiser: control and bidi characters are shown as codes, except the
 * line breaks and tabs each format escapes in its own way.
 */
import type { BacklogItem } from "../domain/item.js";
import { type ItemFieldName, selectFields } from "../domain/query.js";
import { safeMultiline } from "./sanitize.js";
import type { Style } from "./style.js";
import { cell, type PackedRows, writeTable } from "./table.js";

export const FORMATS = ["table", "json", "jsonl", "csv", "tsv", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

/** The text of one field: strings as they are, anything else as JSON. */
function text(value: unknown): string {
  const raw = typeof value === "string" ? value : JSON.stringify(value);
  // CR and tab survive for the formats that quote or escape them; every other control is made visible.
  return raw
    .split(/([\r\t])/)
    .map((part, i) => (i % 2 === 1 ? part : safeMultiline(part)))
    .join("");
}

/**
 * A format written a page of items at a time: the text of each page in turn, then `end()`; the
 * pages' texts joined are the format's whole text, byte for byte, however the items are paged.
 */
export interface PagedText {
  page(items: readonly BacklogItem[]): string;
  end(): string;
}

/** A format of one line (or record) per item under a head of `head` (written before the first item, or alone at the end). */
function linesUnder(head: string, line: (item: BacklogItem) => string): PagedText {
  let headed = false;
  const first = () => (headed ? "" : ((headed = true), head));
  return { page: (items) => (items.length === 0 ? "" : first() + items.map(line).join("")), end: first };
}

/** RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; CRLF ends each record. */
function csvOf(fields: readonly ItemFieldName[]): PagedText {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const record = (row: readonly string[]) => `${row.map(quote).join(",")}\r\n`;
  return linesUnder(record(fields), (item) => record(fields.map((f) => text(item[f]))));
}

/** Tab-separated: backslash, tab, LF and CR inside a value are written \\ \t \n \r. */
function tsvOf(fields: readonly ItemFieldName[]): PagedText {
  const escape = (v: string) => v.replace(/[\\\t\n\r]/g, (ch) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[ch] ?? ch);
  const line = (row: readonly string[]) => `${row.map(escape).join("\t")}\n`;
  return linesUnder(line(fields), (item) => line(fields.map((f) => text(item[f]))));
}

/** A GitHub-flavoured markdown table: `|` escaped, line breaks as <br>. */
function markdownOf(fields: readonly ItemFieldName[]): PagedText {
  const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r\n|\r|\n/g, "<br>").replace(/\t/g, " ");
  const line = (row: readonly string[]) => `| ${row.map(escape).join(" | ")} |\n`;
  return linesUnder(line(fields) + line(fields.map(() => "---")), (item) => line(fields.map((f) => text(item[f]))));
}

/** One JSON item per line. */
const jsonLinesOf = (fields?: readonly ItemFieldName[]): PagedText => linesUnder("", (item) => `${JSON.stringify(toJson([item], fields)[0])}\n`);

/**
 * The items as one JSON array, exactly as `JSON.stringify(toJson(items, fields), null, 2)` and a
 * newline write it: each item indented one level more (JSON text holds no raw line break, so
 * indenting is adding two spaces after each one).
 */
/** A JSON array as `JSON.stringify(values, null, 2)` and a newline write it, a page of values at a time. */
export function jsonArrayPages(): { page(values: readonly unknown[]): string; end(): string } {
  let count = 0;
  return {
    page(values) {
      const texts = values.map((v) => JSON.stringify(v, null, 2).replace(/\n/g, "\n  "));
      if (texts.length === 0) return "";
      const before = count === 0 ? "[\n  " : ",\n  ";
      count += texts.length;
      return before + texts.join(",\n  ");
    },
    end: () => (count === 0 ? "[]\n" : "\n]\n"),
  };
}

/**
 * A command's stream that writes, as jsonArrayPages does, the values `fill` hands over a page at a
 * time: the text of the whole array printed at once.
 */
export const jsonArrayStream =
  (fill: (page: (values: readonly unknown[]) => void) => Promise<void>) =>
  async (write: (text: string) => void): Promise<void> => {
    const array = jsonArrayPages();
    await fill((values) => write(array.page(values)));
    write(array.end());
  };

function jsonArrayOf(fields?: readonly ItemFieldName[]): PagedText {
  const array = jsonArrayPages();
  return { page: (items) => array.page(toJson(items, fields)), end: array.end };
}

export type PagedFormat = Exclude<Format, "table">;

/** `format` over `fields` (JSON and JSON lines: all fields unless `fields` picks some), a page at a time. */
export function pagedText(format: PagedFormat, fields: readonly ItemFieldName[] | undefined, defaultFields: readonly ItemFieldName[]): PagedText {
  switch (format) {
    case "json":
      return jsonArrayOf(fields);
    case "jsonl":
      return jsonLinesOf(fields);
    case "csv":
      return csvOf(fields ?? defaultFields);
    case "tsv":
      return tsvOf(fields ?? defaultFields);
    case "markdown":
      return markdownOf(fields ?? defaultFields);
  }
}

const whole = (paged: PagedText, items: readonly BacklogItem[]) => paged.page(items) + paged.end();

export const toCsv = (items: readonly BacklogItem[], fields: readonly ItemFieldName[]): string => whole(csvOf(fields), items);
export const toTsv = (items: readonly BacklogItem[], fields: readonly ItemFieldName[]): string => whole(tsvOf(fields), items);
export const toMarkdown = (items: readonly BacklogItem[], fields: readonly ItemFieldName[]): string => whole(markdownOf(fields), items);

/** A row of the human table over chosen fields. */
export const fieldRow = (item: BacklogItem, fields: readonly ItemFieldName[]): string[] => fields.map((f) => cell(text(item[f])));

/** The human table over chosen fields from the items' rows (fieldRow), its text handed to `write` a part at a time (the default list view is writeItemList). */
export function writeFieldTable(rows: readonly string[][] | PackedRows, fields: readonly ItemFieldName[], style: Style, write: (text: string) => void): void {
  if (rows.length === 0) return void write("No items match.\n");
  writeTable(fields.map((f) => style.chalk.bold(f.toUpperCase())), rows, style.width, [], write);
  write("\n");
}

export const toJson = (items: readonly BacklogItem[], fields?: readonly ItemFieldName[]): unknown[] =>
  fields ? items.map((i) => selectFields(i, fields)) : [...items];

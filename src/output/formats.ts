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
import { cell, renderTable } from "./table.js";

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

const rowsOf = (items: readonly BacklogItem[], fields: readonly ItemFieldName[]) => items.map((item) => fields.map((f) => text(item[f])));

/** RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; CRLF ends each record. */
export function toCsv(items: readonly BacklogItem[], fields: readonly ItemFieldName[]): string {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [fields as readonly string[], ...rowsOf(items, fields)].map((row) => `${row.map(quote).join(",")}\r\n`).join("");
}

/** Tab-separated: backslash, tab, LF and CR inside a value are written \\ \t \n \r. */
export function toTsv(items: readonly BacklogItem[], fields: readonly ItemFieldName[]): string {
  const escape = (v: string) => v.replace(/[\\\t\n\r]/g, (ch) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[ch] ?? ch);
  return [fields as readonly string[], ...rowsOf(items, fields)].map((row) => `${row.map(escape).join("\t")}\n`).join("");
}

/** A GitHub-flavoured markdown table: `|` escaped, line breaks as <br>. */
export function toMarkdown(items: readonly BacklogItem[], fields: readonly ItemFieldName[]): string {
  const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r\n|\r|\n/g, "<br>").replace(/\t/g, " ");
  const line = (row: readonly string[]) => `| ${row.map(escape).join(" | ")} |\n`;
  return line(fields) + line(fields.map(() => "---")) + rowsOf(items, fields).map(line).join("");
}

/** The human table over chosen fields (the default list view is renderItemList). */
export function renderFieldTable(items: readonly BacklogItem[], fields: readonly ItemFieldName[], style: Style): string {
  if (items.length === 0) return "No items match.\n";
  const head = fields.map((f) => style.chalk.bold(f.toUpperCase()));
  return `${renderTable(head, items.map((item) => fields.map((f) => cell(text(item[f])))), style.width)}\n`;
}

export const toJson = (items: readonly BacklogItem[], fields?: readonly ItemFieldName[]): unknown[] =>
  fields ? items.map((i) => selectFields(i, fields)) : [...items];

export const toJsonLines = (items: readonly BacklogItem[], fields?: readonly ItemFieldName[]): string =>
  toJson(items, fields).map((i) => `${JSON.stringify(i)}\n`).join("");

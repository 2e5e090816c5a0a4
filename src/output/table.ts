/** Borderless, aligned columns (gh style): readable on a terminal, still greppable when piped. */
import Table from "cli-table3";
import { safeInline } from "./sanitize.js";

const NO_BORDERS = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "",
  right: "", "right-mid": "", middle: "  ",
};

const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, "").length;
const COLUMN_GAP = 2;

/**
 * On a terminal (`width` set), the last column, where the long free text goes, is cut so that
 * each row fits on one line; piped output keeps every character.
 */
function fitLastColumn(head: string[], rows: string[][], width: number): string[][] {
  const last = head.length - 1;
  let used = 0;
  for (let c = 0; c < last; c += 1) used += Math.max(visibleLength(head[c]), ...rows.map((r) => visibleLength(r[c]))) + COLUMN_GAP;
  const room = Math.max(16, width - used - 1);
  return rows.map((r) => [...r.slice(0, last), truncate(r[last], room)]);
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text);

export function renderTable(head: string[], rows: string[][], width: number | null = null): string {
  if (width !== null && rows.length > 0) rows = fitLastColumn(head, rows, width);
  const table = new Table({
    head,
    chars: NO_BORDERS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const row of rows) table.push(row);
  // cli-table3 pads the last column too; trailing blanks only get in the way of copy and grep.
  return table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/** One line of stored text, made safe and cut to `max` characters. */
export function cell(text: string, max = Infinity): string {
  return truncate(safeInline(text), max);
}

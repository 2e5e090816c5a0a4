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

/** Text columns narrower than this are never cut further to make room. */
const MIN_CUT_WIDTH = 8;
/** The last column (the title, a message) keeps at least this much before other columns give way. */
const MIN_LAST_WIDTH = 24;

/**
 * With a width (a terminal, or $COLUMNS), each row fits on one line and the last column, where the
 * long free text goes, gets the room left. When that is too little, the widest other columns of
 * plain text (not the first: ids stay whole) give way first. Piped output keeps every character.
 */
function fitToWidth(head: string[], rows: string[][], width: number): string[][] {
  const last = head.length - 1;
  const widths = head.slice(0, last).map((h, c) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[c]))));
  const cuttable = widths.map((_, c) => c > 0 && rows.every((r) => !r[c].includes("\x1b")));
  const lastWanted = Math.min(MIN_LAST_WIDTH, Math.max(visibleLength(head[last]), ...rows.map((r) => visibleLength(r[last]))));
  const used = () => widths.reduce((sum, w) => sum + w + COLUMN_GAP, 0);
  while (used() + lastWanted + 1 > width) {
    let widest = -1;
    for (let c = 0; c < widths.length; c += 1) if (cuttable[c] && widths[c] > MIN_CUT_WIDTH && (widest < 0 || widths[c] > widths[widest])) widest = c;
    if (widest < 0) break;
    widths[widest] -= 1;
  }
  const room = Math.max(MIN_CUT_WIDTH, width - used() - 1);
  return rows.map((r) => [...r.slice(0, last).map((text, c) => (cuttable[c] ? truncate(text, widths[c]) : text)), truncate(r[last], room)]);
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text);

export function renderTable(head: string[], rows: string[][], width: number | null = null): string {
  if (width !== null && rows.length > 0) rows = fitToWidth(head, rows, width);
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

/** Borderless, aligned columns (gh style): readable on a terminal, still greppable when piped. */
import Table from "cli-table3";
import { safeInline } from "./sanitize.js";

const NO_BORDERS = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "",
  right: "", "right-mid": "", middle: "  ",
};

export function renderTable(head: string[], rows: string[][]): string {
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
  const safe = safeInline(text);
  return safe.length > max ? `${safe.slice(0, Math.max(1, max - 1))}…` : safe;
}

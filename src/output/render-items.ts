/** Human renderings of items: the list table and one item with its timeline. */
import type { BacklogEvent, BacklogItem } from "../domain/item.js";
import { safeMultiline } from "./sanitize.js";
import type { Style } from "./style.js";
import { cell, type PackedRows, renderTable, writeTable } from "./table.js";

const ITEM_HEAD = ["ID", "PRI", "STATUS", "DUE", "OWNER", "ENV", "SERVICE", "CATEGORY", "TITLE"];
// OWNER, ENV, SERVICE and CATEGORY give way to the title on a narrow terminal.
const ITEM_FLEXIBLE = [4, 5, 6, 7];

/** An item's row of the list table. */
export const itemRow = (i: BacklogItem, style: Style): string[] => [
  cell(i.id),
  style.priority(cell(i.priority)),
  style.status(cell(i.status)),
  cell(i.due_date || "-"),
  cell(i.owner, 16),
  cell(i.env, 10),
  cell(i.service, 24),
  cell(i.category, 18),
  cell(i.title),
];

export function renderItemRows(items: readonly BacklogItem[], style: Style): string {
  return renderTable(ITEM_HEAD.map((h) => style.chalk.bold(h)), items.map((i) => itemRow(i, style)), style.width, ITEM_FLEXIBLE);
}

/** The default list view from the items' rows (itemRow), its text handed to `write` a part at a time. */
export function writeItemList(rows: readonly string[][] | PackedRows, total: number, offset: number, style: Style, write: (text: string) => void): void {
  if (total === 0) return void write("No items match.\n");
  if (rows.length === 0) return void write(`No items at offset ${offset} (${total} match).\n`);
  writeTable(ITEM_HEAD.map((h) => style.chalk.bold(h)), rows, style.width, ITEM_FLEXIBLE, write);
  const shown = rows.length === total ? `${total} item${total === 1 ? "" : "s"}` : `Items ${offset + 1}–${offset + rows.length} of ${total} (--all or --offset for more)`;
  write(`\n${style.chalk.dim(shown)}\n`);
}

function evidenceLines(item: BacklogItem): string[] {
  return Object.entries(item.evidence_refs)
    .filter(([, refs]) => refs.length > 0)
    .map(([kind, refs]) => `  ${kind}: ${refs.map((r) => cell(r)).join(", ")}`);
}

/** A status change reads `from → to`, followed by its message when one was given. */
export function timelineMessage(event: BacklogEvent): string {
  const { from, to } = event.meta;
  if (event.type !== "status_change" || typeof from !== "string" || typeof to !== "string") return event.message;
  const change = `${from} → ${to}`;
  return event.message === change || event.message === "" ? change : `${change}: ${event.message}`;
}

export function renderItemDetail(item: BacklogItem, events: readonly BacklogEvent[], style: Style): string {
  const c = style.chalk;
  const field = (name: string, value: string) => `${c.dim(name.padEnd(11))}${value}`;
  const lines = [
    `${c.bold(cell(item.title))}`,
    field("id", cell(item.id)),
    field("status", style.status(cell(item.status))),
    field("priority", style.priority(cell(item.priority))),
    field("due", cell(item.due_date || "-")),
    field("owner", cell(item.owner)),
    field("env", cell(item.env)),
    field("service", cell(item.service)),
    field("category", cell(item.category)),
    field("source", cell(item.source)),
    field("dedupe key", cell(item.dedupe_key)),
    field("tags", item.tags.length > 0 ? item.tags.map((t) => cell(t)).join(", ") : "-"),
    field("created", cell(item.created_at)),
    field("updated", cell(item.updated_at)),
  ];
  const evidence = evidenceLines(item);
  if (evidence.length > 0) lines.push(c.dim("evidence"), ...evidence);
  if (item.description !== "") lines.push("", safeMultiline(item.description));
  lines.push("", c.bold(`Timeline (${events.length})`));
  if (events.length > 0) {
    lines.push(
      renderTable(
        ["WHEN", "TYPE", "ACTOR", "MESSAGE"].map((h) => c.bold(h)),
        events.map((e) => [cell(e.ts), cell(e.type), cell(e.actor, 20), cell(timelineMessage(e))]),
        style.width,
        [2],
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

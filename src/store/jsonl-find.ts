/**
 * One id's lines in a log without parsing every line: a byte search for the id as JSON writes it
 * (quoted), then only the lines that hold it are parsed and their id field checked, since the id
 * may also appear in other items' text. Used when there is no index to ask (saved indexes off):
 * reading the bytes is a small part of parsing them.
 *
 * Every spelling of the id is found: an id of printable ASCII (no quote, slash or backslash) is
 * written by any JSON writer either as itself or with `\u` escapes, so lines holding a `\u` escape
 * are parsed too. Other ids get null: the caller reads the log the ordinary way.
 *
 * Unreadable lines are not reported on this path: it never reads them. The commands that read
 * every line (list, dashboard, export, cleanup) report them.
 */
import { type BacklogEvent, type BacklogItem, normalizeStoredEvent, normalizeStoredItem } from "../domain/item.js";
import { readFully, tryParse } from "./jsonl-file.js";

const CHUNK_BYTES = 4 << 20;
const NEWLINE = 0x0a;
const ESCAPE = Buffer.from("\\u");
/** Printable ASCII but `"`, `/` and `\`: characters no JSON writer spells other than as themselves or `\uXXXX`. */
const SEARCHABLE = /^[\x20\x21\x23-\x2e\x30-\x5b\x5d-\x7e]+$/;

/**
 * Visits, in file order, each complete line of [0, end) of `fd` that holds `"value"` or a `\u`
 * escape; null (nothing visited) when `value` cannot be searched for as bytes.
 */
export function candidateLines(fd: number, end: number, value: string, visit: (line: string) => void): true | null {
  if (!SEARCHABLE.test(value)) return null;
  const needle = Buffer.from(`"${value}"`, "latin1");
  let buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK_BYTES, end)));
  for (let position = 0; position < end; ) {
    const want = Math.min(buffer.length, end - position);
    const read = readFully(fd, buffer, position, want);
    if (read === 0) break;
    const lastNewline = buffer.lastIndexOf(NEWLINE, read - 1);
    if (lastNewline === -1) {
      // No complete line: the end of the log (a torn tail, never a line), or a line longer than the buffer.
      if (read < want || position + read >= end) break;
      buffer = Buffer.allocUnsafe(buffer.length * 2);
      continue;
    }
    visitHits(buffer.subarray(0, lastNewline + 1), needle, visit);
    position += lastNewline + 1;
  }
  return true;
}

/** The lines of `chunk` (whole lines, each ending in a newline) holding `needle` or a `\u` escape. */
function visitHits(chunk: Buffer, needle: Buffer, visit: (line: string) => void): void {
  let nextId = chunk.indexOf(needle);
  let nextEscape = chunk.indexOf(ESCAPE);
  while (nextId !== -1 || nextEscape !== -1) {
    const hit = nextId === -1 ? nextEscape : nextEscape === -1 ? nextId : Math.min(nextId, nextEscape);
    // lastIndexOf with a negative offset would count from the end: a hit at 0 starts the chunk's first line.
    const start = hit === 0 ? 0 : chunk.lastIndexOf(NEWLINE, hit - 1) + 1;
    const end = chunk.indexOf(NEWLINE, hit);
    visit(chunk.toString("utf8", start, end));
    const after = end + 1;
    if (nextId !== -1 && nextId < after) nextId = chunk.indexOf(needle, after);
    if (nextEscape !== -1 && nextEscape < after) nextEscape = chunk.indexOf(ESCAPE, after);
  }
}

/** The latest version of item `id` in [0, end) of the items log (last write wins); undefined when the id cannot be searched for. */
export function findItem(fd: number, end: number, id: string): BacklogItem | null | undefined {
  let found: BacklogItem | null = null;
  const searched = candidateLines(fd, end, id, (line) => {
    const item = normalizeStoredItem(tryParse(line));
    if (item !== null && item.id === id) found = item;
  });
  return searched === null ? undefined : found;
}

/** The events of item `itemId` in [0, end) of the events log, once per event id, in time order; undefined as findItem. */
export function findEvents(fd: number, end: number, itemId: string): BacklogEvent[] | undefined {
  const events: BacklogEvent[] = [];
  const seen = new Set<string>();
  const searched = candidateLines(fd, end, itemId, (line) => {
    const event = normalizeStoredEvent(tryParse(line));
    if (event !== null && event.item_id === itemId && !seen.has(event.id)) {
      seen.add(event.id);
      events.push(event);
    }
  });
  if (searched === null) return undefined;
  // Appended in time order; the stable sort only matters for files merged by hand (as eventsIn).
  events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return events;
}

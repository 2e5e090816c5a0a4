/**
 * Item ids of a JSONL store for shell completion, without parsing the log: a byte scan of its lines
 * for their leading `{"id":"bl_…"`, after the saved items index when that is cheaper (see
 * worthLoading) and still fits the log. Read-only, no lock: a completion may miss an item written meanwhile.
 */
import { closeSync, fstatSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { OPEN, openStoreFile } from "./jsonl-file.js";
import { loadSavedIndex } from "./jsonl-index.js";
import { itemsIndex } from "./jsonl-indexes.js";
import { indexPathOf, ITEMS_FILE } from "./jsonl-store.js";

const CHUNK = 1 << 20;
const MARK = Buffer.from('{"id":"bl_');
const ID_HEX = 12;
const HEX = /^[0-9a-f]{12}$/;
/** Parse cost of a saved index byte over scan cost of a log byte (measured: about 10). */
const INDEX_COST_RATIO = 10;

/** Ids starting `prefix`, sorted; at most `max` of them. */
export function itemIdsWithPrefix(dir: string, prefix: string, max = 1000): string[] {
  const path = join(dir, ITEMS_FILE);
  const ids = new Set<string>();
  const fd = openStoreFile(path, OPEN.read);
  try {
    const size = fstatSync(fd).size;
    const indexPath = indexPathOf(path);
    const saved = worthLoading(indexPath, size) ? loadSavedIndex(itemsIndex, indexPath) : null;
    let from = 0;
    if (saved !== null && saved.covered <= size) {
      for (const id of saved.state.keys()) ids.add(id);
      from = saved.covered;
    }
    scanIds(fd, from, size, ids);
  } finally {
    closeSync(fd);
  }
  return [...ids].filter((id) => id.startsWith(prefix)).sort().slice(0, max);
}

/**
 * Parsing a saved index costs about ten times as much per byte as scanning the log for ids, so it
 * pays only when the log holds many versions per item (a long-lived store): then the index stands
 * for most of the log and only the lines after it are scanned.
 */
function worthLoading(indexPath: string, logBytes: number): boolean {
  try {
    return statSync(indexPath).size * INDEX_COST_RATIO < logBytes;
  } catch {
    return false;
  }
}

/** Adds the id of every line in [from, to) that starts with `{"id":"bl_` and 12 hex digits. */
function scanIds(fd: number, from: number, to: number, into: Set<string>): void {
  const keep = MARK.length + ID_HEX;
  const buffer = Buffer.allocUnsafe(CHUNK + keep);
  let carried = 0;
  let atLineStart = true;
  let position = from;
  while (position < to) {
    const read = readSync(fd, buffer, carried, Math.min(CHUNK, to - position), position);
    if (read <= 0) break;
    position += read;
    const end = carried + read;
    let at = buffer.indexOf(MARK, 0);
    while (at >= 0 && at + keep <= end) {
      if ((at === 0 && atLineStart) || (at > 0 && buffer[at - 1] === 0x0a)) {
        const hex = buffer.toString("latin1", at + MARK.length, at + keep);
        if (HEX.test(hex)) into.add(`bl_${hex}`);
      }
      at = buffer.indexOf(MARK, at + 1);
    }
    // The tail that may hold the start of a match continues the next chunk.
    const tail = Math.min(keep, end);
    atLineStart = end - tail === 0 ? atLineStart : buffer[end - tail - 1] === 0x0a;
    buffer.copy(buffer, 0, end - tail, end);
    carried = tail;
  }
}

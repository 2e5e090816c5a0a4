/**
 * Item ids of a JSONL store for shell completion, without parsing the log: the saved id list
 * (`.items.jsonl.ids`, every id of the items index, sorted, saved with the index) when it still
 * describes the log, then a byte scan of the lines after it (of the whole log without a list) for
 * their leading `{"id":"bl_…"`. The list is checked as a saved index is (the same file: device,
 * inode, birth time; only appended to: size, mtime; the bytes at its head and just before its
 * covered offset unchanged, here by CRC-32) and carries a CRC-32 of its ids: a corrupt, planted,
 * stale or linked list is never used. No SHA-256 here, so completion does not load node:crypto.
 * Read-only, no lock: a completion may miss an item written meanwhile.
 */
import { closeSync, fstatSync, lstatSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { OPEN, openStoreFile, writeFileAtomically } from "./jsonl-file.js";
import type { LogIndex } from "./jsonl-index.js";
import { idsPathOf, ITEMS_FILE } from "./jsonl-paths.js";
import { describesLog, identityOf, type LogHeader, windowsOf } from "./log-identity.js";

const CHUNK = 1 << 20;
const MARK = Buffer.from('{"id":"bl_');
const ID_HEX = 12;
const HEX = /^[0-9a-f]{12}$/;
const ID = /^bl_[0-9a-f]{12}$/;

// 2: the head and tail windows as log-identity.ts writes them (shared with the saved indexes).
const LIST_FORMAT = 2;
const LIST_KIND = "item-ids";
/** One id in the list: its 12 hex digits and a newline. */
const RECORD = ID_HEX + 1;
/** The list is rewritten once this many log bytes lie after what it covers (they are scanned till then). */
const REWRITE_AFTER_BYTES = 1 << 20;

interface ListHeader extends LogHeader {
  format: number;
  kind: string;
  count: number;
  /** CRC-32 of the ids. */
  crc: number;
}

/** Ids starting `prefix`, sorted; at most `max` of them. */
export function itemIdsWithPrefix(dir: string, prefix: string, max = 1000): string[] {
  const path = join(dir, ITEMS_FILE);
  const ids = new Set<string>();
  const fd = openStoreFile(path, OPEN.read);
  try {
    const size = fstatSync(fd).size;
    let from = 0;
    const list = loadIdList(idsPathOf(path), fd, size);
    const listed = list?.matching(prefix, max) ?? null;
    if (list !== null && listed !== null) {
      for (const id of listed) ids.add(id);
      from = list.covered;
    }
    scanIds(fd, from, size, ids);
  } finally {
    closeSync(fd);
  }
  return [...ids].filter((id) => id.startsWith(prefix)).sort().slice(0, max);
}

interface IdList {
  covered: number;
  /** The first `max` ids of the list that start with `prefix`; null when one of them is not an id. */
  matching(prefix: string, max: number): string[] | null;
}

/** The header line of a list file, or null. */
function parseHeader(bytes: Buffer): { header: ListHeader; bodyAt: number } | null {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) return null;
  const header = JSON.parse(bytes.toString("utf8", 0, newline)) as ListHeader;
  if (header === null || header.format !== LIST_FORMAT || header.kind !== LIST_KIND || !Number.isSafeInteger(header.count)) return null;
  return { header, bodyAt: newline + 1 };
}

/** Reads a list file never through a link, like every file of the store; `limit` bytes at most. */
function readListBytes(path: string, limit = Number.POSITIVE_INFINITY): Buffer {
  const fd = openStoreFile(path, OPEN.read);
  try {
    if (limit === Number.POSITIVE_INFINITY) return readFileSync(fd);
    const buffer = Buffer.alloc(limit);
    return buffer.subarray(0, readSync(fd, buffer, 0, limit, 0));
  } finally {
    closeSync(fd);
  }
}

function readListFile(path: string): { header: ListHeader; body: string } | null {
  try {
    const bytes = readListBytes(path);
    const parsed = parseHeader(bytes);
    if (parsed === null) return null;
    const body = bytes.subarray(parsed.bodyAt);
    if (body.length !== parsed.header.count * RECORD || crc32(body) !== parsed.header.crc) return null;
    return { header: parsed.header, body: body.toString("latin1") };
  } catch {
    return null;
  }
}

/** The saved id list, when it is whole and still describes the log open as `fd`. */
function loadIdList(path: string, fd: number, size: number): IdList | null {
  const file = readListFile(path);
  if (file === null || file.header.covered > size) return null;
  try {
    if (!describesLog(file.header, fd)) return null;
  } catch {
    return null;
  }
  const { body, header } = file;
  const at = (n: number) => body.slice(n * RECORD, n * RECORD + ID_HEX);
  const wellFormed = (n: number) => body.charCodeAt(n * RECORD + ID_HEX) === 0x0a && HEX.test(at(n));
  return {
    covered: header.covered,
    matching(prefix, max) {
      let hex: string;
      if ("bl_".startsWith(prefix)) hex = "";
      else if (prefix.startsWith("bl_")) hex = prefix.slice(3);
      else return [];
      // The first id not below the prefix, then those that start with it.
      let low = 0;
      let high = header.count;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (at(mid) < hex) low = mid + 1;
        else high = mid;
      }
      const found: string[] = [];
      for (let n = low; n < header.count && found.length < max; n += 1) {
        const id = at(n);
        if (!wellFormed(n)) return null;
        if (!id.startsWith(hex)) break;
        found.push(`bl_${id}`);
      }
      return found;
    },
  };
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function currentHeader(path: string): ListHeader | null {
  try {
    return parseHeader(readListBytes(path, 4096))?.header ?? null;
  } catch {
    return null;
  }
}

/**
 * Saves the ids of an items index beside the log, at the end of a successful command that saved
 * the index (or found no list). Kept as long as it describes the log and less than
 * REWRITE_AFTER_BYTES were appended after it, so that a command on a large store does not sort
 * all its ids again; a list that no longer fits is only ignored by completion until then. Not fsync'd: a list lost or torn by a
 * crash fails its checks and is rebuilt. Failure is harmless.
 */
export function saveIdList(logPath: string, index: LogIndex<Map<string, unknown>>, indexSaved: boolean): void {
  const path = idsPathOf(logPath);
  let body: Buffer;
  try {
    // Looked at only when the index was saved, or when there is no list at all (a store indexed
    // before lists existed): a read of an unchanged store does no more than this lstat.
    if (!indexSaved && exists(path)) return;
    const log = openStoreFile(logPath, OPEN.read);
    let header: ListHeader;
    try {
      // Only the header is read to decide (a list whose ids are damaged is rebuilt when the index is next saved).
      const current = currentHeader(path);
      if (current !== null && current.covered <= index.covered && index.covered - current.covered < REWRITE_AFTER_BYTES && describesLog(current, log)) return;
      // Only for the log the index was made of, read here for the CRCs of its windows.
      const now = identityOf(log);
      const { dev, ino, birth } = index.identity;
      if (now.dev !== dev || now.ino !== ino || now.birth !== birth || now.size < index.covered) return;
      // Ids of one length and prefix sort as their hex digits do; each record written in place
      // (not a string per id and their join: 100k ids, some 6 MB less at the end of a command).
      const ids = [...index.state.keys()].filter((id) => ID.test(id)).sort();
      body = Buffer.allocUnsafe(ids.length * RECORD);
      ids.forEach((id, n) => {
        body.write(id.slice(3), n * RECORD, ID_HEX, "latin1");
        body[n * RECORD + ID_HEX] = 0x0a;
      });
      const { identity, covered } = index;
      header = { format: LIST_FORMAT, kind: LIST_KIND, covered, identity, ...windowsOf(log, covered), count: ids.length, crc: crc32(body) };
    } finally {
      closeSync(log);
    }
    writeFileAtomically(path, [Buffer.from(`${JSON.stringify(header)}\n`), body], false);
  } catch {
    // A read-only data directory, a full disk: completion scans the log instead.
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

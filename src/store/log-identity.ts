/**
 * What tells that a cache saved beside a log (an index, the text index, the id list) still
 * describes that log, which may only have grown since: the same file (device, inode, birth time),
 * not rewritten in place (size and mtime), and the same bytes at its head and just before the
 * covered offset (CRC-32 of 4 KiB windows: no node:crypto on a read; the identity and size checks
 * come first, and whoever could forge one could forge a SHA-256 as easily: both are computed from
 * the log). Small and free of other imports: shell completion loads it without the store.
 */
import { fstatSync, readSync } from "node:fs";
import { crc32 } from "node:zlib";

const WINDOW = 4096;

export interface Identity {
  dev: string;
  ino: string;
  birth: string;
  size: number;
  mtime: string;
  /** Status change time (ns), which no one can set: absent in caches saved before it was recorded. */
  ctime?: string;
}

/** What a saved cache records of the log it was made from. */
export interface LogHeader {
  identity: Identity;
  /** Bytes covered: the end of the last complete line taken in. */
  covered: number;
  head: string;
  tail: string;
}

export function identityOf(fd: number): Identity {
  const st = fstatSync(fd, { bigint: true });
  return { dev: String(st.dev), ino: String(st.ino), birth: String(st.birthtimeNs), size: Number(st.size), mtime: String(st.mtimeNs), ctime: String(st.ctimeNs) };
}

function hashWindow(fd: number, from: number, to: number): string {
  const length = Math.max(0, to - from);
  const buffer = Buffer.alloc(length);
  const read = length > 0 ? readSync(fd, buffer, 0, length, from) : 0;
  return `${read}:${crc32(buffer.subarray(0, read)).toString(16).padStart(8, "0")}`;
}

/** The head and tail fields of a header for the log open as `fd`, covered up to `covered`. */
export const windowsOf = (fd: number, covered: number): Pick<LogHeader, "head" | "tail"> => ({
  head: hashWindow(fd, 0, Math.min(WINDOW, covered)),
  tail: hashWindow(fd, Math.max(0, covered - WINDOW), covered),
});

/** Whether `saved` still describes the file open as `fd` (identity `now`), which may have grown since. */
export function stillValid(saved: LogHeader, now: Identity, fd: number): boolean {
  const was = saved.identity;
  if (typeof was !== "object" || was === null) return false;
  if (was.dev !== now.dev || was.ino !== now.ino || was.birth !== now.birth) return false;
  if (now.size < saved.covered) return false;
  // Same length but touched: rewritten in place, not appended to.
  if (now.size === was.size && now.mtime !== was.mtime) return false;
  const { head, tail } = windowsOf(fd, saved.covered);
  return head === saved.head && tail === saved.tail;
}

/**
 * Whether `saved` (an index, or the header of a saved cache) still describes the log open as `fd`
 * (up to `end`): it may be extended by the lines appended since, not rebuilt.
 */
export function describesLog(saved: LogHeader, fd: number, end = Number.POSITIVE_INFINITY): boolean {
  const identity = identityOf(fd);
  return Number.isSafeInteger(saved.covered) && saved.covered >= 0 && saved.covered <= Math.min(identity.size, end) && stillValid(saved, identity, fd);
}

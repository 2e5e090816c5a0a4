/**
 * Indexes of an append-only log, so that reads parse only what was appended since the last read.
 *
 * An index covers the log's complete lines up to a byte offset. It is valid for a file only while
 * that file is the same one (device, inode, birth time) and was only appended to: its size has not
 * shrunk, its length and mtime are unchanged or it grew, and the bytes at its head and just before
 * the covered offset hash as they did. Anything else (the log replaced by compaction, truncated,
 * rewritten in place) rebuilds the index from the log. The log is the only source of truth; a
 * saved index is a cache that is never trusted over it, and deleting it is always safe.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { scanFd } from "./jsonl-file.js";

const FORMAT = 1;
const WINDOW = 4096;

export interface IndexKind<S> {
  /** Identifies the kind in saved files, so an index of one kind is never read as another. */
  name: string;
  empty(): S;
  /** Adds one complete line; false when the line is unreadable. */
  add(state: S, line: string, offset: number, bytes: number): boolean;
  toJson(state: S): unknown;
  fromJson(json: unknown): S | null;
}

interface Identity {
  dev: string;
  ino: string;
  birth: string;
  size: number;
  mtime: string;
}

export interface LogIndex<S> {
  state: S;
  /** Line numbers of unreadable lines, to report on every read, not only the first. */
  bad: number[];
  lines: number;
  /** Bytes covered: the end of the last complete line indexed. */
  covered: number;
  identity: Identity;
  head: string;
  tail: string;
  /** Bytes parsed since this index was last saved (Infinity when rebuilt from nothing). */
  unsaved: number;
}

function identityOf(fd: number): Identity {
  const st = fstatSync(fd, { bigint: true });
  return { dev: String(st.dev), ino: String(st.ino), birth: String(st.birthtimeNs), size: Number(st.size), mtime: String(st.mtimeNs) };
}

function hashWindow(fd: number, from: number, to: number): string {
  const length = Math.max(0, to - from);
  const buffer = Buffer.alloc(length);
  if (length > 0) readSync(fd, buffer, 0, length, from);
  return createHash("sha256").update(buffer).digest("hex");
}

const headHash = (fd: number, covered: number) => hashWindow(fd, 0, Math.min(WINDOW, covered));
const tailHash = (fd: number, covered: number) => hashWindow(fd, Math.max(0, covered - WINDOW), covered);

/** Whether `prior` still describes the file open as `fd`, which may have grown since. */
function stillValid<S>(prior: LogIndex<S>, now: Identity, fd: number): boolean {
  const was = prior.identity;
  if (was.dev !== now.dev || was.ino !== now.ino || was.birth !== now.birth) return false;
  if (now.size < prior.covered) return false;
  // Same length but touched: rewritten in place, not appended to.
  if (now.size === was.size && now.mtime !== was.mtime) return false;
  return headHash(fd, prior.covered) === prior.head && tailHash(fd, prior.covered) === prior.tail;
}

/**
 * The index of the log open as `fd`: `prior` (from memory or a saved file) extended by the lines
 * appended since, or rebuilt from the whole log when `prior` no longer describes it.
 */
export function refreshIndex<S>(kind: IndexKind<S>, fd: number, prior: LogIndex<S> | null): LogIndex<S> {
  const identity = identityOf(fd);
  const base = prior && stillValid(prior, identity, fd) ? prior : null;
  if (base && base.covered === identity.size) return { ...base, identity };
  const state = base ? base.state : kind.empty();
  const bad = base ? [...base.bad] : [];
  const from = base ? base.covered : 0;
  let covered = from;
  const scan = scanFd(
    fd,
    (line, lineNo, offset, bytes) => {
      covered = offset + bytes + 1;
      if (line.trim() !== "" && !kind.add(state, line, offset, bytes)) bad.push(lineNo);
    },
    from,
    base ? base.lines : 0,
  );
  return {
    state,
    bad,
    lines: scan.lines,
    covered,
    identity,
    head: headHash(fd, covered),
    tail: tailHash(fd, covered),
    unsaved: base ? base.unsaved + (covered - from) : Number.POSITIVE_INFINITY,
  };
}

/** A saved index, or null when there is none or it cannot be read (then it is simply rebuilt). */
export function loadSavedIndex<S>(kind: IndexKind<S>, path: string): LogIndex<S> | null {
  try {
    const saved = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    if (saved.format !== FORMAT || saved.kind !== kind.name) return null;
    const state = kind.fromJson(saved.state);
    if (state === null) return null;
    return {
      state,
      bad: saved.bad as number[],
      lines: saved.lines as number,
      covered: saved.covered as number,
      identity: saved.identity as Identity,
      head: saved.head as string,
      tail: saved.tail as string,
      unsaved: 0,
    };
  } catch {
    return null;
  }
}

/** Saves by tmp file and rename, so a reader never sees half an index. Failure is harmless. */
export function saveIndex<S>(kind: IndexKind<S>, path: string, index: LogIndex<S>): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const { state, unsaved: _unsaved, ...header } = index;
    const text = JSON.stringify({ format: FORMAT, kind: kind.name, ...header, state: kind.toJson(state) });
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was created
    }
  }
}

/**
 * The one reader for every input path (--from-json, `tool -`, digests, policies; HTTP bodies too):
 * it reads in chunks and stops as soon as the limit is passed, so `/dev/zero` or a huge file is
 * refused quickly instead of being read whole and then measured.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { describeBytes } from "../domain/limits.js";

export class InputTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`larger than the limit of ${describeBytes(limit)}`);
    this.name = "InputTooLarge";
  }
}

const CHUNK = 64 * 1024;

/** Reads a path (or fd 0 for stdin) as UTF-8, at most `limit` bytes; throws InputTooLarge past it. */
export function readBounded(source: string | 0, limit: number): string {
  const fd = source === 0 ? 0 : openSync(source, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN") continue;
        if ((error as NodeJS.ErrnoException).code === "EOF") break;
        throw error;
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new InputTooLarge(limit);
      chunks.push(buffer.subarray(0, n));
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    if (source !== 0) closeSync(fd);
  }
}

/** Collects a stream (an HTTP body) up to `limit` bytes; rejects with InputTooLarge past it. */
export async function readStreamBounded(stream: AsyncIterable<Uint8Array | string>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk);
    total += buffer.length;
    if (total > limit) throw new InputTooLarge(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

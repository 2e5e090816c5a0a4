/**
 * The binary form of a saved index: typed columns and a string table, read back with a few
 * copies and one decode of all strings, never a JSON.parse of a large object (which dominated
 * reads through a saved index: parsing the text, then building an object per entry from it).
 *
 *   file     = "BLIX" · u32 format · u32 header length · u32 CRC-32 of the bytes before the
 *              header and of the header · header (JSON, small) · padding to 8 ·
 *              sections · u32 CRC-32 of every byte before it
 *   section  = u32 tag · u32 count · u32 payload bytes · u32 CRC-32 of the payload · payload ·
 *              padding to 8
 *
 * A whole read checks the last CRC (every byte of the file); a lookup reads from the file only
 * the header and the sections it uses, and checks the CRC of each (see ColumnReader.partial).
 * Numbers are little-endian (the header says which order wrote it; another is refused). Anything
 * unexpected while reading (a tag, a length, an index past the table) throws, and the caller
 * treats the file as no index at all.
 */
import { readSync } from "node:fs";
import { endianness } from "node:os";
import { crc32 } from "node:zlib";

const MAGIC = Buffer.from("BLIX", "latin1");
const TAG = { u32: 1, f64: 2, latin1: 3, utf16: 4 } as const;
const ALIGN = 8;
const START = 16;
const SECTION_HEAD = 16;
const LITTLE_ENDIAN = endianness() === "LE";
/** Every code unit of these strings is below 256: one byte each, and one-byte strings once read. */
const ONE_BYTE = /^[\x00-\xff]*$/;

export class IndexFileError extends Error {}

const fail = (what: string): never => {
  throw new IndexFileError(`unreadable saved index: ${what}`);
};

const padding = (length: number) => (ALIGN - (length % ALIGN)) % ALIGN;

/** Distinct strings, each written once; rows hold their numbers. */
export class StringTable {
  private readonly numbers = new Map<string, number>();
  readonly strings: string[] = [];

  number(value: string): number {
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.strings.length;
      this.strings.push(value);
      this.numbers.set(value, n);
    }
    return n;
  }
}

export class ColumnWriter {
  private readonly sections: Buffer[] = [];

  private section(tag: number, count: number, payload: Uint8Array): void {
    const head = Buffer.alloc(SECTION_HEAD);
    head.writeUInt32LE(tag, 0);
    head.writeUInt32LE(count, 4);
    head.writeUInt32LE(payload.byteLength, 8);
    head.writeUInt32LE(crc32(payload), 12);
    this.sections.push(head, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), Buffer.alloc(padding(payload.byteLength)));
  }

  u32s(values: Uint32Array): void {
    this.section(TAG.u32, values.length, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  f64s(values: Float64Array): void {
    this.section(TAG.f64, values.length, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  /**
   * The table's strings: their lengths (in code units), then all of them joined, written straight
   * into one buffer (no joined string beside it: 10 MB at 100k items).
   */
  strings(table: StringTable | readonly string[]): void {
    const strings = table instanceof StringTable ? table.strings : table;
    const lengths = Uint32Array.from(strings, (s) => s.length);
    this.u32s(lengths);
    let units = 0;
    let oneByte = true;
    for (const s of strings) {
      units += s.length;
      if (oneByte && !ONE_BYTE.test(s)) oneByte = false;
    }
    // latin1 and UTF-16 give back every code unit as written (UTF-8 would not: lone surrogates).
    const encoding = oneByte ? "latin1" : "utf16le";
    const joined = Buffer.allocUnsafe(oneByte ? units : units * 2);
    let at = 0;
    for (const s of strings) at += joined.write(s, at, encoding);
    if (at !== joined.length) throw new Error("string table: encoded length differs from its code units");
    this.section(oneByte ? TAG.latin1 : TAG.utf16, units, joined);
  }

  /** The whole file in one buffer (see parts). */
  file(format: number, header: unknown): Buffer {
    return Buffer.concat(this.parts(format, header));
  }

  /** The whole file as its parts in order, none copied: written one after another, they are file(). */
  parts(format: number, header: unknown): Buffer[] {
    const head = Buffer.from(JSON.stringify({ ...(header as object), endianness: LITTLE_ENDIAN ? "LE" : "BE" }), "utf8");
    const start = Buffer.alloc(START);
    MAGIC.copy(start, 0);
    start.writeUInt32LE(format, 4);
    start.writeUInt32LE(head.length, 8);
    start.writeUInt32LE(crc32(head, crc32(start.subarray(0, 12))), 12);
    const body = [start, head, Buffer.alloc(padding(START + head.length)), ...this.sections];
    let crc = 0;
    for (const part of body) crc = crc32(part, crc);
    const end = Buffer.alloc(4);
    end.writeUInt32LE(crc, 0);
    return [...body, end];
  }
}

/** Where a reader takes its bytes: a whole file in memory, or an open file read as needed. */
interface Source {
  size: number;
  bytes(from: number, length: number): Buffer;
}

const inMemory = (file: Buffer): Source => ({ size: file.length, bytes: (from, length) => file.subarray(from, from + length) });

function fromFile(fd: number, size: number): Source {
  return {
    size,
    bytes(from, length) {
      const buffer = Buffer.allocUnsafeSlow(length);
      for (let done = 0; done < length; ) {
        const read = readSync(fd, buffer, done, length - done, from + done);
        if (read === 0) fail("cut short");
        done += read;
      }
      return buffer;
    },
  };
}

export class ColumnReader {
  private at: number;
  private readonly source: Source;
  readonly header: Record<string, unknown>;

  /**
   * Checks the magic, format, CRC and byte order of a whole file, and reads its header; or, for
   * a file open as `fd` (see partial), of its header alone.
   */
  constructor(file: Buffer | { fd: number; size: number }, format: number, private readonly whole = Buffer.isBuffer(file)) {
    this.source = Buffer.isBuffer(file) ? inMemory(file) : fromFile(file.fd, file.size);
    const size = this.source.size;
    if (size < START + 4) fail("not an index file");
    const start = this.source.bytes(0, START);
    if (!start.subarray(0, 4).equals(MAGIC)) fail("not an index file");
    if (start.readUInt32LE(4) !== format) fail("another format");
    const end = size - 4;
    if (this.whole) {
      const all = this.source.bytes(0, size);
      if (crc32(all.subarray(0, end)) !== all.readUInt32LE(end)) fail("checksum mismatch");
    }
    const headLength = start.readUInt32LE(8);
    if (START + headLength > end) fail("header past the end");
    const head = this.source.bytes(START, headLength);
    if (crc32(head, crc32(start.subarray(0, 12))) !== start.readUInt32LE(12)) fail("header checksum mismatch");
    const header = JSON.parse(head.toString("utf8")) as unknown;
    if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header");
    this.header = header as Record<string, unknown>;
    if (this.header.endianness !== (LITTLE_ENDIAN ? "LE" : "BE")) fail("written in another byte order");
    this.at = START + headLength + padding(START + headLength);
  }

  /**
   * A reader of the file open as `fd` that reads only the header and the sections asked for,
   * each checked by its own CRC (sections skipped are not read at all).
   */
  static partial(fd: number, size: number, format: number): ColumnReader {
    return new ColumnReader({ fd, size }, format, false);
  }

  /** The next section's head: its tag, count and payload, checked against the end of the file. */
  private head(): { tag: number; count: number; from: number; bytes: number; crc: number } {
    const end = this.source.size - 4;
    if (this.at + SECTION_HEAD > end) fail("section past the end");
    const head = this.source.bytes(this.at, SECTION_HEAD);
    const from = this.at + SECTION_HEAD;
    const bytes = head.readUInt32LE(8);
    if (from + bytes > end) fail("section past the end");
    this.at = from + bytes + padding(bytes);
    return { tag: head.readUInt32LE(0), count: head.readUInt32LE(4), from, bytes, crc: head.readUInt32LE(12) };
  }

  private section(tags: readonly number[]): { tag: number; count: number; payload: Buffer } {
    const { tag, count, from, bytes, crc } = this.head();
    const width = tag === TAG.u32 ? 4 : tag === TAG.f64 ? 8 : tag === TAG.utf16 ? 2 : 1;
    if (!tags.includes(tag) || bytes !== count * width) fail("section");
    const payload = this.source.bytes(from, bytes);
    // Read whole, the file's own CRC covered it; read alone, its own CRC does.
    if (!this.whole && crc32(payload) !== crc) fail("section checksum mismatch");
    return { tag, count, payload };
  }

  /** Passes over the next `count` sections without reading them. */
  skip(count = 1): void {
    for (let i = 0; i < count; i += 1) this.head();
  }

  /** The payload as a column, in place when it is aligned for `width` (a file read whole), else a copy. */
  private column<T>(payload: Buffer, width: number, make: (buffer: ArrayBuffer, offset: number, length: number) => T): T {
    if (payload.byteOffset % width === 0) return make(payload.buffer as ArrayBuffer, payload.byteOffset, payload.length / width);
    return make(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length) as ArrayBuffer, 0, payload.length / width);
  }

  u32s(): Uint32Array {
    return this.column(this.section([TAG.u32]).payload, 4, (b, o, n) => new Uint32Array(b, o, n));
  }

  f64s(): Float64Array {
    return this.column(this.section([TAG.f64]).payload, 8, (b, o, n) => new Float64Array(b, o, n));
  }

  strings(): string[] {
    return this.stringTable().all();
  }

  /** The string table, its strings not decoded: for a lookup that needs only a few of them. */
  stringTable(): SavedStrings {
    const lengths = this.u32s();
    const { tag, payload } = this.section([TAG.latin1, TAG.utf16]);
    // The lengths are checked against the joined strings before any string is taken (all(), startsOf()).
    return new SavedStrings(payload, lengths, tag === TAG.latin1);
  }

  /** Passes over a string table without reading it. */
  skipStrings(): void {
    this.skip(2);
  }

  /** Throws unless every section was read (or skipped). */
  done(): void {
    if (this.at !== this.source.size - 4) fail("trailing bytes");
  }
}

/** A saved string table as it is in the file: strings are decoded when asked for. */
export class SavedStrings {
  /** Where each string starts, in code units (and where the last ends), computed when first needed. */
  private starts: Float64Array | null = null;

  constructor(
    private readonly joined: Buffer,
    private readonly lengths: Uint32Array,
    private readonly oneByte: boolean,
  ) {}

  get count(): number {
    return this.lengths.length;
  }

  /** Every string at once (a whole index is being read). */
  all(): string[] {
    const joined = this.joined.toString(this.oneByte ? "latin1" : "utf16le");
    const strings = new Array<string>(this.lengths.length);
    let at = 0;
    for (let i = 0; i < this.lengths.length; i += 1) {
      strings[i] = joined.slice(at, at + this.lengths[i]);
      at += this.lengths[i];
    }
    if (at !== joined.length) fail("string lengths");
    return strings;
  }

  private startsOf(): Float64Array {
    if (this.starts === null) {
      const starts = new Float64Array(this.lengths.length + 1);
      for (let i = 0; i < this.lengths.length; i += 1) starts[i + 1] = starts[i] + this.lengths[i];
      if (starts[this.lengths.length] * (this.oneByte ? 1 : 2) !== this.joined.length) fail("string lengths");
      this.starts = starts;
    }
    return this.starts;
  }

  /** The string numbered `n`; throws when there is none. */
  at(n: number): string {
    if (!(n < this.lengths.length)) fail("string number");
    const starts = this.startsOf();
    const width = this.oneByte ? 1 : 2;
    return this.joined.toString(this.oneByte ? "latin1" : "utf16le", starts[n] * width, starts[n + 1] * width);
  }

  /**
   * The numbers of every string equal to `value` (a table written by this code has at most one;
   * any other file is read the way a whole read would read it). Found by a byte search of the
   * joined strings: a match counts only where a string of that length starts.
   */
  numbersOf(value: string): number[] {
    const found: number[] = [];
    if (value === "") {
      for (let i = 0; i < this.lengths.length; i += 1) if (this.lengths[i] === 0) found.push(i);
      return found;
    }
    if (this.oneByte && !ONE_BYTE.test(value)) return found;
    const width = this.oneByte ? 1 : 2;
    const needle = Buffer.from(value, this.oneByte ? "latin1" : "utf16le");
    const starts = this.startsOf();
    for (let at = this.joined.indexOf(needle); at !== -1; at = this.joined.indexOf(needle, at + 1)) {
      if (at % width !== 0) continue;
      const unit = at / width;
      // The string starting at `unit`, if one does: a binary search of the starts.
      let lo = 0;
      let hi = this.lengths.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid] <= unit) lo = mid;
        else hi = mid - 1;
      }
      // Empty strings share their start with the next one: the last string starting here is the non-empty one.
      if (this.lengths.length > 0 && starts[lo] === unit && this.lengths[lo] === value.length) found.push(lo);
    }
    return found;
  }
}

/** The string numbered `n` of `table`; throws when there is none. */
export function stringAt(table: readonly string[], n: number): string {
  const s = table[n];
  return s === undefined ? fail("string number") : s;
}

/**
 * The binary form of a saved index: typed columns and a string table, read back with a few
 * copies and one decode of all strings, never a JSON.parse of a large object (which dominated
 * reads through a saved index: parsing the text, then building an object per entry from it).
 *
 *   file     = "BLIX" · u32 format · u32 header length · header (JSON, small) · padding to 8 ·
 *              sections · u32 CRC-32 of every byte before it
 *   section  = u32 tag · u32 count · u32 payload bytes · payload · padding to 8
 *
 * Numbers are little-endian (the header says which order wrote it; another is refused). Anything
 * unexpected while reading (a tag, a length, an index past the table) throws, and the caller
 * treats the file as no index at all.
 */
import { endianness } from "node:os";
import { crc32 } from "node:zlib";

const MAGIC = Buffer.from("BLIX", "latin1");
const TAG = { u32: 1, f64: 2, latin1: 3, utf16: 4 } as const;
const ALIGN = 8;
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
  private readonly parts: Buffer[] = [];

  private section(tag: number, count: number, payload: Uint8Array): void {
    const head = Buffer.alloc(12);
    head.writeUInt32LE(tag, 0);
    head.writeUInt32LE(count, 4);
    head.writeUInt32LE(payload.byteLength, 8);
    this.parts.push(head, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), Buffer.alloc(padding(12 + payload.byteLength)));
  }

  u32s(values: Uint32Array): void {
    this.section(TAG.u32, values.length, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  f64s(values: Float64Array): void {
    this.section(TAG.f64, values.length, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  /** The table's strings: their lengths (in code units), then all of them joined. */
  strings(table: StringTable): void {
    const lengths = Uint32Array.from(table.strings, (s) => s.length);
    this.u32s(lengths);
    const joined = table.strings.join("");
    // latin1 and UTF-16 give back every code unit as written (UTF-8 would not: lone surrogates).
    const oneByte = ONE_BYTE.test(joined);
    this.section(oneByte ? TAG.latin1 : TAG.utf16, joined.length, Buffer.from(joined, oneByte ? "latin1" : "utf16le"));
  }

  /** The whole file. */
  file(format: number, header: unknown): Buffer {
    const head = Buffer.from(JSON.stringify({ ...(header as object), endianness: LITTLE_ENDIAN ? "LE" : "BE" }), "utf8");
    const start = Buffer.alloc(12);
    MAGIC.copy(start, 0);
    start.writeUInt32LE(format, 4);
    start.writeUInt32LE(head.length, 8);
    const body = Buffer.concat([start, head, Buffer.alloc(padding(12 + head.length)), ...this.parts]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(body), 0);
    return Buffer.concat([body, crc]);
  }
}

export class ColumnReader {
  private at: number;
  readonly header: Record<string, unknown>;

  /** Checks the magic, format, CRC and byte order of a whole file, and reads its header. */
  constructor(private readonly file: Buffer, format: number) {
    if (file.length < 16 || !file.subarray(0, 4).equals(MAGIC)) fail("not an index file");
    if (file.readUInt32LE(4) !== format) fail("another format");
    const end = file.length - 4;
    if (crc32(file.subarray(0, end)) !== file.readUInt32LE(end)) fail("checksum mismatch");
    const headLength = file.readUInt32LE(8);
    if (12 + headLength > end) fail("header past the end");
    const header = JSON.parse(file.toString("utf8", 12, 12 + headLength)) as unknown;
    if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header");
    this.header = header as Record<string, unknown>;
    if (this.header.endianness !== (LITTLE_ENDIAN ? "LE" : "BE")) fail("written in another byte order");
    this.at = 12 + headLength + padding(12 + headLength);
  }

  private section(tag: number, width: number): { count: number; from: number; bytes: number } {
    const end = this.file.length - 4;
    if (this.at + 12 > end) fail("section past the end");
    const found = this.file.readUInt32LE(this.at);
    const count = this.file.readUInt32LE(this.at + 4);
    const bytes = this.file.readUInt32LE(this.at + 8);
    const from = this.at + 12;
    if (found !== tag || bytes !== count * width || from + bytes > end) fail("section");
    this.at = from + bytes + padding(12 + bytes);
    return { count, from, bytes };
  }

  /** The section's bytes in place when they are aligned for `width` (sections are, in a file read whole), else a copy. */
  private column<T>(from: number, bytes: number, width: number, make: (buffer: ArrayBuffer, offset: number, length: number) => T): T {
    const start = this.file.byteOffset + from;
    if (start % width === 0) return make(this.file.buffer as ArrayBuffer, start, bytes / width);
    return make(this.file.buffer.slice(start, start + bytes) as ArrayBuffer, 0, bytes / width);
  }

  u32s(): Uint32Array {
    const { from, bytes } = this.section(TAG.u32, 4);
    return this.column(from, bytes, 4, (b, o, n) => new Uint32Array(b, o, n));
  }

  f64s(): Float64Array {
    const { from, bytes } = this.section(TAG.f64, 8);
    return this.column(from, bytes, 8, (b, o, n) => new Float64Array(b, o, n));
  }

  strings(): string[] {
    return this.stringTable().all();
  }

  /** The string table, its strings not decoded: for a lookup that needs only a few of them. */
  stringTable(): SavedStrings {
    const lengths = this.u32s();
    const oneByte = this.file.readUInt32LE(this.at) === TAG.latin1;
    const { from, bytes } = this.section(oneByte ? TAG.latin1 : TAG.utf16, oneByte ? 1 : 2);
    // The lengths are checked against the joined strings before any string is taken (all(), startsOf()).
    return new SavedStrings(this.file.subarray(from, from + bytes), lengths, oneByte);
  }

  /** Throws unless every section was read. */
  done(): void {
    if (this.at !== this.file.length - 4) fail("trailing bytes");
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

/** The input limits of SPEC section 13, in one place. Pure: no I/O. */
export const LIMITS = {
  /** --from-json, `tool -` and tool request bodies. */
  requestBytes: 1024 * 1024,
  digestBytes: 64 * 1024 * 1024,
  policyBytes: 1024 * 1024,
  metaBytes: 64 * 1024,
  metaDepth: 32,
  /** Nesting depth allowed in any JSON input before it is parsed (meta's 32 plus the envelope). */
  jsonDepth: 64,
  tags: 64,
  tagChars: 100,
  refsPerKind: 1000,
  titleChars: 200,
  descriptionChars: 20_000,
} as const;

/** Counts given on the command line (--limit, --offset, gate thresholds): 0 to this. */
export const MAX_COUNT = 999_999_999;
export const MAX_RETENTION_DAYS = 36_500;
/** The clock (BACKLOG_NOW) must fall in these years: dates around it stay four-digit and sane. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2999;

export const describeBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

/**
 * The deepest nesting of `[`/`{` in JSON text, counted without recursion and without parsing, so
 * that text nested 100,000 levels is refused before JSON.parse sees it. Strings are skipped.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

/** The nesting depth of a parsed value, measured iteratively (no recursion to overflow). */
export function valueDepthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== "object") continue;
    if (d + 1 > max) return true;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

/** True when `text` holds a NUL or a UTF-16 surrogate without its pair. */
export function hasNulOrLoneSurrogate(text: string): boolean {
  return /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** `record[key]` only when `key` is the record's own property: `constructor` or `__proto__` never reach Object.prototype. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

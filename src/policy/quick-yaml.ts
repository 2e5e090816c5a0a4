/**
 * A reader for the plain YAML that policy files are written in (block mappings, `- ` lists of
 * one-line values, one-line `{…}` and `[…]`, plain words, integers, true/false/null, quotes
 * without escapes, comments), tried before js-yaml, which costs several milliseconds at every
 * command. It answers only when it is sure to give what js-yaml (CORE_SCHEMA) gives; anything
 * else (anchors, tags, escapes, multi-line scalars, floats, tabs, duplicate keys, …) returns
 * undefined and js-yaml reads the text, reporting its errors as before. No I/O.
 * test/unit/policy-quick-accept.test.ts compares the two on many documents.
 */

class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

const WORD = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const INTEGER = /^(0|-?[1-9][0-9]{0,14})$/;
const SPECIAL = /^(true|false|null|~|y|n|yes|no|on|off)$/i;
const SAFE_QUOTED = /^[\x20-\x7e]*$/;

function scalar(token: string): unknown {
  if (token === "true") return true;
  if (token === "false") return false;
  if (token === "null" || token === "~") return null;
  if (INTEGER.test(token)) return Number(token);
  if (WORD.test(token) && !SPECIAL.test(token)) return token;
  return decline();
}

function key(token: string): string {
  const value = scalar(token);
  if (typeof value !== "string" || value === "__proto__") decline();
  return value as string;
}

function setOnce(target: Record<string, unknown>, name: string, value: unknown): void {
  if (Object.hasOwn(target, name)) decline();
  target[name] = value;
}

/** One line's value after `key: ` or `- `: a flow collection, a quoted string or a plain scalar. */
class Inline {
  private pos = 0;
  constructor(private readonly text: string) {}

  static parse(text: string): unknown {
    const reader = new Inline(text);
    const value = reader.value(false);
    reader.spaces();
    if (reader.pos < text.length && !(text[reader.pos] === "#" && /\s/.test(text[reader.pos - 1] ?? ""))) decline();
    return value;
  }

  private spaces(): void {
    while (this.text[this.pos] === " ") this.pos += 1;
  }

  private value(inFlow: boolean): unknown {
    this.spaces();
    const c = this.text[this.pos];
    if (c === "{") return this.mapping();
    if (c === "[") return this.sequence();
    if (c === '"' || c === "'") return this.quoted(c);
    return scalar(this.plain(inFlow));
  }

  private plain(inFlow: boolean): string {
    const start = this.pos;
    const stop = inFlow ? /[,\]}:#]/ : /[#:]/;
    while (this.pos < this.text.length && !stop.test(this.text[this.pos])) this.pos += 1;
    return this.text.slice(start, this.pos).trimEnd();
  }

  private quoted(quote: string): string {
    const end = this.text.indexOf(quote, this.pos + 1);
    if (end < 0) decline();
    const body = this.text.slice(this.pos + 1, end);
    if (!SAFE_QUOTED.test(body) || body.includes("\\")) decline();
    this.pos = end + 1;
    if (this.text[this.pos] === quote) decline(); // '' inside single quotes
    return body;
  }

  private mapping(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos += 1;
    this.spaces();
    if (this.text[this.pos] === "}") return (this.pos += 1), out;
    for (;;) {
      this.spaces();
      const name = key(this.plain(true));
      // `key: value` exactly: no space before the colon, one after.
      if (this.text[this.pos] !== ":" || this.text[this.pos - 1] === " " || this.text[this.pos + 1] !== " ") decline();
      this.pos += 1;
      setOnce(out, name, this.value(true));
      this.spaces();
      const c = this.text[this.pos++];
      if (c === "}") return out;
      if (c !== ",") decline();
    }
  }

  private sequence(): unknown[] {
    const out: unknown[] = [];
    this.pos += 1;
    this.spaces();
    if (this.text[this.pos] === "]") return (this.pos += 1), out;
    for (;;) {
      out.push(this.value(true));
      this.spaces();
      const c = this.text[this.pos++];
      if (c === "]") return out;
      if (c !== ",") decline();
    }
  }
}

interface Line {
  indent: number;
  text: string;
}

function significantLines(text: string): Line[] {
  const lines: Line[] = [];
  for (const raw of text.split("\n")) {
    const body = raw.trimStart();
    if (body === "" || body.startsWith("#")) continue;
    lines.push({ indent: raw.length - body.length, text: body.trimEnd() });
  }
  return lines;
}

const BLOCK_KEY = /^([A-Za-z][A-Za-z0-9_.-]*):(?: (.*))?$/;

function block(lines: Line[], at: { i: number }, indent: number): unknown {
  return lines[at.i].text === "-" || lines[at.i].text.startsWith("- ") ? blockSequence(lines, at, indent) : blockMapping(lines, at, indent);
}

function blockMapping(lines: Line[], at: { i: number }, indent: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (at.i < lines.length && lines[at.i].indent >= indent) {
    const line = lines[at.i];
    if (line.indent !== indent) decline();
    const match = BLOCK_KEY.exec(line.text) ?? decline();
    const name = key(match[1]);
    const rest = (match[2] ?? "").trim();
    at.i += 1;
    let value: unknown = null;
    if (rest !== "" && !rest.startsWith("#")) value = Inline.parse(rest);
    else if (at.i < lines.length && lines[at.i].indent > indent) value = block(lines, at, lines[at.i].indent);
    else if (at.i < lines.length && lines[at.i].indent === indent && lines[at.i].text.startsWith("-")) decline();
    setOnce(out, name, value);
  }
  return out;
}

function blockSequence(lines: Line[], at: { i: number }, indent: number): unknown[] {
  const out: unknown[] = [];
  while (at.i < lines.length && lines[at.i].indent >= indent) {
    const line = lines[at.i];
    if (line.indent !== indent || !line.text.startsWith("- ")) decline();
    const rest = line.text.slice(2).trim();
    // `- key: value` starts a block mapping inside the list: left to js-yaml.
    if (rest === "" || rest.startsWith("#") || /^[^{["']*: /.test(rest) || rest.endsWith(":")) decline();
    out.push(Inline.parse(rest));
    at.i += 1;
  }
  return out;
}

/** What js-yaml's load(text, { schema: CORE_SCHEMA }) returns, or undefined when not sure. */
export function quickYaml(text: string): unknown {
  if (/[\t\r\uFEFF]/.test(text) || /^(---|\.\.\.|%)/m.test(text)) return undefined;
  try {
    const lines = significantLines(text);
    if (lines.length === 0 || lines[0].indent !== 0) return undefined;
    if (lines.length === 1 && /^[{[]/.test(lines[0].text)) return Inline.parse(lines[0].text);
    const at = { i: 0 };
    const value = blockMapping(lines, at, 0);
    return at.i === lines.length ? value : undefined;
  } catch (error) {
    if (error instanceof Decline) return undefined;
    throw error;
  }
}

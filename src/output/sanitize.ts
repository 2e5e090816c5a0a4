/**
 * Stored text is data, not terminal commands: control characters (escape sequences included), DEL,
 * C1 controls and bidi overrides are shown as visible `\xNN`/`\u{...}` codes, never passed through.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]/g;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]/g;

const visible = (ch: string) => {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === "\t") return "  ";
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
};

/** For one-line cells: every control character, newline included, made visible. */
export const safeInline = (text: string): string => text.replace(UNSAFE, visible);

/** For multi-line text (descriptions, comments): newlines kept, everything else made visible. */
export const safeMultiline = (text: string): string => text.replace(UNSAFE_BUT_NEWLINE, visible);

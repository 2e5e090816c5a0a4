/** How results are printed: JSON for scripts, or text (coloured only when asked or on a capable TTY). */
import { invalidInput } from "../errors.js";

export interface OutputMode {
  json: boolean;
  color: boolean;
  /** Columns a table may use: $COLUMNS, else the TTY's width; null when piped (no truncation). */
  width: number | null;
}

export const COLOR_CHOICES = ["always", "never", "auto"] as const;

/**
 * `--color always|never|auto` (`--no-color` is `never`) wins; under `auto`, FORCE_COLOR as chalk
 * reads it (`0`/`false` off, anything else on), then NO_COLOR, TERM=dumb and whether stdout is a TTY.
 * JSON is never coloured.
 */
export function resolveColor(flag: string | boolean | undefined, isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const when = flag === false ? "never" : flag === undefined || flag === true ? "auto" : flag;
  if (!(COLOR_CHOICES as readonly string[]).includes(when)) {
    throw invalidInput(`--color "${when}": expected one of ${COLOR_CHOICES.join("|")}`, "Pass --color always, --color never or --color auto.", "invalid_usage");
  }
  if (when !== "auto") return when === "always";
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

/** A positive whole number of columns from $COLUMNS, else null. */
function columnsFromEnv(env: NodeJS.ProcessEnv): number | null {
  const raw = env.COLUMNS;
  if (raw === undefined || !/^\d{1,5}$/.test(raw.trim())) return null;
  const n = Number(raw.trim());
  return n > 0 ? n : null;
}

export function resolveOutputMode(
  flags: { json?: boolean; color?: string | boolean },
  stdout: { isTTY?: boolean; columns?: number },
  env: NodeJS.ProcessEnv,
): OutputMode {
  const json = flags.json === true;
  const tty = stdout.isTTY === true;
  const color = !json && resolveColor(flags.color, tty, env);
  const width = columnsFromEnv(env) ?? (tty ? (stdout.columns || 100) : null);
  return { json, color, width };
}

/** How results are printed: JSON for scripts, or text (coloured only on a capable TTY). */
export interface OutputMode {
  json: boolean;
  color: boolean;
  /** Terminal width when stdout is a TTY; null when piped (no truncation). */
  width: number | null;
}

export function resolveOutputMode(
  flags: { json?: boolean; color?: boolean },
  stdout: { isTTY?: boolean; columns?: number },
  env: NodeJS.ProcessEnv,
): OutputMode {
  const json = flags.json === true;
  const tty = stdout.isTTY === true;
  const color = !json && tty && flags.color !== false && env.NO_COLOR === undefined && env.TERM !== "dumb";
  return { json, color, width: tty ? (stdout.columns ?? 100) : null };
}

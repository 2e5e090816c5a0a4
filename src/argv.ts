/** Reading the command line before commander does: shared by the CLI and its launcher. No I/O. */

/** Global options that take a value (the next word). */
const VALUE_OPTIONS = new Set(["--dir", "--policy", "--backend", "--actor", "--dsn-file", "--color"]);

/** The command named on the line: the first word that is neither an option nor its value. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (VALUE_OPTIONS.has(arg)) i += 1;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

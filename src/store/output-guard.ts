/**
 * Where a command's `--output` file may go: never onto the store. Files are compared by device and
 * inode, not by name, so another path, a symbolic link or a hard link to a store file (or into the
 * data directory) is refused as surely as its plain name.
 */
import { existsSync, readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { invalidInput } from "../errors.js";

const real = (path: string) => (existsSync(path) ? realpathSync(path) : path);

/** The path a write would land on, links followed (as every output of this program does). */
function landingPath(path: string): string {
  return existsSync(path) ? realpathSync(path) : resolve(real(dirname(path)), basename(path));
}

const statOrNull = (path: string): Stats | null => {
  try {
    return statSync(path);
  } catch {
    return null;
  }
};

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/** Whether `target` is the data directory, lies in it, or is (a link to) one of its files. */
function isStorePath(dir: string, target: string): boolean {
  const store = real(dir);
  if (target === store || target.startsWith(`${store}/`)) return true;
  const storeStat = statOrNull(store);
  if (!storeStat) return false;
  const parent = statOrNull(dirname(target));
  if (parent && sameFile(parent, storeStat)) return true;
  const file = statOrNull(target);
  if (!file) return false;
  if (sameFile(file, storeStat)) return true;
  let names: string[];
  try {
    names = readdirSync(store);
  } catch {
    return false;
  }
  return names.some((name) => {
    const stored = statOrNull(join(store, name));
    return stored !== null && sameFile(stored, file);
  });
}

/**
 * The absolute path to write `output` (relative to `cwd`) to, or exit 2 when it would land on the
 * store in data directory `dir`: an export over items.jsonl would destroy what it copies.
 */
export function outputOutsideStore(dir: string, cwd: string, output: string, what: string): string {
  const target = landingPath(resolve(cwd, output));
  if (isStorePath(dir, target)) {
    throw invalidInput(
      `refusing to write ${output}: it is inside the data directory ${real(dir)} (or another name for one of its files)`,
      `Write the ${what} somewhere outside the store, e.g. --output ${what === "board" ? "board.html" : "backup.jsonl"}.`,
      "output_is_store",
    );
  }
  return target;
}

/**
 * The launcher (bin/backlog → dist/launch.cjs), a small CommonJS file: Node starts it without its
 * ES module loader. It answers `--version` and the completion of item ids by itself, without
 * loading the CLI; anything else runs the CLI (dist/backlog.cjs, one CommonJS bundle) compiled
 * from a V8 code cache written at build time (scripts/code-cache.mjs): the read commands from
 * dist/backlog.cjs.read.cache, which holds what they run and no more (less to load), every other
 * command from dist/backlog.cjs.cache.
 *
 * The cache is only an optimisation and is never trusted: it is used only when its header names
 * this very bundle (the build key the build appends to it) and the CRC-32 of its bytes matches;
 * V8 then checks its own version and flags and may still reject it (`cachedDataRejected`). In every
 * other case, a missing, truncated, corrupt or stale cache, the bundle is compiled from source.
 * Nothing is ever written at run time.
 */
import { readFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Script } from "node:vm";
import { commandWord } from "./argv.js";
import { ExitCode } from "./errors.js";

declare const __BACKLOG_VERSION__: string;

export const CLI_FILE = "backlog.cjs";
/** src/commands/complete-ids.ts bundled alone: the completion of ids, without the CLI. */
export const COMPLETE_FILE = "complete.cjs";
export const CACHE_FILE = "backlog.cjs.cache";
/** The code cache of the read commands (READ_COMMANDS) alone. */
export const READ_CACHE_FILE = "backlog.cjs.read.cache";
export const READ_COMMANDS: readonly string[] = ["list", "get", "dashboard", "report", "log"];
/** Cache file: MAGIC, the bundle's build key (32 bytes), the CRC-32 of the V8 data (4 bytes, big-endian), the data. */
export const CACHE_MAGIC = Buffer.from("backlog-v8-cache-2\n");
const KEY_BYTES = 32;
const HASH_BYTES = 4;
/** The last line of the bundle, appended by the build: `//# backlog-build=<64 hex digits>`. */
const BUILD_KEY = /\/\/# backlog-build=([0-9a-f]{64})\s*$/;

export interface CompiledCli {
  script: Script;
  /** True when V8 accepted the code cache. */
  cached: boolean;
  /** Runs the bundle once and returns its exports. */
  load: () => CliModule;
}

export interface CliModule {
  /** `build`: the bundle's build key (hex), for the policy cache. */
  start: (build?: string) => void;
  main: (io: unknown) => Promise<number>;
}

/** The bundle's build key, or null when it has none (then no cache is used). */
export function buildKeyOf(source: string): Buffer | null {
  const match = BUILD_KEY.exec(source.slice(-100));
  return match ? Buffer.from(match[1], "hex") : null;
}

/** The V8 data of a cache file made for a bundle with this key, or undefined when it does not fit. */
export function validCacheData(file: Buffer, key: Buffer | null): Buffer | undefined {
  const header = CACHE_MAGIC.length + KEY_BYTES + HASH_BYTES;
  if (key === null || file.length <= header || !file.subarray(0, CACHE_MAGIC.length).equals(CACHE_MAGIC)) return undefined;
  if (!file.subarray(CACHE_MAGIC.length, CACHE_MAGIC.length + KEY_BYTES).equals(key)) return undefined;
  const data = file.subarray(header);
  // A CRC-32 (node:zlib, which a read loads anyway; node:crypto costs more than it): the cache
  // guards against damage, not against someone who could as well rewrite the bundle.
  const { crc32 } = require("node:zlib") as typeof import("node:zlib");
  return file.readUInt32BE(CACHE_MAGIC.length + KEY_BYTES) === crc32(data) ? data : undefined;
}

/** Compiles the CLI bundle in `dir`, from `cachedData` when given and accepted by V8. */
export function compileCli(dir: string, source: string, cachedData?: Buffer): CompiledCli {
  const filename = join(dir, CLI_FILE);
  // The same wrapper as Node's CommonJS loader.
  const { Script } = require("node:vm") as typeof import("node:vm");
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename, cachedData });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  const load = () => {
    const module = { exports: {} as CliModule };
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dir);
    return module.exports;
  };
  return { script, cached, load };
}

function readCache(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** The completion of ids (dist/complete.cjs), or null without it: then the CLI answers. */
function loadComplete(dir: string): typeof import("./commands/complete-ids.js") | null {
  try {
    const file = join(dir, COMPLETE_FILE);
    return createRequire(file)(file) as typeof import("./commands/complete-ids.js");
  } catch {
    return null;
  }
}

/** The code caches a command tries, in order: a read its own first, then the one of every command. */
export function cacheFilesFor(word: string | undefined): string[] {
  return word !== undefined && READ_COMMANDS.includes(word) ? [READ_CACHE_FILE, CACHE_FILE] : [CACHE_FILE];
}

/** The valid V8 data of the first of these cache files that has any. */
function cacheData(dir: string, files: string[], key: Buffer | null): Buffer | undefined {
  for (const name of files) {
    const file = readCache(join(dir, name));
    const data = file === null ? undefined : validCacheData(file, key);
    if (data !== undefined) return data;
  }
  return undefined;
}

/** Loads and starts the CLI for the command `word`. */
function startCli(dir: string, word: string | undefined): void {
  // ASCII only (checked by the build): latin1 is the same text, read faster than UTF-8.
  const source = readFileSync(join(dir, CLI_FILE), "latin1");
  const key = buildKeyOf(source);
  compileCli(dir, source, cacheData(dir, cacheFilesFor(word), key)).load().start(key?.toString("hex"));
}

/**
 * Writes the whole answer to stdout without making process.stdout (a stream, whose modules cost
 * more than the answer): a closed reader is ignored, a pipe that would block gets the rest through
 * the stream after all.
 */
function writeOut(text: string, quiet = false): void {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EAGAIN") process.stdout.write(bytes.subarray(written));
    else if (code !== "EPIPE") {
      // As the CLI reports it (the launcher is the only other entry point): a storage problem,
      // exit 6; a completion stays silent.
      process.exitCode = ExitCode.storageUnavailable;
      if (!quiet) process.stderr.write(`backlog: cannot write the output: ${code ?? String(error)}\nFree space on the output's device, or send the output elsewhere.\n`);
    }
  }
}

/** What bin/backlog runs. `dir` is the directory of the launcher (dist/). */
export function run(dir: string): void {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    writeOut(`${__BACKLOG_VERSION__}\n`);
    return;
  }
  const word = commandWord(argv);
  if (word === "__complete") {
    // Called by the completion scripts at each <Tab>: ids are read here, other values by the CLI.
    const complete = loadComplete(dir);
    const request = complete?.completeRequest(argv);
    if (complete && request?.kind === "ids") {
      complete.completeIds(request, process.cwd(), process.env).then((text) => writeOut(text, true));
      return;
    }
  }
  startCli(dir, word);
}

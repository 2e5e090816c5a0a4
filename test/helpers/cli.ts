/** Runs the built CLI as a user would: a real process, its exit code, stdout and stderr. */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const BIN = fileURLToPath(new URL("../../bin/backlog", import.meta.url));
export const REPO = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The policy cache of the commands a test file spawns (src/policy/cache.ts): its own, not the user's. */
let cacheHome: string | undefined;
afterAll(() => {
  if (cacheHome !== undefined) rmSync(cacheHome, { recursive: true, force: true });
  cacheHome = undefined;
});

/**
 * The environment of a clean shell: nothing of the outer BACKLOG_* configuration leaks in, except
 * BACKLOG_INDEX_CACHE and BACKLOG_INDEX_PARALLEL_BYTES, which a test file may set to run its
 * tests again another way (without saved indexes, with two-thread indexing of every log). The
 * policy cache is the test process's own ($XDG_CACHE_HOME), not the user's.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const keep = k === "BACKLOG_INDEX_CACHE" || k === "BACKLOG_INDEX_PARALLEL_BYTES" || (!k.startsWith("BACKLOG_") && !k.endsWith("POSTGRES_DSN") && k !== "NO_COLOR" && k !== "FORCE_COLOR");
    if (keep) env[k] = v;
  }
  env.NO_COLOR = "1";
  env.XDG_CACHE_HOME = cacheHome ??= mkdtempSync(join(tmpdir(), "backlog-test-cache-"));
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
}

export function cli(args: string[], options: RunOptions): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    input: options.input ?? "",
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Asynchronous run, for concurrency; `killAfterMs` sends SIGKILL at that moment. */
export function cliAsync(args: string[], options: RunOptions & { killAfterMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.end(options.input ?? "");
    const timer = options.killAfterMs === undefined ? null : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Parses stdout as JSON, with the output in the message when it is not. */
export function json<T = any>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** Every file below `dir` with its bytes: to prove a failed command changed nothing. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[path] = readFileSync(path, "base64");
    }
  };
  walk(dir);
  return out;
}

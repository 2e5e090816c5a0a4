// Writes a V8 code cache of the CLI bundle at build time (never at run time). The bundle is
// compiled exactly as the launcher compiles it, then runs commands on a throwaway store in a temp
// directory, so that the cache holds the code those commands compile, not only the top level:
//   node scripts/code-cache.mjs        dist/backlog.cjs.cache: the everyday commands (create, list,
//                                      get, dashboard, report, log, set-status);
//   node scripts/code-cache.mjs read   dist/backlog.cjs.read.cache: the read commands alone, their
//                                      policy from the policy cache, on a store written by other
//                                      processes (what a read runs and no more: less to load).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";

const reads = process.argv[2] === "read";
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const launcher = createRequire(import.meta.url)(join(dist, "launch.cjs"));
const source = readFileSync(join(dist, launcher.CLI_FILE), "latin1");
const key = launcher.buildKeyOf(source);
if (key === null) throw new Error("dist/backlog.cjs has no build key");
const compiled = launcher.compileCli(dist, source);
const cli = compiled.load();

const store = mkdtempSync(join(tmpdir(), "backlog-code-cache-"));
// A policy cache of its own: the first command parses the policy and keeps it, the others read it.
const policyCache = mkdtempSync(join(tmpdir(), "backlog-code-cache-xdg-"));
const env = { PATH: process.env.PATH ?? "", NO_COLOR: "1", BACKLOG_DIR: store, BACKLOG_ACTOR: "cto", BACKLOG_NOW: "2026-06-01T00:00:00Z", XDG_CACHE_HOME: policyCache };
const sink = () => {
  const chunks = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) });
  return { stream, text: () => chunks.join("") };
};
async function backlog(...argv) {
  const out = sink();
  const err = sink();
  const code = await cli.main({ argv, cwd: store, env, stdout: out.stream, stderr: err.stream, build: key.toString("hex") });
  if (code !== 0) throw new Error(`backlog ${argv.join(" ")} exited ${code} while writing the code cache: ${err.text()}`);
  return out.text();
}
// The shipped policy file, as in a repository: its reading and validation are cached too.
mkdirSync(join(store, "config"));
copyFileSync(fileURLToPath(new URL("../config/backlog_policy.yml", import.meta.url)), join(store, "config/backlog_policy.yml"));
/** The command run by a process of its own (bin/backlog): its code stays out of this cache. */
function elsewhere(...argv) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL("../bin/backlog", import.meta.url)), ...argv], { cwd: store, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`backlog ${argv.join(" ")} exited ${r.status} while writing the code cache: ${r.stderr}`);
  return r.stdout;
}
try {
  for (let n = 0; n < 3; n += 1) {
    const create = ["create", "--service", "cache", "--category", "security", "--title", `warm-up ${n}`];
    if (reads) elsewhere(...create);
    else await backlog(...create);
  }
  const id = JSON.parse(await backlog("list", "--json")).items?.[0]?.id ?? JSON.parse(await backlog("list", "--json"))[0]?.id;
  for (const json of [[], ["--json"]]) {
    await backlog("list", ...json);
    await backlog("get", id, ...json);
    await backlog("dashboard", ...json);
    await backlog("report", ...json);
    await backlog("log", ...json);
  }
  if (!reads) {
    await backlog("set-status", id, "in_progress", "--message", "warm-up");
    await backlog("list");
  }
} finally {
  rmSync(store, { recursive: true, force: true });
  rmSync(policyCache, { recursive: true, force: true });
}

const data = compiled.script.createCachedData();
const crc = Buffer.alloc(4);
crc.writeUInt32BE(crc32(data));
const file = Buffer.concat([launcher.CACHE_MAGIC, key, crc, data]);
const name = reads ? launcher.READ_CACHE_FILE : launcher.CACHE_FILE;
const target = join(dist, name);
const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
writeFileSync(temp, file, { flag: "wx" });
renameSync(temp, target);
console.log(`dist/${name}: ${(file.length / 1024).toFixed(0)} KiB`);

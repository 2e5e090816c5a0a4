/**
 * Start-up: the launcher (bin/backlog → dist/launch.cjs) answers --version and the completion of
 * ids alone; everything else runs the CLI bundle from its V8 code cache, and runs the same
 * without it when the cache is missing, damaged or made for another build.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, json, REPO } from "../helpers/cli.js";
import { seedStore } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-06-01T00:00:00Z";
const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
const launcher = createRequire(import.meta.url)(join(REPO, "dist", "launch.cjs")) as typeof import("../../src/launch.js");

function run(bin: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: cleanEnv({ BACKLOG_NOW: NOW, BACKLOG_ACTOR: "cto", ...env }), encoding: "utf8" });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the built program (bin/, dist/, package.json; node_modules linked), to damage. */
function installedCopy(): { root: string; bin: string; caches: string[] } {
  const root = tempDir();
  for (const part of ["bin", "dist", "package.json"]) cpSync(join(REPO, part), join(root, part), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  return { root, bin: join(root, "bin", "backlog"), caches: [launcher.CACHE_FILE, launcher.READ_CACHE_FILE].map((f) => join(root, "dist", f)) };
}

function storeWithItems(): string {
  const dir = tempDir();
  const data = join(dir, "ops", "backlog");
  mkdirSync(data, { recursive: true });
  seedStore(data, 40, 2);
  return dir;
}

describe("start-up", () => {
  it("prints the version, alone or after global options", () => {
    const dir = tempDir();
    for (const args of [["--version"], ["-V"], ["--dir", "x", "--version"], ["--json", "--version"]]) {
      const r = cli(args, { cwd: dir });
      expect(r, args.join(" ")).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    }
  });

  it("builds code caches (every command, the read commands) that V8 accepts for the bundle they were made for", () => {
    const dist = join(REPO, "dist");
    const source = readFileSync(join(dist, launcher.CLI_FILE), "latin1");
    for (const name of [launcher.CACHE_FILE, launcher.READ_CACHE_FILE]) {
      const data = launcher.validCacheData(readFileSync(join(dist, name)), launcher.buildKeyOf(source));
      expect(data, name).toBeDefined();
      expect(launcher.compileCli(dist, source, data).cached, name).toBe(true);
    }
  });

  it("compiles a read from the read commands' cache, anything else from the cache of every command", () => {
    for (const word of ["list", "get", "dashboard", "report", "log"]) expect(launcher.cacheFilesFor(word), word).toEqual([launcher.READ_CACHE_FILE, launcher.CACHE_FILE]);
    for (const word of ["create", "set-status", "generate-weekly", "serve", undefined]) expect(launcher.cacheFilesFor(word), String(word)).toEqual([launcher.CACHE_FILE]);
  });

  it("refuses a cache that is truncated, altered or made for another build", () => {
    const dist = join(REPO, "dist");
    const source = readFileSync(join(dist, launcher.CLI_FILE), "latin1");
    const key = launcher.buildKeyOf(source);
    const file = readFileSync(join(dist, launcher.CACHE_FILE));
    const flipped = Buffer.from(file);
    flipped[Math.floor(file.length / 2)] ^= 0x55;
    const otherKey = Buffer.from(file);
    otherKey[launcher.CACHE_MAGIC.length] ^= 0x01;
    for (const bad of [file.subarray(0, file.length - 1), flipped, otherKey, Buffer.alloc(0), Buffer.from("garbage")]) {
      expect(launcher.validCacheData(bad, key)).toBeUndefined();
    }
    expect(launcher.validCacheData(file, null), "a bundle without a build key uses no cache").toBeUndefined();
  });

  it("runs commands the same when the code cache is missing, damaged or stale", () => {
    const copy = installedCopy();
    const cwd = storeWithItems();
    const expected = run(BIN, ["list", "--all", "--json"], cwd);
    expect(expected.code, expected.stderr).toBe(0);
    const goods = copy.caches.map((file) => readFileSync(file));
    const damaged = (good: Buffer): Array<readonly [string, Buffer | null]> => {
      const corrupt = Buffer.from(good);
      for (let i = launcher.CACHE_MAGIC.length + 64; i < corrupt.length; i += 97) corrupt[i] ^= 0xff;
      return [["corrupt", corrupt], ["truncated", good.subarray(0, Math.floor(good.length / 3))], ["empty", Buffer.alloc(0)], ["missing", null]];
    };
    // The read cache alone (a read then takes the other cache), then both caches.
    for (const which of [[1], [0, 1]]) {
      for (let variant = 0; variant < 4; variant += 1) {
        for (const i of which) {
          const [, bytes] = damaged(goods[i])[variant];
          rmSync(copy.caches[i], { force: true });
          if (bytes !== null) writeFileSync(copy.caches[i], bytes);
        }
        const name = `${damaged(goods[0])[variant][0]} ${which.map((i) => copy.caches[i]).join(", ")}`;
        const r = run(copy.bin, ["list", "--all", "--json"], cwd);
        expect(r, name).toMatchObject({ code: 0, stdout: expected.stdout, stderr: expected.stderr });
        const dashboard = run(copy.bin, ["--json", "dashboard"], cwd);
        expect(dashboard, name).toMatchObject({ code: 0, stdout: run(BIN, ["--json", "dashboard"], cwd).stdout, stderr: "" });
      }
    }
    // A bundle changed after the build (its build key no longer the caches'): compiled from source.
    copy.caches.forEach((file, i) => writeFileSync(file, goods[i]));
    const bundle = join(copy.root, "dist", launcher.CLI_FILE);
    writeFileSync(bundle, readFileSync(bundle, "latin1").replace(/backlog-build=[0-9a-f]{64}/, `backlog-build=${"0".repeat(64)}`), "latin1");
    expect(run(copy.bin, ["list", "--all", "--json"], cwd)).toMatchObject({ code: 0, stdout: expected.stdout });
    // Writes too (the native lock addon found from the copy).
    const created = run(copy.bin, ["create", "--service", "api", "--category", "security", "--title", "no cache", "--json"], cwd);
    expect(created.code, created.stderr).toBe(0);
    expect(json(cli(["get", json(created).item.id as string, "--json"], { cwd, env: { BACKLOG_NOW: NOW } })).item.title).toBe("no cache");
  });

  it("works through a symbolic link to bin/backlog and from any working directory", () => {
    const cwd = storeWithItems();
    const links = tempDir();
    const link = join(links, "backlog");
    symlinkSync(BIN, link);
    const direct = run(BIN, ["list", "--all", "--json"], cwd);
    expect(direct.code, direct.stderr).toBe(0);
    expect(run(link, ["list", "--all", "--json"], cwd)).toMatchObject({ code: 0, stdout: direct.stdout });
    expect(run(link, ["--version"], links)).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    // Another working directory, the store named by --dir.
    const elsewhere = tempDir();
    expect(run(link, ["--dir", join(cwd, "ops", "backlog"), "list", "--all", "--json"], elsewhere)).toMatchObject({ code: 0, stdout: direct.stdout });
    const ids = (JSON.parse(direct.stdout) as Array<{ id: string }>).map((i) => i.id).sort();
    const completed = run(link, ["--dir", join(cwd, "ops", "backlog"), "__complete", "ids", "bl_"], elsewhere);
    expect(completed.stdout.split("\n").filter((l) => l !== "")).toEqual(ids);
  });

  it("completes the same ids whether the launcher or the CLI answers", () => {
    const cwd = storeWithItems();
    const viaLauncher = run(BIN, ["__complete", "ids", "bl_"], cwd);
    const copy = installedCopy();
    // Without dist/complete.cjs the launcher cannot answer: the whole CLI does.
    rmSync(join(copy.root, "dist", launcher.COMPLETE_FILE));
    const viaCli = run(copy.bin, ["__complete", "ids", "bl_"], cwd);
    expect(viaLauncher.stdout).not.toBe("");
    expect(viaCli).toMatchObject({ code: 0, stdout: viaLauncher.stdout, stderr: "" });
  });
});

/**
 * The policy cache ($XDG_CACHE_HOME/backlog/policy.json, src/policy/cache.ts): a changed policy is
 * seen at once, an invalid one fails as without a cache, and a cache that is planted, foreign,
 * writable by others, a symbolic link, damaged or made by another build never changes an answer.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, json, REPO } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const launcher = createRequire(import.meta.url)(join(REPO, "dist", "launch.cjs")) as typeof import("../../src/launch.js");
const BUILD = launcher.buildKeyOf(readFileSync(join(REPO, "dist", launcher.CLI_FILE), "latin1"))?.toString("hex") as string;
const POLICY = "categories:\n  security: {priority: P1}\n";

/** A repository with a policy file, and a cache home of its own. */
function setup(policy = POLICY) {
  const cwd = tempDir();
  mkdirSync(join(cwd, "config"));
  writeFileSync(join(cwd, "config", "backlog_policy.yml"), policy);
  const home = tempDir();
  const dir = join(home, "backlog");
  return { cwd, home, dir, file: join(dir, "policy.json") };
}

/** The priority `create` gives a security item: the policy's, or a planted cache's. */
function securityPriority(cwd: string, env: Record<string, string | undefined>): string {
  const r = cli(["create", "--service", "api", "--category", "security", "--title", `t${Math.random()}`, "--json"], { cwd, env: { BACKLOG_ACTOR: "cto", ...env } });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  return json(r).item.priority as string;
}

/** What js-yaml and the schema would make of another policy, as a cache entry for POLICY's text. */
const forged = (over: Record<string, unknown> = {}, entry: Record<string, unknown> = {}) =>
  JSON.stringify({ format: "backlog-policy-cache-2", build: BUILD, entries: [{ text: POLICY, file: { categories: { security: { priority: "P3" } } }, ...entry }], ...over });

/** The texts the cache file holds, the latest written first. */
const cachedTexts = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as { entries: { text: string }[] }).entries.map((e) => e.text);

function plant(dir: string, file: string, text: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode: 0o600 });
}

describe("policy cache", () => {
  it("keeps the validated policy in the user's cache directory, private to the user", () => {
    const w = setup();
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home })).toBe("P1");
    expect(statSync(w.file).mode & 0o777).toBe(0o600);
    expect(statSync(w.dir).mode & 0o077).toBe(0);
    const entry = JSON.parse(readFileSync(w.file, "utf8")) as { build: string; entries: { text: string }[] };
    expect(entry).toMatchObject({ build: BUILD, entries: [{ text: POLICY }] });
    // Nothing beside the store: the cache is never in the data directory.
    expect(existsSync(join(w.cwd, "ops", "backlog", "policy.json"))).toBe(false);
    // From there, and under $HOME/.cache without $XDG_CACHE_HOME.
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home })).toBe("P1");
    const home = tempDir();
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: undefined, HOME: home })).toBe("P1");
    expect(existsSync(join(home, ".cache", "backlog", "policy.json"))).toBe(true);
  });

  it("sees a changed policy file at once, even one of the same size", () => {
    const w = setup();
    const env = { XDG_CACHE_HOME: w.home };
    expect(securityPriority(w.cwd, env)).toBe("P1");
    writeFileSync(join(w.cwd, "config", "backlog_policy.yml"), POLICY.replace("P1", "P2"));
    expect(securityPriority(w.cwd, env)).toBe("P2");
    writeFileSync(join(w.cwd, "config", "backlog_policy.yml"), POLICY);
    expect(securityPriority(w.cwd, env)).toBe("P1");
  });

  it("keeps the policies of several repositories, so that they do not evict each other", () => {
    const a = setup();
    const b = setup(POLICY.replace("P1", "P2"));
    const env = { XDG_CACHE_HOME: a.home };
    expect(securityPriority(a.cwd, env)).toBe("P1");
    expect(securityPriority(b.cwd, env)).toBe("P2");
    expect(cachedTexts(a.file)).toEqual([POLICY.replace("P1", "P2"), POLICY]);
    // A hit rewrites nothing: the file stays as it is while the two alternate.
    const before = readFileSync(a.file, "utf8");
    expect(securityPriority(a.cwd, env)).toBe("P1");
    expect(securityPriority(b.cwd, env)).toBe("P2");
    expect(readFileSync(a.file, "utf8")).toBe(before);
    // At most MAX_POLICY_ENTRIES (8), the latest written first.
    for (let n = 3; n <= 10; n += 1) expect(securityPriority(setup(`${POLICY}# repository ${n}\n`).cwd, env)).toBe("P1");
    const texts = cachedTexts(a.file);
    expect(texts).toHaveLength(8);
    expect(texts[0]).toBe(`${POLICY}# repository 10\n`);
    expect(texts).not.toContain(POLICY);
  });

  it("removes the temp files of killed commands once they are an hour old", () => {
    const w = setup();
    mkdirSync(w.dir, { mode: 0o700 });
    const stale = join(w.dir, ".policy.json.00112233445566ff.tmp");
    const fresh = join(w.dir, ".policy.json.ffeeddccbbaa9988.tmp");
    const other = join(w.dir, "notes.tmp");
    for (const path of [stale, fresh, other]) writeFileSync(path, "{", { mode: 0o600 });
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const path of [stale, other]) utimesSync(path, old, old);
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home })).toBe("P1");
    expect([existsSync(stale), existsSync(fresh), existsSync(other)]).toEqual([false, true, true]);
  });

  it("completes the policy's envs through the cache, a changed policy seen at once", () => {
    const w = setup("envs: [prod, qa]\n");
    const envs = () => cli(["__complete", "envs", ""], { cwd: w.cwd, env: { XDG_CACHE_HOME: w.home } }).stdout;
    expect(envs()).toBe("prod\nqa\n");
    expect(cachedTexts(w.file)).toEqual(["envs: [prod, qa]\n"]);
    expect(envs()).toBe("prod\nqa\n");
    writeFileSync(join(w.cwd, "config", "backlog_policy.yml"), "envs: [prod, uat]\n");
    expect(envs()).toBe("prod\nuat\n");
  });

  it("reports an invalid policy with its exit code and message while a cache exists", () => {
    const w = setup();
    const env = { XDG_CACHE_HOME: w.home, BACKLOG_ACTOR: "cto" };
    expect(securityPriority(w.cwd, env)).toBe("P1");
    writeFileSync(join(w.cwd, "config", "backlog_policy.yml"), POLICY.replace("P1", "P9"));
    const args = ["list", "--json"];
    const withCache = cli(args, { cwd: w.cwd, env });
    const without = cli(args, { cwd: w.cwd, env: { ...env, BACKLOG_POLICY_CACHE: "off" } });
    expect(withCache.code).toBe(2);
    expect(withCache.stderr).toContain("invalid policy");
    expect(withCache.stderr).toContain("categories.security.priority");
    expect(withCache).toEqual(without);
    // The entry of the valid text is still there, and still unused for the invalid one.
    expect(cachedTexts(w.file)).toEqual([POLICY]);
  });

  it("uses an entry of the user's own, private cache for the very text and build it names", () => {
    // The control for the cases below: such an entry is read (it is as trusted as the policy).
    const w = setup();
    plant(w.dir, w.file, forged());
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home })).toBe("P3");
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home, BACKLOG_POLICY_CACHE: "off" })).toBe("P1");
  });

  it("ignores an entry of another build, another text or another format, and a damaged file", () => {
    for (const text of [forged({ build: "0".repeat(64) }), forged({}, { text: `${POLICY}\n` }), forged({ format: "other" }), forged({}, { file: [] }), forged({ entries: {} }), "{", "", "null"]) {
      const w = setup();
      plant(w.dir, w.file, text);
      expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home }), text).toBe("P1");
      // Replaced by an entry of the right text.
      expect(cachedTexts(w.file)[0]).toBe(POLICY);
    }
  });

  it("ignores a cache file writable by others, a symbolic link, and a directory writable by others", () => {
    const groupWritable = setup();
    plant(groupWritable.dir, groupWritable.file, forged());
    chmodSync(groupWritable.file, 0o620);
    expect(securityPriority(groupWritable.cwd, { XDG_CACHE_HOME: groupWritable.home })).toBe("P1");

    const link = setup();
    const elsewhere = join(tempDir(), "entry.json");
    writeFileSync(elsewhere, forged(), { mode: 0o600 });
    mkdirSync(link.dir, { mode: 0o700 });
    symlinkSync(elsewhere, link.file);
    expect(securityPriority(link.cwd, { XDG_CACHE_HOME: link.home })).toBe("P1");
    expect(readFileSync(elsewhere, "utf8"), "the link's target is never written").toBe(forged());

    const openDir = setup();
    plant(openDir.dir, openDir.file, forged());
    chmodSync(openDir.dir, 0o777);
    expect(securityPriority(openDir.cwd, { XDG_CACHE_HOME: openDir.home })).toBe("P1");
    expect(readFileSync(openDir.file, "utf8"), "nothing is written into a directory others may write").toBe(forged());
  });

  it.skipIf(process.geteuid?.() !== 0)("ignores a cache file or directory owned by another user", () => {
    const file = setup();
    plant(file.dir, file.file, forged());
    chownSync(file.file, 4242, 4242);
    expect(securityPriority(file.cwd, { XDG_CACHE_HOME: file.home })).toBe("P1");

    const dir = setup();
    plant(dir.dir, dir.file, forged());
    chownSync(dir.dir, 4242, 4242);
    expect(securityPriority(dir.cwd, { XDG_CACHE_HOME: dir.home })).toBe("P1");
  });

  it("parses as without a cache when there is no HOME, no usable cache directory, or BACKLOG_POLICY_CACHE=off", () => {
    const w = setup();
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: undefined, HOME: undefined })).toBe("P1");
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: "relative/cache", HOME: undefined })).toBe("P1");
    expect(existsSync(join(w.cwd, "relative"))).toBe(false);
    // The cache home is a file: nothing can be kept, the command is unaffected.
    const blocked = join(tempDir(), "file");
    writeFileSync(blocked, "");
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: blocked })).toBe("P1");
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home, BACKLOG_POLICY_CACHE: "off" })).toBe("P1");
    expect(existsSync(w.dir)).toBe(false);
  });

  it("does not cache what JSON would not give back unchanged", () => {
    const w = setup(`${POLICY}rules:\n  - {name: big, category: security, when: {score: {gt: .inf}}}\n`);
    expect(securityPriority(w.cwd, { XDG_CACHE_HOME: w.home })).toBe("P1");
    expect(existsSync(w.file)).toBe(false);
  });
});

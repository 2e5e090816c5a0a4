/** Issue 10, the input side: object-model names, limits read in bounded chunks, escapes, values. */
import { spawnSync } from "node:child_process";
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, type CliResult, json, REPO, snapshot } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-11-24T06:20:00Z";

function workspace() {
  const dir = tempDir();
  cpSync(join(REPO, "ops/reports"), join(dir, "ops/reports"), { recursive: true });
  const run = (args: string[], extra: { env?: Record<string, string | undefined>; input?: string } = {}) =>
    cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, BACKLOG_ACTOR: "scheduler", ...extra.env }, input: extra.input });
  const file = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  };
  return { dir, store: join(dir, "ops/backlog"), run, file };
}

/** Refused as bad input: exit 2, the named limit on stderr, no stack trace, nothing written. */
function refused(w: ReturnType<typeof workspace>, r: CliResult, pattern: RegExp, before: Record<string, string>) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(snapshot(w.store)).toEqual(before);
}

const NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype"];

describe("names from JavaScript's object model", () => {
  it("an unknown category named like an Object.prototype member is exit 2, never exit 1", () => {
    const w = workspace();
    const before = snapshot(w.store);
    for (const name of NAMES) {
      const r = w.run(["create", "--service", "gateway", "--category", name]);
      refused(w, r, /category: expected one of/, before);
    }
  });

  it("such names work like any other as service, category, owner override and actor when the policy declares them", () => {
    const w = workspace();
    const policy = w.file(
      "policy.yml",
      ["categories:", "  constructor: { priority: P0, due_days: 3 }", "  prototype: { priority: P1, due_days: 5 }", "ownership:", "  overrides: { constructor: alice }", "rbac:", "  actors: { hasOwnProperty: cto }", ""].join("\n"),
    );
    const r = w.run(["--policy", policy, "--actor", "hasOwnProperty", "create", "--service", "constructor", "--category", "constructor", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).item).toMatchObject({ service: "constructor", category: "constructor", priority: "P0", owner: "alice", due_date: "2026-11-27" });
    const v = w.run(["--policy", policy, "create", "--service", "gateway", "--category", "prototype", "--json"]);
    expect(v.code, v.stderr).toBe(0);
    expect(json(v).item).toMatchObject({ priority: "P1", due_date: "2026-11-29" });
    // Service `tostring`'s owner is the default, not a function's text.
    const d = w.run(["create", "--service", "tostring", "--category", "security", "--json"]);
    expect(d.code, d.stderr).toBe(0);
    expect(typeof json(d).item.owner).toBe("string");
    expect(json(d).item.owner).not.toMatch(/function|native/);
  });

  it("generate-weekly with a service named constructor gives real priorities and dates", () => {
    const w = workspace();
    const sample = JSON.parse(readFileSync(join(REPO, "ops/reports/platform/2026-W48.json"), "utf8"));
    for (const s of sample.services) s.service = s === sample.services[0] ? "constructor" : s.service;
    mkdirSync(join(w.dir, "d"), { recursive: true });
    const path = w.file("d/2026-W48.json", JSON.stringify(sample));
    const r = w.run(["generate-weekly", "--digest", path, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    for (const item of json(r).items) {
      expect(item.due_date ?? "").toMatch(/^(\d{4}-\d{2}-\d{2})?$/);
    }
  });
});

describe("limits enforced while reading", () => {
  it("--from-json /dev/zero is refused at 1 MiB, not read until memory runs out", () => {
    const w = workspace();
    const before = snapshot(w.store);
    refused(w, w.run(["create", "--from-json", "/dev/zero"]), /limit of 1 MiB.*request size/, before);
    refused(w, w.run(["tool", "-"], { input: `{"action":"list","pad":"${"x".repeat(1024 * 1024)}"}` }), /1 MiB/, before);
  });

  it("JSON nested 100,000 levels is refused before parsing; meta deeper than 32 levels too", () => {
    const w = workspace();
    const before = snapshot(w.store);
    refused(w, w.run(["create", "--from-json", w.file("deep.json", "[".repeat(100_000))]), /deeper than 64 levels/, before);
    let meta: unknown = 1;
    for (let i = 0; i < 40; i += 1) meta = { m: meta };
    const body = JSON.stringify({ service: "gateway", category: "security", meta });
    refused(w, w.run(["create", "--from-json", "-"], { input: body }), /meta: must nest at most 32 levels/, before);
  });

  it("a policy over 1 MiB and a digest too deep are exit 2 naming the limit", () => {
    const w = workspace();
    const before = snapshot(w.store);
    refused(w, w.run(["--policy", w.file("big.yml", `# ${"x".repeat(1024 * 1024 + 10)}\n`), "list"]), /policy size/, before);
    refused(w, w.run(["generate-weekly", "--digest", w.file("2026-W48.json", "{".repeat(100_000))]), /deeper than 64 levels/, before);
  });

  it("tags, refs per kind, title and description have their limits", () => {
    const w = workspace();
    const before = snapshot(w.store);
    const create = (extra: Record<string, unknown>) =>
      w.run(["create", "--from-json", "-"], { input: JSON.stringify({ service: "gateway", category: "security", ...extra }) });
    refused(w, create({ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }), /at most 64 tags/, before);
    refused(w, create({ tags: ["x".repeat(101)] }), /at most 100 characters/, before);
    refused(w, create({ evidence_refs: { alerts: Array.from({ length: 1001 }, (_, i) => `a${i}`) } }), /1000 refs per kind/, before);
    refused(w, create({ title: "x".repeat(201) }), /at most 200/, before);
    refused(w, create({ description: "x".repeat(20_001) }), /at most 20000/, before);
  });
});

describe("values", () => {
  it("impossible calendar dates and out-of-range clocks are exit 2", () => {
    const w = workspace();
    const before = snapshot(w.store);
    refused(w, w.run(["create", "--service", "gateway", "--category", "security", "--due", "2026-02-30"]), /due/, before);
    for (const now of ["2026-02-30", "0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "0"]) {
      refused(w, w.run(["list"], { env: { BACKLOG_NOW: now } }), /BACKLOG_NOW/, before);
    }
    const digest = readFileSync(join(REPO, "ops/reports/platform/2026-W48.json"), "utf8").replace(/"generated_at": "[^"]*"/, '"generated_at": "2026-02-30T06:00:00Z"');
    refused(w, w.run(["generate-weekly", "--digest", w.file("2026-W48.json", digest)]), /generated_at: expected a real calendar date/, before);
  });

  it("huge counts are exit 2 with the range named", () => {
    const w = workspace();
    const before = snapshot(w.store);
    refused(w, w.run(["list", "--limit", "99999999999999999999"]), /from 0 to 999999999/, before);
    refused(w, w.run(["list", "--offset", "1e400"]), /whole number/, before);
    refused(w, w.run(["cleanup", "--retention-days", "99999999999999"], { env: { BACKLOG_ACTOR: "scheduler" } }), /from 0 to 36500/, before);
  });

  it("NUL and unpaired surrogates in any text field are exit 2", () => {
    const w = workspace();
    const before = snapshot(w.store);
    for (const body of [
      '{"service":"gateway","category":"security","description":"a\\u0000b"}',
      '{"service":"gateway","category":"security","description":"a\\ud800b"}',
      '{"service":"gateway","category":"security","meta":{"k\\udc00":1}}',
      '{"service":"gateway","category":"security","tags":["x\\ud800"]}',
    ]) {
      refused(w, w.run(["create", "--from-json", "-"], { input: body }), /NUL or an unpaired UTF-16 surrogate/, before);
    }
  });

  it("--from-json with a non-open status is refused, naming set-status", () => {
    const w = workspace();
    const before = snapshot(w.store);
    refused(w, w.run(["create", "--from-json", "-"], { input: '{"service":"gateway","category":"security","status":"done"}' }), /backlog set-status/, before);
  });

  it("stdout on /dev/full is a clean error, exit 6, no stack trace", () => {
    const w = workspace();
    expect(w.run(["create", "--service", "gateway", "--category", "security"]).code).toBe(0);
    const full = openSync("/dev/full", "w");
    const r = spawnSync(process.execPath, [BIN, "list", "--all"], { cwd: w.dir, env: cleanEnv({ BACKLOG_NOW: NOW }), stdio: ["ignore", full, "pipe"], encoding: "utf8" });
    closeSync(full);
    expect(r.status, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/cannot write the output/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("escape injection", () => {
  it("escape and bidi characters in input and in stored items never reach the terminal raw", () => {
    const w = workspace();
    const evil = "\x1b[31mred\x1b]0;title\x07\u202e\u2028";
    const r = w.run(["create", "--service", "gateway", "--category", evil]);
    expect(r.code).toBe(2);
    const r2 = w.run(["list", "--status", evil]);
    expect(r2.code).toBe(2);
    const r3 = w.run(["create", "--service", "gateway", "--category", evil, "--json"]);
    for (const out of [r, r2, r3]) {
      for (const text of [out.stdout, out.stderr]) expect(text).not.toMatch(/[\x1b\x07\u202e\u2028]/);
    }
    // A hand-written store line with escapes in every field.
    const ok = w.run(["create", "--service", "gateway", "--category", "security", "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    const path = join(w.store, "items.jsonl");
    const line = readFileSync(path, "utf8").trim().split("\n")[0];
    const item = JSON.parse(line);
    for (const key of ["title", "owner", "created_at", "updated_at", "due_date"]) item[key] = `${item[key]}${evil}`;
    writeFileSync(path, `${JSON.stringify(item)}\n`);
    for (const args of [["list", "--all"], ["get", item.id], ["dashboard"]]) {
      const out = w.run(args);
      expect(out.code).not.toBe(1);
      for (const text of [out.stdout, out.stderr]) expect(text).not.toMatch(/[\x1b\x07\u202e\u2028]/);
    }
  });
});

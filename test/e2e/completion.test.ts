/**
 * `backlog completion`: the scripts run in real shells. Bash is driven as readline drives it
 * (COMP_WORDS, COMP_CWORD, then COMPREPLY), against the built CLI and a real store.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, json } from "../helpers/cli.js";
import { seedStore } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";
import { runsWith, titled } from "../helpers/tools.js";


/** A directory with a `backlog` on PATH that runs the built CLI, as an installed one would. */
function installed(): { dir: string; env: Record<string, string> } {
  const dir = tempDir();
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "backlog"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(bin, "backlog"), 0o755);
  return { dir, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } };
}

function script(shell: string, cwd: string): string {
  const r = cli(["completion", shell], { cwd });
  expect(r.code, r.stderr).toBe(0);
  const file = join(cwd, `backlog.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

/** The candidates bash offers for `words` (the last one is the word being typed). */
function bashComplete(w: { dir: string; env: Record<string, string> }, words: string[]): string[] {
  const file = script("bash", w.dir);
  const r = spawnSync(
    "bash",
    ["--norc", "-c", 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _backlog; printf "%s\\n" "${COMPREPLY[@]}"', "_", file, ...words],
    { cwd: w.dir, env: cleanEnv(w.env), encoding: "utf8" },
  );
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.split("\n").filter((l) => l !== "");
}

describe("backlog completion bash", () => {
  it("completes commands, the flags of a subcommand and global flags", () => {
    const w = installed();
    expect(bashComplete(w, ["backlog", "se"])).toEqual(["set-status", "serve"]);
    expect(bashComplete(w, ["backlog", ""])).toEqual(expect.arrayContaining(["list", "get", "edit", "completion"]));
    const listFlags = bashComplete(w, ["backlog", "list", "--"]);
    expect(listFlags).toEqual(expect.arrayContaining(["--status", "--priority", "--all", "--dir", "--color", "--help"]));
    expect(listFlags).not.toContain("--title");
    expect(bashComplete(w, ["backlog", "edit", "--re"])).toEqual(["--remove-tag", "--remove-evidence"]);
    // A global flag's value is skipped when finding the command.
    expect(bashComplete(w, ["backlog", "--dir", "x", "close", "--st"])).toEqual(["--status"]);
  });

  it("completes the subcommands of token, then each subcommand's own flags and values", () => {
    const w = installed();
    expect(bashComplete(w, ["backlog", "token", ""])).toEqual(["add", "list", "revoke"]);
    expect(bashComplete(w, ["backlog", "token", "add", "--t"])).toEqual(["--tokens"]);
    expect(bashComplete(w, ["backlog", "token", "revoke", "--"])).toEqual(expect.arrayContaining(["--tokens", "--help", "--dir"]));
    expect(bashComplete(w, ["backlog", "--dir", "x", "token", "list", "--to"])).toEqual(["--tokens"]);
    // --tokens takes a file; after the subcommand its argument (an actor) is not a subcommand again.
    writeFileSync(join(w.dir, "tokens.json"), "{}");
    expect(bashComplete(w, ["backlog", "token", "add", "--tokens", "tok"])).toEqual(["tokens.json"]);
    expect(bashComplete(w, ["backlog", "token", "add", ""])).toEqual([]);
    // token's own flags are not offered to other commands, nor subcommands to `token add`.
    expect(bashComplete(w, ["backlog", "list", "--to"])).toEqual([]);
  });

  it("completes enum values: --status, --priority, --color, a positional status", () => {
    const w = installed();
    expect(bashComplete(w, ["backlog", "list", "--status", ""])).toEqual(["open", "in_progress", "blocked", "done", "canceled", "all"]);
    expect(bashComplete(w, ["backlog", "create", "--priority", "P"])).toEqual(["P0", "P1", "P2", "P3"]);
    expect(bashComplete(w, ["backlog", "--color", "a"])).toEqual(["always", "auto"]);
    expect(bashComplete(w, ["backlog", "set-status", "bl_0123456789ab", "b"])).toEqual(["blocked"]);
    expect(bashComplete(w, ["backlog", "completion", ""])).toEqual(["bash", "zsh", "fish"]);
    expect(bashComplete(w, ["backlog", "token", ""])).toEqual(["add", "list", "revoke"]);
  });

  it("completes --env and --category from the policy of the directory", () => {
    const w = installed();
    mkdirSync(join(w.dir, "config"));
    writeFileSync(join(w.dir, "config", "backlog_policy.yml"), "envs: [prod, canary, cell-7]\n");
    expect(bashComplete(w, ["backlog", "list", "--env", ""])).toEqual(["prod", "canary", "cell-7"]);
    expect(bashComplete(w, ["backlog", "create", "--env", "c"])).toEqual(["canary", "cell-7"]);
    expect(bashComplete(w, ["backlog", "create", "--category", "s"])).toEqual(["slo_hardening", "security"]);
    const other = join(w.dir, "other.yml");
    writeFileSync(other, "envs: [moon]\n");
    expect(bashComplete(w, ["backlog", "--policy", other, "dashboard", "--env", ""])).toEqual(["moon"]);
  });

  it("completes item ids of the store by prefix, from --dir too", () => {
    const w = installed();
    const make = (title: string, dir?: string) =>
      json(cli([...(dir ? ["--dir", dir] : []), "create", "--service", "gateway", "--category", "refactor", "--title", title, "--json"], { cwd: w.dir })).item.id as string;
    const ids = [make("a"), make("b"), make("c")];
    const elsewhere = make("d", "elsewhere");
    expect(bashComplete(w, ["backlog", "get", "bl_"]).sort()).toEqual([...ids].sort());
    expect(bashComplete(w, ["backlog", "get", ids[1].slice(0, 14)])).toContain(ids[1]);
    expect(bashComplete(w, ["backlog", "set-status", "bl_"])).toHaveLength(3);
    expect(bashComplete(w, ["backlog", "--dir", "elsewhere", "edit", "bl_"])).toEqual([elsewhere]);
  });

  it("reads ids from the saved index and the lines appended after it", () => {
    const w = installed();
    const data = join(w.dir, "ops", "backlog");
    mkdirSync(data, { recursive: true });
    // Many versions per item: the saved index stands for most of the log, so it is read.
    const seeded = seedStore(data, 2_000, 12);
    expect(cli(["list", "--all", "--json"], { cwd: w.dir }).code).toBe(0);
    expect(existsSync(join(data, ".items.jsonl.index")), "a list of a large store saves its index").toBe(true);
    const added = json(cli(["create", "--service", "gateway", "--category", "refactor", "--title", "new", "--json"], { cwd: w.dir })).item.id as string;
    const all = cli(["__complete", "ids", "bl_"], { cwd: w.dir }).stdout.split("\n").filter((l) => l !== "");
    expect(all).toHaveLength(1000); // capped: a shell does not list thousands
    expect(all).toEqual([...seeded].sort().slice(0, 1000));
    expect(cli(["__complete", "ids", seeded[1_999]], { cwd: w.dir }).stdout).toBe(`${seeded[1_999]}\n`);
    expect(cli(["__complete", "ids", added], { cwd: w.dir }).stdout).toBe(`${added}\n`);
  });

  it("answers from the saved id list only while it is whole and describes the log", () => {
    const w = installed();
    const data = join(w.dir, "ops", "backlog");
    mkdirSync(data, { recursive: true });
    const seeded = [...seedStore(data, 300, 1)].sort();
    const complete = (prefix: string) => cli(["__complete", "ids", prefix], { cwd: w.dir }).stdout.split("\n").filter((l) => l !== "");
    const scanned = complete("bl_");
    expect(scanned).toEqual(seeded);
    expect(cli(["list", "--all", "--json"], { cwd: w.dir }).code).toBe(0);
    const listFile = join(data, ".items.jsonl.ids");
    expect(existsSync(listFile), "a successful read saves the id list").toBe(true);
    expect(complete("bl_")).toEqual(seeded);
    expect(complete(seeded[123])).toEqual([seeded[123]]);
    const added = json(cli(["create", "--service", "gateway", "--category", "refactor", "--title", "new", "--json"], { cwd: w.dir })).item.id as string;
    expect(complete(added), "lines after the list are scanned").toEqual([added]);
    const all = [...seeded, added].sort();
    // A damaged list (one id changed, its CRC no longer matching), a list of another log, a
    // planted link: never used, the log is scanned instead.
    const good = readFileSync(listFile);
    const text = good.toString("latin1");
    const body = text.indexOf("\n") + 1;
    writeFileSync(listFile, Buffer.from(`${text.slice(0, body)}ffffffffffff${text.slice(body + 12)}`, "latin1"));
    expect(complete("bl_f")).toEqual(all.filter((id) => id.startsWith("bl_f")));
    writeFileSync(listFile, text.replace(/"ino":"\d+"/, '"ino":"1"'));
    expect(complete("bl_")).toEqual(all);
    rmSync(listFile);
    const elsewhere = join(w.dir, "planted.ids");
    writeFileSync(elsewhere, good);
    symlinkSync(elsewhere, listFile);
    expect(complete("bl_")).toEqual(all);
    // A log rewritten in place under the list (same size, new mtime): scanned too.
    rmSync(listFile);
    writeFileSync(listFile, good);
    const log = join(data, "items.jsonl");
    const lines = readFileSync(log, "utf8");
    const renamed = lines.replace(seeded[0].slice(3), "abcdefabcdef");
    writeFileSync(log, renamed);
    expect(complete("bl_abcdef")).toEqual(["bl_abcdefabcdef"]);
  });

  it("prints nothing, exit 0, when there is no store, policy or backend to read", () => {
    const w = installed();
    for (const args of [["__complete", "ids", "bl_"], ["--dir", "/nonexistent/x", "__complete", "ids"], ["--policy", "missing.yml", "__complete", "envs"], ["--backend", "postgres", "__complete", "ids"], ["__complete", "nonsense"]]) {
      const r = cli(args, { cwd: w.dir });
      expect(r, args.join(" ")).toMatchObject({ code: 0, stdout: "", stderr: "" });
    }
    expect(existsSync(join(w.dir, "ops")), "completing creates no store").toBe(false);
  });

  it("refuses an unknown shell with exit 2", () => {
    const r = cli(["completion", "tcsh"], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bash|zsh|fish");
  });
});

describe.skipIf(!runsWith("zsh"))(titled("backlog completion zsh", "zsh"), () => {
  it("is a valid zsh script that defines _backlog", () => {
    const w = installed();
    const file = script("zsh", w.dir);
    expect(spawnSync("zsh", ["-n", file], { encoding: "utf8" }).status).toBe(0);
    const r = spawnSync("zsh", ["-f", "-c", 'autoload -Uz compinit && compinit -u -D && source "$1" && whence -w _backlog', "_", file], { cwd: w.dir, env: cleanEnv(w.env), encoding: "utf8" });
    expect(r.stdout, r.stderr).toContain("_backlog: function");
  });
});

describe.skipIf(!runsWith("fish"))(titled("backlog completion fish", "fish"), () => {
  it("is a valid fish script whose completions fish lists", () => {
    const w = installed();
    const file = script("fish", w.dir);
    expect(spawnSync("fish", ["-n", file], { encoding: "utf8" }).status).toBe(0);
    const r = spawnSync("fish", ["--no-config", "-c", `source ${file}; complete -C 'backlog list --status '; complete -C 'backlog set-'`], {
      cwd: w.dir,
      env: cleanEnv({ ...w.env, HOME: w.dir }),
      encoding: "utf8",
    });
    expect(r.stdout, r.stderr).toMatch(/^in_progress\b/m);
    expect(r.stdout).toMatch(/^set-status\b/m);
  });
});

/**
 * The JSONL store against a stranger who can write the data directory, and against careless
 * set-ups: links are never followed, temp files are never written through, a shared store keeps
 * its mode and group across compaction, a deleted lock file is noticed, a BOM hides nothing.
 */
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, json } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { acquireDirLock } from "../../src/store/lock.js";

const NOW = "2026-11-24T06:20:00Z";
const ITEM = ["create", "--service", "gateway", "--category", "security", "--title", "Rotate keys", "--json"];

function workspace() {
  const cwd = tempDir();
  const dir = join(cwd, "ops/backlog");
  const run = (args: string[], env: Record<string, string | undefined> = {}) => cli(args, { cwd, env: { BACKLOG_NOW: NOW, ...env } });
  // A file of the victim's that the stranger would like overwritten or read.
  const victim = join(cwd, "victim.txt");
  writeFileSync(victim, "precious\n");
  return { cwd, dir, run, victim };
}

describe("the JSONL store never follows a link", () => {
  for (const name of ["items.jsonl", "events.jsonl", ".backlog.lock"]) {
    it(`refuses a ${name} that is a symbolic link (exit 6, naming it) and leaves its target alone`, () => {
      const w = workspace();
      const id = json(w.run(ITEM)).item.id;
      unlinkSync(join(w.dir, name));
      symlinkSync(w.victim, join(w.dir, name));
      const write = w.run(["create", "--service", "auth", "--category", "security", "--title", "Second"]);
      expect(write.code).toBe(6);
      expect(write.stderr).toContain(name);
      expect(write.stderr).toContain("symbolic link");
      if (name !== ".backlog.lock") {
        // list reads the items log; get reads the events log too.
        const read = w.run(name === "items.jsonl" ? ["list", "--json"] : ["get", id, "--json"]);
        expect(read.code).toBe(6);
      }
      expect(readFileSync(w.victim, "utf8")).toBe("precious\n");
    });
  }

  it("does not write a saved index, a temp file or the quarantine through planted links", () => {
    const w = workspace();
    expect(w.run(ITEM).code).toBe(0);
    // Every name a reader or writer might create beside the logs, old predictable ones included.
    const planted = [".items.jsonl.index", ".events.jsonl.index", "items.jsonl.quarantine", "events.jsonl.quarantine"];
    for (let pid = 1; pid < 64; pid += 1) planted.push(`.items.jsonl.index.tmp-${pid}`, `items.jsonl.tmp-${pid}`, `events.jsonl.tmp-${pid}`);
    // The create left its index (a committed writer saves it): the link takes its place.
    for (const name of planted) {
      rmSync(join(w.dir, name), { force: true });
      symlinkSync(w.victim, join(w.dir, name));
    }
    // A torn tail makes the next writer quarantine it.
    writeFileSync(join(w.dir, "items.jsonl"), `${readFileSync(join(w.dir, "items.jsonl"), "utf8")}{"id":"bl_torn`);
    for (let i = 0; i < 3; i += 1) expect([0, 6]).toContain(w.run(["list", "--all"], { BACKLOG_INDEX_CACHE: "on" }).code);
    const created = w.run(["create", "--service", "auth", "--category", "security", "--title", "Second"]);
    expect([0, 6]).toContain(created.code);
    expect([0, 6]).toContain(w.run(["cleanup", "--actor", "scheduler"]).code);
    expect(readFileSync(w.victim, "utf8")).toBe("precious\n");
  });

  it("reads through a saved index link as if there were none, and replaces the link instead of writing through it", () => {
    const w = workspace();
    expect(w.run(ITEM).code).toBe(0);
    rmSync(join(w.dir, ".items.jsonl.index"), { force: true });
    symlinkSync(w.victim, join(w.dir, ".items.jsonl.index"));
    const listed = w.run(["list", "--json"]);
    expect(listed.code).toBe(0);
    expect(json(listed)).toHaveLength(1);
    expect(readFileSync(w.victim, "utf8")).toBe("precious\n");
  });
});

describe("shared stores", () => {
  it("cleanup keeps the logs' mode and group, and leaves no temp file", () => {
    const w = workspace();
    expect(w.run(ITEM).code).toBe(0);
    const id = json(w.run(ITEM.map((a) => (a === "Rotate keys" ? "Other" : a)).map((a) => (a === "gateway" ? "auth" : a)))).item.id;
    expect(w.run(["set-status", id, "canceled"]).code).toBe(0);
    const group = 1; // daemon on Debian: any group other than ours shows it is kept
    for (const file of ["items.jsonl", "events.jsonl"]) {
      chmodSync(join(w.dir, file), 0o660);
      if (process.getuid?.() === 0) chownSync(join(w.dir, file), 0, group);
    }
    const cleaned = w.run(["cleanup", "--actor", "scheduler", "--retention-days", "0", "--json"], { BACKLOG_NOW: "2027-01-01T00:00:00Z" });
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(json(cleaned).deleted).toBe(1);
    for (const file of ["items.jsonl", "events.jsonl"]) {
      const st = statSync(join(w.dir, file));
      expect(st.mode & 0o777).toBe(0o660);
      if (process.getuid?.() === 0) expect(st.gid).toBe(group);
    }
    expect(readdirSync(w.dir).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  it("a write whose lock file was deleted and recreated while it waited still gets a real lock", () => {
    const w = workspace();
    expect(w.run(ITEM).code).toBe(0);
    unlinkSync(join(w.dir, ".backlog.lock"));
    const r = w.run(["create", "--service", "auth", "--category", "security", "--title", "After"]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(w.dir, ".backlog.lock"))).toBe(true);
  });
});

describe("the lock is re-checked", () => {
  it("a held lock whose file was deleted or replaced no longer counts as held", async () => {
    const dir = tempDir();
    const lock = await acquireDirLock(dir, 1000);
    expect(lock.stillHeld()).toBe(true);
    unlinkSync(join(dir, ".backlog.lock"));
    expect(lock.stillHeld()).toBe(false);
    writeFileSync(join(dir, ".backlog.lock"), "");
    expect(lock.stillHeld()).toBe(false);
    lock.release();
    // The name now means the new file, which can be locked.
    const again = await acquireDirLock(dir, 1000);
    expect(again.stillHeld()).toBe(true);
    again.release();
  });
});

describe("careless set-ups", () => {
  it("a leading UTF-8 byte-order mark hides no item", () => {
    const w = workspace();
    const id = json(w.run(ITEM)).item.id;
    const path = join(w.dir, "items.jsonl");
    writeFileSync(path, `\ufeff${readFileSync(path, "utf8")}`);
    const listed = w.run(["list", "--json"], { BACKLOG_INDEX_CACHE: "off" });
    expect(listed.code).toBe(0);
    expect(json(listed).map((i: { id: string }) => i.id)).toEqual([id]);
    expect(listed.stderr).toBe("");
    expect(w.run(["get", id]).code).toBe(0);
  });

  it('BACKLOG_DIR="" means the default data directory, never the working directory; --dir "" is exit 2', () => {
    const w = workspace();
    expect(w.run(ITEM, { BACKLOG_DIR: "" }).code).toBe(0);
    expect(existsSync(join(w.dir, "items.jsonl"))).toBe(true);
    expect(existsSync(join(w.cwd, "items.jsonl"))).toBe(false);
    const empty = w.run(["list", "--dir", ""]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("--dir");
  });
});

/**
 * `cleanup` replaces items.jsonl and events.jsonl as one step. Each state a compaction killed
 * around its two renames can leave is built by hand (the compacted copies as temp files and the
 * `.backlog.compacting` record written before the renames), read by every reader and finished by
 * the next writer; a compaction held by strace between its renames is read live, then killed.
 * Also records a stranger could plant, and `cleanup --dry-run` beside an unfinished write.
 */
import { spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, json } from "../helpers/cli.js";
import { readerViews } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";
import { runsWith, titled } from "../helpers/tools.js";

const THEN = "2026-01-05T06:00:00Z";
const NOW = "2026-11-24T06:20:00Z";
const SWAP = ".backlog.compacting";

function workspace() {
  const cwd = tempDir();
  const dir = join(cwd, "store");
  const run = (args: string[], now = NOW) => cli(args, { cwd, env: { BACKLOG_DIR: dir, BACKLOG_NOW: now } });
  const create = (title: string, now = NOW) => {
    const r = run(["create", "--service", "gateway", "--category", "security", "--title", title, "--json"], now);
    expect(r.code, r.stderr).toBe(0);
    return (json(r) as { item: { id: string } }).item.id;
  };
  return { cwd, dir, run, create, items: join(dir, "items.jsonl"), events: join(dir, "events.jsonl") };
}

type Workspace = ReturnType<typeof workspace>;

/** A store with an item closed long ago (past retention) and one open item, each with events. */
function storeWithExpired() {
  const w = workspace();
  const expired = w.create("Closed long ago", THEN);
  expect(w.run(["set-status", expired, "in_progress"], THEN).code).toBe(0);
  expect(w.run(["close", expired, "--message", "fixed"], THEN).code).toBe(0);
  const kept = w.create("Still open");
  expect(w.run(["comment", kept, "-m", "looking"]).code).toBe(0);
  return { w, expired, kept };
}

/** What every reader shows, and whether each exported event belongs to an exported item. */
function readers(w: Workspace) {
  const { listed, exportedItems, exportedEvents, logged } = readerViews(w.run);
  return {
    listed,
    exportedItems,
    exportedEvents: exportedEvents.length,
    orphanEvents: exportedEvents.filter((e) => !exportedItems.includes(e.item_id)).length,
    loggedItems: [...new Set(logged.map((e) => e.item_id))].sort(),
  };
}

/** The compacted logs, made by a real cleanup of a copy of the store. */
function compactedCopy(w: Workspace): { items: string; events: string } {
  const copy = join(tempDir(), "copy");
  cpSync(w.dir, copy, { recursive: true });
  const r = cli(["cleanup", "--actor", "scheduler", "--json"], { cwd: w.cwd, env: { BACKLOG_DIR: copy, BACKLOG_NOW: NOW } });
  expect(r.code, r.stderr).toBe(0);
  expect((json(r) as { deleted: number }).deleted).toBe(1);
  return { items: readFileSync(join(copy, "items.jsonl"), "utf8"), events: readFileSync(join(copy, "events.jsonl"), "utf8") };
}

/** Writes the temp files and the record a compaction writes before its renames. */
function plantSwap(w: Workspace, copy: { items: string; events: string }) {
  const tmp = { items: join(w.dir, "items.jsonl.tmp-00112233aabbccdd"), events: join(w.dir, "events.jsonl.tmp-44556677eeff0011") };
  writeFileSync(tmp.items, copy.items);
  writeFileSync(tmp.events, copy.events);
  const ino = (p: string) => statSync(p, { bigint: true }).ino.toString();
  const record = {
    "items.jsonl": { tmp: "items.jsonl.tmp-00112233aabbccdd", ino: ino(tmp.items) },
    "events.jsonl": { tmp: "events.jsonl.tmp-44556677eeff0011", ino: ino(tmp.events) },
  };
  writeFileSync(join(w.dir, SWAP), `${JSON.stringify(record)}\n`);
  return tmp;
}

describe("cleanup replaces both logs as one step", () => {
  const states = [
    { name: "killed after writing the record, before any rename", renamed: [] as string[] },
    { name: "killed after replacing items.jsonl, before events.jsonl", renamed: ["items"] },
    { name: "killed after both renames, before removing the record", renamed: ["items", "events"] },
  ];
  for (const state of states) {
    it(`${state.name}: readers see one whole pair, and the next writer finishes the compaction`, () => {
      const { w, expired, kept } = storeWithExpired();
      const before = readers(w);
      expect(before.listed).toContain(expired);
      const copy = compactedCopy(w);
      const tmp = plantSwap(w, copy);
      for (const log of state.renamed) renameSync(tmp[log as "items" | "events"], log === "items" ? w.items : w.events);

      const during = readers(w);
      expect(during.orphanEvents).toBe(0);
      expect(during.loggedItems.filter((id) => !during.listed.includes(id))).toEqual([]);
      if (state.renamed.length === 0) {
        expect(during).toEqual(before);
      } else {
        expect(during.listed).toEqual([kept]);
        expect(during.exportedEvents).toBe(2); // the open item's: created, commented
      }
      expect(json(w.run(["get", kept, "--json"])).events).toHaveLength(2);

      // The next writer finishes the renames (the copies were whole), then writes.
      const next = w.run(["create", "--service", "gateway", "--category", "security", "--title", "Next", "--json"]);
      expect(next.code, next.stderr).toBe(0);
      if (state.renamed.length < 2) expect(next.stderr).toContain("cleanup that was interrupted");
      else expect(next.stderr).not.toContain("interrupted");
      expect(existsSync(join(w.dir, SWAP))).toBe(false);
      expect(readdirSync(w.dir).filter((n) => n.includes(".tmp-"))).toEqual([]);
      expect(readFileSync(w.events, "utf8").startsWith(copy.events)).toBe(true);
      const after = readers(w);
      expect(after.listed).not.toContain(expired);
      expect(after.listed).toHaveLength(2);
      expect(after.orphanEvents).toBe(0);
    });
  }

  const planted = [
    { name: "not JSON", text: "x".repeat(5000) },
    { name: "a path outside the store", text: JSON.stringify({ "items.jsonl": { tmp: "../../etc/passwd", ino: "1" } }) },
    { name: "a temp name of another log", text: JSON.stringify({ "items.jsonl": { tmp: "events.jsonl.tmp-0011223344556677", ino: "1" } }) },
    { name: "an unknown log", text: JSON.stringify({ "tokens.json": { tmp: "tokens.json.tmp-0011223344556677", ino: "1" } }) },
  ];
  for (const p of planted) {
    it(`a planted record (${p.name}) hides nothing and changes no log`, () => {
      const { w } = storeWithExpired();
      const before = readers(w);
      const bytes = { items: readFileSync(w.items), events: readFileSync(w.events) };
      writeFileSync(join(w.dir, SWAP), p.text);
      expect(readers(w)).toEqual(before);
      const next = w.run(["create", "--service", "gateway", "--category", "security", "--title", "Three", "--json"]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toContain("not a compaction record");
      expect(readFileSync(w.items).subarray(0, bytes.items.length).equals(bytes.items)).toBe(true);
      expect(readFileSync(w.events).subarray(0, bytes.events.length).equals(bytes.events)).toBe(true);
      expect(existsSync(join(w.dir, SWAP))).toBe(false);
    });
  }

  it("cleanup --dry-run counts only committed lines (not a write in flight)", () => {
    const { w } = storeWithExpired();
    const planned = w.run(["cleanup", "--actor", "scheduler", "--dry-run", "--json"]);
    expect(planned.code, planned.stderr).toBe(0);
    const itemsBytes = readFileSync(w.items);
    // A write in flight: its record, then its item line, not yet its event.
    writeFileSync(join(w.dir, ".backlog.pending"), `${JSON.stringify({ items: statSync(w.items).size, events: statSync(w.events).size })}\n`);
    appendFileSync(w.items, `${itemsBytes.toString("utf8").trimEnd().split("\n").at(-1)?.replace(/"title":"[^"]*"/, '"title":"In flight"')}\n`);
    const during = w.run(["cleanup", "--actor", "scheduler", "--dry-run", "--json"]);
    expect(during.code, during.stderr).toBe(0);
    expect(json(during)).toEqual(json(planned));
  });
});

describe.runIf(runsWith("strace"))(titled("a cleanup held and killed between its two renames, driven by strace", "strace"), () => {
  it("readers see the compacted pair whole while it is held, and after kill -9 the next writer finishes it", async () => {
    const { w, expired, kept } = storeWithExpired();
    const itemsIno = statSync(w.items).ino;
    // strace holds cleanup on the way out of its first rename, the one that replaced items.jsonl,
    // for up to 8 s (-P would not match a rename by its target path in strace 6.1).
    const tracer = spawn(
      "strace",
      ["-f", "-qq", "-o", "/dev/null", "-e", "trace=rename,renameat,renameat2", "-e", "inject=rename,renameat,renameat2:delay_exit=8000000:when=1", process.execPath, BIN, "cleanup", "--actor", "scheduler", "--json"],
      { cwd: w.cwd, env: cleanEnv({ BACKLOG_DIR: w.dir, BACKLOG_NOW: NOW }), stdio: "ignore" },
    );
    const exited = new Promise((resolve) => tracer.on("close", resolve));
    for (let i = 0; i < 600 && statSync(w.items).ino === itemsIno; i += 1) await sleep(50);
    expect(statSync(w.items).ino).not.toBe(itemsIno);
    expect(existsSync(join(w.dir, SWAP))).toBe(true);
    // On disk now: compacted items beside the old events, which still hold the expired item's.
    expect(readFileSync(w.events, "utf8")).toContain(expired);

    const held = readers(w);
    expect(held.listed).toEqual([kept]);
    expect(held.orphanEvents).toBe(0);
    expect(held.loggedItems).toEqual([kept]);

    const cleaner = Number(readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, "utf8").trim().split(" ")[0]);
    process.kill(cleaner, "SIGKILL");
    await exited;
    expect(readers(w)).toEqual(held);

    const next = w.run(["comment", kept, "-m", "after the crash"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain("cleanup that was interrupted");
    expect(readFileSync(w.events, "utf8")).not.toContain(expired);
    expect(existsSync(join(w.dir, SWAP))).toBe(false);
    expect(readers(w).orphanEvents).toBe(0);
  });
});

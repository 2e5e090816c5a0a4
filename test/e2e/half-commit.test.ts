/**
 * An item version and its event are one commit. Each crash state a killed writer can leave is
 * built by hand (the logs plus the `.backlog.pending` record written before the appends), then
 * read by every reader and repaired by the next writer. Also records a stranger could plant.
 */
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, json } from "../helpers/cli.js";
import { readerViews } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";
import { runsWith, titled } from "../helpers/tools.js";

const NOW = "2026-11-24T06:20:00Z";
const PENDING = ".backlog.pending";

function workspace() {
  const cwd = tempDir();
  const dir = join(cwd, "store");
  const run = (args: string[]) => cli(args, { cwd, env: { BACKLOG_DIR: dir, BACKLOG_NOW: NOW } });
  const create = (title: string) => {
    const r = run(["create", "--service", "gateway", "--category", "security", "--title", title, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return json(r) as { item: { id: string } };
  };
  const items = join(dir, "items.jsonl");
  const events = join(dir, "events.jsonl");
  return { cwd, dir, run, create, items, events };
}

type Workspace = ReturnType<typeof workspace>;

/** The lines a create of `title` appends (its item version and its event), taken from a real write. */
function linesOfAWrite(title: string): { item: string; event: string; id: string } {
  const other = workspace();
  const { item } = other.create(title);
  const lines = (p: string) => readFileSync(p, "utf8").trimEnd().split("\n");
  return { item: lines(other.items).at(-1) as string, event: lines(other.events).at(-1) as string, id: item.id };
}

/** What each reader shows: ids listed, exported items and events, events in the log. */
function readers(w: Workspace) {
  const { listed, exportedItems, exportedEvents, logged } = readerViews(w.run);
  return { listed, exportedItems, exportedEvents: exportedEvents.map((e) => e.id), logged: logged.map((e) => e.id) };
}

/** Plants the record a writer writes before appending: the sizes of both logs now. */
function recordNow(w: Workspace): void {
  writeFileSync(join(w.dir, PENDING), `${JSON.stringify({ items: statSync(w.items).size, events: statSync(w.events).size })}\n`);
}

describe("an item version and its event are one commit", () => {
  const states = [
    { name: "killed after the item append, before the event append", item: true, event: false, torn: false },
    { name: "killed after both appends, before the record was removed", item: true, event: true, torn: false },
    { name: "killed in the middle of the item append (a torn line)", item: true, event: false, torn: true },
    { name: "killed after writing the record, before any append", item: false, event: false, torn: false },
  ];
  for (const state of states) {
    it(`${state.name}: no reader shows half of it, and the next writer undoes it`, () => {
      const w = workspace();
      const kept = w.create("Acknowledged");
      const before = readers(w);
      const ghost = linesOfAWrite("Never acknowledged");
      recordNow(w);
      if (state.item) appendFileSync(w.items, state.torn ? ghost.item.slice(0, 40) : `${ghost.item}\n`);
      if (state.event) appendFileSync(w.events, `${ghost.event}\n`);

      // Readers show the last committed state: the acknowledged write, nothing of the other.
      expect(readers(w)).toEqual(before);
      const got = w.run(["get", ghost.id, "--json"]);
      expect(got.code).toBe(3);
      expect(json(w.run(["get", kept.item.id, "--json"])).events).toHaveLength(1);

      // The next writer undoes the unfinished write, keeps its bytes in quarantine, and says so.
      const next = w.run(["create", "--service", "gateway", "--category", "security", "--title", "Next", "--json"]);
      expect(next.code, next.stderr).toBe(0);
      expect(existsSync(join(w.dir, PENDING))).toBe(false);
      const after = readers(w);
      expect(after.listed).not.toContain(ghost.id);
      expect(after.listed).toHaveLength(2);
      expect(after.exportedEvents).toHaveLength(2);
      const items = readFileSync(w.items, "utf8");
      expect(items).not.toContain(ghost.id);
      if (state.item) {
        expect(next.stderr).toContain("unfinished write");
        expect(readFileSync(`${w.items}.quarantine`, "utf8")).toContain(ghost.id);
      } else {
        expect(next.stderr).not.toContain("unfinished write");
        expect(existsSync(`${w.items}.quarantine`)).toBe(false);
      }
      if (state.event) expect(readFileSync(`${w.events}.quarantine`, "utf8")).toContain(JSON.parse(ghost.event).id);
    });
  }

  it("cleanup also undoes an unfinished write before compacting", () => {
    const w = workspace();
    w.create("Acknowledged");
    const ghost = linesOfAWrite("Never acknowledged");
    recordNow(w);
    appendFileSync(w.items, `${ghost.item}\n`);
    const r = w.run(["cleanup", "--actor", "scheduler", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("unfinished write");
    expect(readFileSync(w.items, "utf8")).not.toContain(ghost.id);
    expect(existsSync(join(w.dir, PENDING))).toBe(false);
  });

  const planted = [
    { name: "sizes beyond the files", text: JSON.stringify({ items: 10 ** 12, events: 10 ** 12 }) },
    { name: "not JSON", text: "x".repeat(5000) },
    { name: "negative sizes", text: JSON.stringify({ items: -1, events: "0" }) },
  ];
  for (const p of planted) {
    it(`a planted record (${p.name}) hides nothing and cuts nothing`, () => {
      const w = workspace();
      w.create("One");
      w.create("Two");
      const before = readers(w);
      const itemsBytes = readFileSync(w.items);
      writeFileSync(join(w.dir, PENDING), p.text);
      expect(readers(w)).toEqual(before);
      const next = w.run(["create", "--service", "gateway", "--category", "security", "--title", "Three", "--json"]);
      expect(next.code, next.stderr).toBe(0);
      expect(readFileSync(w.items).subarray(0, itemsBytes.length).equals(itemsBytes)).toBe(true);
      expect(readers(w).listed).toHaveLength(3);
      expect(existsSync(join(w.dir, PENDING))).toBe(false);
    });
  }
});


describe.runIf(runsWith("strace"))(titled("kill -9 between the two appends, driven by strace", "strace"), () => {
  it("the item version appended without its event is never read, and the next writer undoes it", async () => {
    const w = workspace();
    w.create("Acknowledged");
    const before = readers(w);
    const itemsSize = statSync(w.items).size;
    // strace holds the writer in the fsync of items.jsonl, after its item append and before its
    // event append, for up to 8 s: the test kills it there.
    const args = ["create", "--service", "gateway", "--category", "security", "--title", "Killed half-way", "--json"];
    const tracer = spawn("strace", ["-f", "-qq", "-o", "/dev/null", "-P", w.items, "-e", "trace=fsync", "-e", "inject=fsync:delay_exit=8000000:when=1", process.execPath, BIN, ...args], {
      cwd: w.cwd,
      env: cleanEnv({ BACKLOG_DIR: w.dir, BACKLOG_NOW: NOW }),
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => tracer.on("close", resolve));
    for (let i = 0; i < 600 && statSync(w.items).size === itemsSize; i += 1) await sleep(50);
    expect(statSync(w.items).size).toBeGreaterThan(itemsSize);
    const writer = Number(readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, "utf8").trim().split(" ")[0]);
    process.kill(writer, "SIGKILL");
    await exited;
    // On disk: an item version whose event was never appended.
    expect(readFileSync(w.items, "utf8")).toContain("Killed half-way");
    expect(readFileSync(w.events, "utf8").trim().split("\n")).toHaveLength(1);

    expect(readers(w)).toEqual(before);
    const next = w.run(["create", "--service", "gateway", "--category", "security", "--title", "Next", "--json"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain("unfinished write");
    const after = readers(w);
    expect(after.listed).toHaveLength(2);
    expect(after.exportedEvents).toHaveLength(2);
    expect(readFileSync(w.items, "utf8")).not.toContain("Killed half-way");
  });
});

describe("gate on a store with unreadable lines", () => {
  it("exits 6 naming the file and `backlog cleanup`; a torn last line alone does not", () => {
    const w = workspace();
    w.create("Readable");
    const pass = w.run(["gate", "--json"]);
    expect(pass.code, pass.stderr).toBe(0);

    // A torn last line is an unfinished write, not an unreadable line: the gate still vouches.
    appendFileSync(w.items, '{"id":"bl_torn');
    expect(w.run(["gate", "--json"]).code).toBe(0);

    // An unreadable line in the middle could hide the very item that fails the gate.
    writeFileSync(w.items, `not json at all\n${readFileSync(w.items, "utf8")}`);
    const r = w.run(["gate", "--json"]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("items.jsonl");
    expect(r.stderr).toContain("backlog cleanup");

    // After cleanup has moved it to quarantine, the gate vouches again.
    expect(w.run(["cleanup", "--actor", "scheduler", "--json"]).code).toBe(0);
    expect(w.run(["gate", "--json"]).code).toBe(0);
  });
});

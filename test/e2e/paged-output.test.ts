/**
 * `list` in every format but the table (50 items a page), the tool protocol's list and `export`
 * (50 items or events a page) are written a page at a time as they are read: the output must be the very bytes of the
 * whole answer printed at once, a reader that goes away or a full disk must end it as before, the
 * warnings must still be given, and `export --output` must appear whole or not at all.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type BacklogEvent, type BacklogItem, canonicalItem, emptyEvidence } from "../../src/domain/item.js";
import { compareByCreation } from "../../src/domain/query.js";
import { exportLines } from "../../src/domain/transfer.js";
import { toCsv, toMarkdown, toTsv } from "../../src/output/formats.js";
import { BIN, cleanEnv, cli, type CliResult } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-02-16T06:20:00Z";
const COUNT = 650;

/** Items in list order (same priority and due date, created one second apart), some of them awkward to print. */
function storedItems(): BacklogItem[] {
  return Array.from({ length: COUNT }, (_, i) =>
    canonicalItem({
      id: `bl_${(i + 1).toString(16).padStart(12, "0")}`,
      // In list order; in creation order only within each run of 100 (export's order differs).
      created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      updated_at: "2026-02-01T00:00:00.000Z",
      env: "prod",
      service: `svc-${i % 7}`,
      category: "refactor",
      title: i % 50 === 0 ? `ünïcödé "quoted", | piped ${i}` : `item ${i}`,
      description: i % 3 === 0 ? "line one\nline\ttwo \\ back" : "",
      priority: "P2",
      status: "open",
      owner: "oncall",
      due_date: "",
      source: "manual",
      dedupe_key: `manual:${i}`,
      evidence_refs: emptyEvidence(),
      tags: i % 2 === 0 ? [] : ["t1", `t,${i}`],
      meta: i % 5 === 0 ? { nested: { list: [1, { e: [] }], empty: {} } } : {},
    }),
  );
}

function store() {
  const dir = tempDir();
  const run = (args: string[]) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW } });
  expect(run(["create", "--service", "x", "--category", "refactor"]).code).toBe(0);
  const items = storedItems();
  // An older version of some items first: the latest line of each item is the one listed.
  const older = items.filter((_, i) => i % 4 === 0).map((item) => JSON.stringify({ ...item, title: "old" }));
  writeFileSync(join(dir, "ops/backlog/items.jsonl"), `${[...older, ...items.map((i) => JSON.stringify(i))].join("\n")}\n`);
  return { dir, run, items };
}

function ok(r: CliResult): string {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  return r.stdout;
}

describe("list written a page at a time", () => {
  it("prints the same bytes as the whole answer at once, in every paged format", () => {
    const { run, items } = store();
    const fields = ["id", "priority", "status", "due_date", "owner", "env", "service", "category", "title"] as const;
    expect(ok(run(["list", "--all", "--json"]))).toBe(`${JSON.stringify(items, null, 2)}\n`);
    expect(ok(run(["list", "--all", "--format", "json"]))).toBe(`${JSON.stringify(items, null, 2)}\n`);
    expect(ok(run(["list", "--all", "--jsonl"]))).toBe(items.map((i) => `${JSON.stringify(i)}\n`).join(""));
    expect(ok(run(["list", "--all", "--format", "csv"]))).toBe(toCsv(items, fields));
    expect(ok(run(["list", "--all", "--format", "tsv"]))).toBe(toTsv(items, fields));
    expect(ok(run(["list", "--all", "--format", "markdown"]))).toBe(toMarkdown(items, fields));
    const picked = items.slice(190, 610).map((i) => ({ id: i.id, tags: i.tags, meta: i.meta }));
    const page = run(["list", "--offset", "190", "--limit", "420", "--json", "--fields", "id,tags,meta"]);
    expect(page.stdout).toBe(`${JSON.stringify(picked, null, 2)}\n`);
    expect(page.stderr).toBe(`{"warning":"showing 420 of ${COUNT} (use --limit N or --all)"}\n`);
    expect(ok(run(["list", "--status", "done", "--json"]))).toBe("[]\n");
  });

  it("the tool protocol's list prints the same bytes as its whole result at once", () => {
    const { run, items } = store();
    expect(ok(run(["tool", '{"action":"list","all":true}']))).toBe(`${JSON.stringify(items, null, 2)}\n`);
    const picked = items.slice(40, 170).map((i) => ({ id: i.id, title: i.title }));
    expect(ok(run(["tool", '{"action":"list","offset":40,"limit":130,"fields":"id,title"}']))).toBe(`${JSON.stringify(picked, null, 2)}\n`);
    expect(ok(run(["tool", '{"action":"list","status":"done"}']))).toBe("[]\n");
    const bad = run(["tool", '{"action":"list","status":"finished"}']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
  });

  it("a table of many items (read a page at a time, drawn in slices) keeps one set of column widths", () => {
    const { run, items } = store();
    const lines = ok(run(["list", "--all"])).split("\n");
    expect(lines).toHaveLength(COUNT + 3);
    expect(lines[COUNT + 1]).toBe(`${COUNT} items`);
    const title = lines[0].indexOf("TITLE");
    expect(lines.slice(1, COUNT + 1).map((l) => l.slice(0, 15))).toEqual(items.map((i) => i.id));
    // Every row's title starts under the header's: the slices share the whole table's widths.
    lines.slice(1, COUNT + 1).forEach((line, k) => expect(line.slice(title), line).toBe(items[k].title));
  });

  it("still warns when a page was cut short, and when the store is empty", () => {
    const { dir, run, items } = store();
    const r = run(["list", "--limit", "250", "--jsonl"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toHaveLength(251);
    expect(r.stderr).toBe(`backlog: warning: showing 250 of ${items.length} (use --limit N or --all)\n`);
    writeFileSync(join(dir, "ops/backlog/items.jsonl"), "");
    const empty = run(["list", "--all", "--json"]);
    expect(empty.stdout).toBe("[]\n");
    expect(empty.stderr).toMatch(/^\{"warning":"list: no items found in the jsonl store at /);
  });

  it("a reader that goes away ends the output quietly; a full disk is exit 6", () => {
    const { dir } = store();
    const piped = spawnSync("bash", ["-c", `set -o pipefail; "${process.execPath}" "${BIN}" list --all --json 2>err.txt | head -c 100 > /dev/null; echo $?; cat err.txt`], { cwd: dir, env: cleanEnv({ BACKLOG_NOW: NOW }), encoding: "utf8" });
    // Exit 0 (pipefail: the CLI's own status) and nothing on stderr.
    expect(piped.stdout).toBe("0\n");
    const full = openSync("/dev/full", "w");
    const r = spawnSync(process.execPath, [BIN, "list", "--all", "--json"], { cwd: dir, env: cleanEnv({ BACKLOG_NOW: NOW }), stdio: ["ignore", full, "pipe"], encoding: "utf8" });
    closeSync(full);
    expect(r.status, r.stderr).toBe(6);
    expect(r.stderr).toBe("backlog: cannot write the output: ENOSPC\nFree space on the output's device, or send the output elsewhere.\n");
  });
});

/**
 * Events of the stored items, two per item, one id written twice (its first line is the one kept);
 * each comment padded by `pad` characters.
 */
function storedEvents(items: BacklogItem[], pad = 0): BacklogEvent[] {
  return items.flatMap((item, i) =>
    [0, 1].map((k) => ({
      id: `ev_${(2 * i + k + 1).toString(16).padStart(12, "0")}`,
      item_id: item.id,
      ts: item.created_at,
      type: k === 0 ? ("created" as const) : ("comment" as const),
      message: k === 0 ? "" : `note ${i} ü "q"\n${"x".repeat(pad)}`,
      actor: "scheduler",
      meta: k === 0 ? {} : { n: i },
    })),
  );
}

describe("export written a page at a time", () => {
  function exported() {
    const s = store();
    const events = storedEvents(s.items);
    const lines = events.map((e) => JSON.stringify(e));
    writeFileSync(join(s.dir, "ops/backlog/events.jsonl"), `${[...lines, JSON.stringify({ ...events[7], message: "a later copy" })].join("\n")}\n`);
    return { ...s, expected: exportLines([...s.items].sort(compareByCreation), events) };
  }

  it("to stdout and to --output: the same bytes as the whole export at once", () => {
    const { dir, run, expected } = exported();
    expect(ok(run(["export"]))).toBe(expected);
    expect(ok(run(["export", "--json"]))).toBe(expected);
    expect(JSON.parse(ok(run(["export", "--output", "backup.jsonl", "--json"])))).toEqual({ items: COUNT, events: 2 * COUNT });
    expect(readFileSync(join(dir, "backup.jsonl"), "utf8")).toBe(expected);
  });

  it("a full disk on stdout is exit 6 with the message of any command", () => {
    const { dir } = exported();
    const full = openSync("/dev/full", "w");
    const out = spawnSync(process.execPath, [BIN, "export"], { cwd: dir, env: cleanEnv({ BACKLOG_NOW: NOW }), stdio: ["ignore", full, "pipe"], encoding: "utf8" });
    closeSync(full);
    expect(out.status, out.stderr).toBe(6);
    expect(out.stderr).toBe("backlog: cannot write the output: ENOSPC\nFree space on the output's device, or send the output elsewhere.\n");
  });
});

describe("log written a page at a time", () => {
  // From 8 MiB of events log, the scan and the pages run between full collections of the heap.
  it.each([
    ["a small events log", 0],
    ["an events log of over 8 MiB", 14_000],
  ])("prints the newest --limit events, each id once, with titles, as the whole answer would: %s", (_, pad) => {
    const s = store();
    const events = storedEvents(s.items, pad);
    const lines = events.map((e) => JSON.stringify(e));
    // The same id again, later in the log: its first line is the one shown.
    writeFileSync(join(s.dir, "ops/backlog/events.jsonl"), `${[...lines, JSON.stringify({ ...events[7], ts: "2026-02-10T00:00:00.000Z", message: "a later copy" })].join("\n")}\n`);
    expect(statSync(join(s.dir, "ops/backlog/events.jsonl")).size > 8 * 2 ** 20).toBe(pad > 0);
    const title = new Map(s.items.map((i) => [i.id, i.title]));
    // Newest first; the two events of an item share an instant, so the later line comes first.
    const newestFirst = events.map((e, order) => ({ e, order })).sort((a, b) => (a.e.ts < b.e.ts ? 1 : a.e.ts > b.e.ts ? -1 : b.order - a.order));
    const expected = newestFirst.slice(0, 1000).map(({ e }) => ({ ...e, item_title: title.get(e.item_id) ?? null }));
    expect(ok(s.run(["log", "--since", "52w", "--limit", "1000", "--json"]))).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    const table = ok(s.run(["log", "--since", "52w", "--limit", "300"])).split("\n");
    expect(table).toHaveLength(302);
    expect(table.slice(1, 301).map((l) => l.split(/\s{2,}/)[1])).toEqual(expected.slice(0, 300).map((e) => e.item_id));
    expect(ok(s.run(["log", "--since", "1h", "--json"]))).toBe("[]\n");
  });
});

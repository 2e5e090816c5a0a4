/**
 * `list` as users script it: every filter and sort flag, and each output format read back by a
 * real parser (csv-parse for CSV, line splits for TSV and JSON lines).
 */
import { parse } from "csv-parse/sync";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, json } from "../helpers/cli.js";

const NOW = "2026-11-24T06:20:00.000Z";
// Titles are one line: the newline rides in the description.
const TRICKY = 'Retry "storm", again';
const NOTES = "first line\nsecond\tline";

interface Item {
  id: string;
  title: string;
  service: string;
  priority: string;
  [key: string]: unknown;
}

let cwd: string;
const run = (args: string[], now = NOW): CliResult => cli(args, { cwd, env: { BACKLOG_NOW: now } });
const ids = (args: string[]) => (json(run([...args, "--json"])) as Item[]).map((i) => i.id);
const made: Record<string, string> = {};

// One store for the whole file (tempDir's would be removed after the first test), read-only after setup.
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), "backlog-list-"));
  const create = (name: string, args: string[], now: string) => {
    const r = run(["create", "--category", "refactor", ...args, "--json"], now);
    expect(r.code, r.stderr).toBe(0);
    made[name] = json(r).item.id;
  };
  create("a", ["--service", "billing", "--title", "Alpha Timeout", "--priority", "P2", "--owner", "cto", "--tag", "week:2026-W47", "--tag", "db"], "2026-11-01T00:00:00.000Z");
  create("b", ["--service", "auth", "--title", "beta", "--description", "a TIMEOUT inside", "--priority", "P0", "--env", "staging", "--tag", "db"], "2026-11-20T00:00:00.000Z");
  create("c", ["--service", "search", "--title", TRICKY, "--description", NOTES, "--priority", "P1", "--owner", "ops", "--tag", "week:2026-W48"], "2026-11-23T12:00:00.000Z");
  create("d", ["--service", "billing", "--title", "100%_done", "--priority", "P3"], "2026-11-24T06:00:00.000Z");
});

describe("list filters", () => {
  it("takes comma lists and repeated flags for every enum filter", () => {
    expect(ids(["list", "--priority", "P0,P1"])).toEqual([made.b, made.c]);
    expect(ids(["list", "--priority", "P3", "--priority", "P0"])).toEqual([made.b, made.d]);
    expect(ids(["list", "--service", "auth,search"])).toEqual([made.b, made.c]);
    expect(ids(["list", "--owner", "cto", "--owner", "ops"])).toEqual([made.c, made.a]);
    expect(ids(["list", "--env", "prod,staging", "--category", "refactor,security"])).toHaveLength(4);
    expect(ids(["list", "--env", "staging"])).toEqual([made.b]);
  });

  it("--tag needs every tag; --week is the week tag and is validated", () => {
    expect(ids(["list", "--tag", "db"])).toEqual([made.b, made.a]);
    expect(ids(["list", "--tag", "db", "--tag", "week:2026-W47"])).toEqual([made.a]);
    expect(ids(["list", "--week", "2026-W48"])).toEqual([made.c]);
    const bad = run(["list", "--week", "2026-W54"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--week");
  });

  it("--since takes a day, a timestamp or a span back from BACKLOG_NOW", () => {
    expect(ids(["list", "--since", "24h"])).toEqual([made.c, made.d]);
    expect(ids(["list", "--since", "7d"])).toEqual([made.b, made.c, made.d]);
    expect(ids(["list", "--since", "2026-11-23"])).toEqual([made.c, made.d]);
    expect(ids(["list", "--since", "2026-11-24T06:00:00Z"])).toEqual([made.d]);
    expect(run(["list", "--since", "last week"]).code).toBe(2);
  });

  it("--search is a case-insensitive substring of title, description, service, owner, id, dedupe key and tags", () => {
    expect(ids(["list", "--search", "timeout"])).toEqual([made.b, made.a]);
    expect(ids(["list", "--search", "CTO"])).toEqual([made.a]);
    expect(ids(["list", "--search", "W48"])).toEqual([made.c]);
    expect(ids(["list", "--search", made.d.slice(3)])).toEqual([made.d]);
    // LIKE wildcards are text, not patterns.
    expect(ids(["list", "--search", "%_"])).toEqual([made.d]);
    expect(ids(["list", "--search", '"storm", again'])).toEqual([made.c]);
  });

  it("--sort orders by keys, -KEY descending, ties in the default order", () => {
    expect(ids(["list", "--sort", "-priority"])).toEqual([made.d, made.a, made.c, made.b]);
    expect(ids(["list", "--sort", "service,-created"])).toEqual([made.b, made.d, made.a, made.c]);
    expect(ids(["list", "--sort", "-updated"])).toEqual([made.d, made.c, made.b, made.a]);
    const bad = run(["list", "--sort", "prority"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("did you mean priority?");
  });
});

describe("list formats and fields", () => {
  it("CSV is RFC 4180: a title with comma and quote, a description with newline and tab round-trip through csv-parse", () => {
    const r = run(["list", "--format", "csv", "--fields", "id,title,description,tags", "--sort", "priority"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith("id,title,description,tags\r\n")).toBe(true);
    const rows = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((row) => row.id)).toEqual([made.b, made.c, made.a, made.d]);
    expect(rows[1].title).toBe(TRICKY);
    expect(rows[1].description).toBe(NOTES);
    expect(JSON.parse(rows[0].tags)).toEqual(["db"]);
  });

  it("TSV escapes tabs and newlines; markdown escapes pipes", () => {
    const tsv = run(["list", "--format", "tsv", "--fields", "id,description", "--search", "storm"]);
    expect(tsv.stdout).toBe(`id\tdescription\n${made.c}\tfirst line\\nsecond\\tline\n`);
    const md = run(["list", "--format", "markdown", "--fields", "service,title", "--service", "billing", "--sort", "title"]);
    expect(md.stdout).toBe("| service | title |\n| --- | --- |\n| billing | 100%_done |\n| billing | Alpha Timeout |\n");
  });

  it("--fields picks JSON keys in order; json, jsonl and table formats", () => {
    const j = json(run(["list", "--fields", "title,id", "--service", "auth", "--json"]));
    expect(j).toEqual([{ title: "beta", id: made.b }]);
    expect(Object.keys(j[0])).toEqual(["title", "id"]);
    expect(JSON.parse(run(["list", "--format", "json", "--fields", "id", "--service", "auth"]).stdout)).toEqual([{ id: made.b }]);
    const lines = run(["list", "--format", "jsonl", "--fields", "id,priority"]).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([made.b, made.c, made.a, made.d].map((id, i) => ({ id, priority: `P${i}` })));
    const table = run(["list", "--fields", "id,owner", "--owner", "cto"]);
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+OWNER\\n${made.a}\\s+cto\\n$`));
  });

  it("an unknown field is exit 2 listing the valid ones; conflicting formats are exit 2", () => {
    const bad = run(["list", "--fields", "id,titel"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("did you mean title?");
    expect(bad.stderr).toContain("Valid fields: id, created_at");
    expect(run(["list", "--format", "csv", "--json"]).code).toBe(2);
    expect(run(["list", "--format", "csv", "--jsonl"]).code).toBe(2);
    expect(run(["list", "--format", "jsonl", "--jsonl"]).code).toBe(0);
    const typo = run(["list", "--format", "cvs"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean csv?");
  });
});

describe("the tool protocol's list takes the same parameters", () => {
  it("filters, search, sort and fields", () => {
    const r = run(["tool", JSON.stringify({ action: "list", priority: ["P0", "P3"], search: "", sort: "-priority", fields: "id,priority" })]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual([{ id: made.d, priority: "P3" }, { id: made.b, priority: "P0" }]);
    expect(json(run(["tool", JSON.stringify({ action: "list", tag: "db", search: "TIMEOUT", fields: ["id"] })]))).toEqual([{ id: made.b }, { id: made.a }]);
    expect(run(["tool", JSON.stringify({ action: "list", fields: "nope" })]).code).toBe(2);
  });
});

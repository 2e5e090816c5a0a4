/**
 * Random and mutated input to the built CLI, bounded in count and time. Whatever comes in: the exit
 * code is a documented one (never 1), stderr has no stack trace, and a failed command writes nothing.
 * The seed is printed; rerun one with BACKLOG_FUZZ_SEED=N.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { cli, REPO, snapshot } from "../helpers/cli.js";
import { prng } from "../helpers/prng.js";
import { tempDir } from "../helpers/temp.js";

const SEED = Number(process.env.BACKLOG_FUZZ_SEED ?? Date.now() % 1_000_000);
const MAX_RUNS = 60;
const MAX_MS = 25_000;
const ALLOWED = new Set([0, 2, 3, 4, 5, 6, 10]);


const NASTY = ["constructor", "__proto__", "toString", "", " ", "-1", "1e400", "99999999999999999999", "2026-02-30", "0001-01-01", "\u0000", "\ud800", "\x1b[31m", "\u202e", "\u2028", "{", "[]", "null", "é", "a".repeat(300)];

it(`random input never exits 1 nor leaves bytes behind (seed ${SEED})`, { timeout: 120_000 }, () => {
  console.log(`fuzz seed: ${SEED}`);
  const rand = prng(SEED);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const text = () => (rand() < 0.6 ? pick(NASTY) : String.fromCharCode(...Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * 0x3000))));
  const dir = tempDir();
  cpSync(join(REPO, "ops/reports"), join(dir, "ops/reports"), { recursive: true });
  const sample = readFileSync(join(REPO, "ops/reports/platform/2026-W48.json"), "utf8");
  const env = { BACKLOG_NOW: "2026-11-24T06:20:00Z", BACKLOG_ACTOR: "scheduler" };
  expect(cli(["create", "--service", "gateway", "--category", "security"], { cwd: dir, env }).code).toBe(0);

  const mutate = (s: string) => {
    const chars = [...s];
    for (let i = 0; i < 1 + Math.floor(rand() * 4); i += 1) {
      const at = Math.floor(rand() * (chars.length + 1));
      if (rand() < 0.5) chars.splice(at, 1);
      else chars.splice(at, 0, text());
    }
    return chars.join("");
  };
  const body = () =>
    mutate(JSON.stringify({ service: pick(["gateway", text()]), category: pick(["security", "refactor", text()]), title: text(), tags: [text()], meta: { [text()]: text() }, due_date: text(), status: pick(["open", "done", text()]) }));

  const cases: Array<() => { args: string[]; input?: string; env?: Record<string, string> }> = [
    () => ({ args: [pick(["create", "upsert", "list", "get", "dashboard", "gate", "set-status", "comment"]), pick(["--service", "--category", "--due", "--limit", "--offset", "--status", "--title", "--tag"]), text()] }),
    () => ({ args: ["create", "--from-json", "-"], input: body() }),
    () => ({ args: ["tool", "-"], input: mutate(JSON.stringify({ action: pick(["list", "create", "get", "upsert"]), params: { service: "gateway", category: "security", limit: pick([1, -1, 1e20]) } })) }),
    () => {
      writeFileSync(join(dir, "d.json"), mutate(sample.slice(0, 4000)) + (rand() < 0.5 ? "" : sample.slice(4000)));
      return { args: ["generate-weekly", "--digest", "d.json"] };
    },
    () => {
      writeFileSync(join(dir, "p.yml"), `categories:\n  ${text()}: { priority: ${pick(["P0", text()])}, due_days: ${pick(["3", "1e400", text()])} }\n`);
      return { args: ["--policy", "p.yml", "create", "--service", "gateway", "--category", "security"] };
    },
    () => ({ args: ["list"], env: { BACKLOG_NOW: text() } }),
    () => {
      // A hand-written store: one item line, mutated, in a store of its own.
      const line = readFileSync(join(dir, "ops/backlog/items.jsonl"), "utf8").split("\n")[0];
      mkdirSync(join(dir, "hand"), { recursive: true });
      writeFileSync(join(dir, "hand/items.jsonl"), `${mutate(line)}\n`);
      return { args: ["--dir", "hand", pick(["list", "dashboard", "gate", "export"])] };
    },
  ];

  const start = Date.now();
  for (let run = 0; run < MAX_RUNS && Date.now() - start < MAX_MS; run += 1) {
    const c = pick(cases)();
    const stores = () => ({ main: snapshot(join(dir, "ops/backlog")), hand: snapshot(join(dir, "hand")) });
    const before = stores();
    // Arguments and environment cannot carry NUL (the OS refuses them); JSON bodies and files can.
    const noNul = (v: string) => v.replace(/\u0000/g, "");
    const args = c.args.map(noNul);
    const extra = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, noNul(v)]));
    const r = cli(args, { cwd: dir, env: { ...env, ...extra }, input: c.input });
    const label = `seed ${SEED} run ${run}: ${JSON.stringify(c)}\n${r.stderr}`;
    expect(ALLOWED.has(r.code ?? -1), label).toBe(true);
    expect(r.stderr, label).not.toMatch(/\n {4}at /);
    if (r.code !== 0) expect(stores(), label).toEqual(before);
  }
  mkdirSync(join(dir, "done"), { recursive: true });
});

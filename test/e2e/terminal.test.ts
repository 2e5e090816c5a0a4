/**
 * Tables on a real terminal (tmux at 80 and 200 columns) and with $COLUMNS; colours with
 * --color and FORCE_COLOR; messages: did-you-mean, the missing argument, `tool --help`.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, cli, json } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { runsWith, titled } from "../helpers/tools.js";

const NOW = "2026-02-16T06:20:00Z";
const TITLE = "Reduce the p99 latency of the checkout gateway under the Monday peak load (weekly)";
const ANSI = /\x1b\[[0-9;]*m/;

function workspace() {
  const dir = tempDir();
  const run = (args: string[], env: Record<string, string | undefined> = {}) => cli(args, { cwd: dir, env: { BACKLOG_NOW: NOW, ...env } });
  const created = run(["create", "--service", "checkout-gateway", "--category", "slo_hardening", "--owner", "team-payments-edge", "--title", TITLE, "--json"]);
  expect(created.code, created.stderr).toBe(0);
  run(["create", "--service", "ledger", "--category", "refactor", "--title", "Split", "--json"]);
  return { dir, run, id: json(created).item.id as string };
}


describe.skipIf(!runsWith("tmux"))(titled("tables on a terminal (tmux)", "tmux"), () => {
  /** Runs `backlog ARGS` in a detached tmux pane of `columns` columns; the pane's lines, wrapped lines joined. */
  function onTerminal(dir: string, columns: number, args: string): string[] {
    const socket = `backlog-test-${process.pid}-${columns}`;
    const tmux = (...a: string[]) => spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...a], { cwd: dir, env: cleanEnv(), encoding: "utf8" });
    const command = `env NO_COLOR=1 BACKLOG_NOW=${NOW} "${process.execPath}" "${BIN}" ${args}; echo __END__; sleep 60`;
    try {
      expect(tmux("new-session", "-d", "-x", String(columns), "-y", "40", "sh", "-c", command).status).toBe(0);
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const pane = tmux("capture-pane", "-p", "-J").stdout;
        if (pane.includes("__END__")) return pane.split("\n").filter((l) => l.trim() !== "" && !l.includes("__END__"));
        spawnSync("sleep", ["0.1"]);
      }
      throw new Error("the command did not finish in the tmux pane");
    } finally {
      tmux("kill-server");
    }
  }

  it("at 200 columns shows the whole title", () => {
    const w = workspace();
    const lines = onTerminal(w.dir, 200, "list");
    expect(lines.join("\n")).toContain(TITLE);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(200);
  });

  it("at 80 columns fits every line, giving the title the room left", () => {
    const w = workspace();
    const lines = onTerminal(w.dir, 80, "list");
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    const row = lines.find((l) => l.startsWith(w.id)) ?? "";
    expect(row).toContain("Reduce the p99");
    expect(row).toContain("…");
    expect(lines.join("\n")).toContain(w.id);
  });
});

describe("table width off a terminal", () => {
  it("follows $COLUMNS, and keeps every character when piped without it", () => {
    const w = workspace();
    const narrow = w.run(["list"], { COLUMNS: "100" }).stdout.split("\n");
    for (const line of narrow) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(w.run(["list"], { COLUMNS: "250" }).stdout).toContain(TITLE);
    expect(w.run(["list"]).stdout).toContain(TITLE);
  });
});

describe("--color and FORCE_COLOR", () => {
  it("--color always colours piped output; never and the piped default do not", () => {
    const w = workspace();
    for (const command of [["list"], ["get", w.id], ["dashboard"]]) {
      expect(w.run([...command, "--color", "always"]).stdout, command.join(" ")).toMatch(ANSI);
      expect(w.run([...command, "--color=always"], { NO_COLOR: undefined }).stdout).toMatch(ANSI);
      expect(w.run([...command, "--color", "never"], { FORCE_COLOR: "1" }).stdout).not.toMatch(ANSI);
      expect(w.run([...command, "--color", "auto"], { NO_COLOR: undefined }).stdout).not.toMatch(ANSI);
      expect(w.run(command, { NO_COLOR: undefined }).stdout).not.toMatch(ANSI);
    }
  });

  it("FORCE_COLOR forces colour under auto; FORCE_COLOR=0 turns it off; JSON is never coloured", () => {
    const w = workspace();
    expect(w.run(["list"], { NO_COLOR: undefined, FORCE_COLOR: "1" }).stdout).toMatch(ANSI);
    expect(w.run(["list"], { NO_COLOR: undefined, FORCE_COLOR: "" }).stdout).toMatch(ANSI);
    expect(w.run(["list"], { NO_COLOR: undefined, FORCE_COLOR: "0" }).stdout).not.toMatch(ANSI);
    expect(w.run(["list", "--json", "--color", "always"]).stdout).not.toMatch(ANSI);
  });

  it("uses no white or black text (readable on dark and light backgrounds)", () => {
    const w = workspace();
    const out = w.run(["list", "--all", "--color", "always"]).stdout + w.run(["get", w.id, "--color", "always"]).stdout;
    expect(out).not.toMatch(/\x1b\[(30|37|90|97)m/);
  });

  it("refuses a --color value it does not know, exit 2", () => {
    const r = workspace().run(["list", "--color", "sometimes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("always|never|auto");
  });
});

describe("messages", () => {
  it("suggests the command or flag meant, exit 2", () => {
    const dir = tempDir();
    const command = cli(["lsit"], { cwd: dir });
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("Did you mean list?");
    const flag = cli(["list", "--stauts", "open"], { cwd: dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Did you mean --status?");
    const asJson = JSON.parse(cli(["lsit", "--json"], { cwd: dir }).stderr);
    expect(asJson.error.code).toBe("invalid_usage");
    expect(asJson.error.message).toContain("Did you mean list?");
  });

  it("names the missing argument and shows the usage", () => {
    const dir = tempDir();
    const get = cli(["get"], { cwd: dir });
    expect(get.code).toBe(2);
    expect(get.stderr).toMatch(/^backlog: missing argument <id>: item id/);
    expect(get.stderr).toContain("Usage: backlog get [options] <id>");
    const status = cli(["set-status", "bl_0123456789ab"], { cwd: dir });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain("missing argument <status>: open|in_progress|blocked|done|canceled");
  });

  it("tool --help lists every action with its parameters", () => {
    const help = cli(["tool", "--help"], { cwd: tempDir() }).stdout;
    expect(help).toMatch(/^ {2}set_status +id, status, message\?, actor\?$/m);
    expect(help).toMatch(/^ {2}edit +id, changes\?, actor\?$/m);
    expect(help).toMatch(/^ {2}cleanup +retention_days\?, dry_run\?, actor\?$/m);
    for (const action of ["list", "get", "dashboard", "create", "upsert", "add_comment", "close", "auto_generate_weekly"]) expect(help).toMatch(new RegExp(`^  ${action} `, "m"));
  });
});

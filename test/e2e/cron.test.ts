/**
 * ops/cron: the cron.d file and the user-crontab variant parse as cron reads them, and each job,
 * run in an `env -i` environment like cron's, is silent on success and loud (stderr) on failure.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const CRON_D = join(REPO, "ops/cron/backlog");
const USER_CRONTAB = join(REPO, "ops/cron/backlog.crontab");
const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

interface Crontab {
  vars: Record<string, string>;
  jobs: Array<{ time: string[]; user: string | null; command: string }>;
}

function parseCrontab(path: string, withUser: boolean): Crontab {
  const vars: Record<string, string> = {};
  const jobs: Crontab["jobs"] = [];
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (assignment) {
      vars[assignment[1]] = assignment[2];
      continue;
    }
    const fields = line.split(/\s+/);
    const time = fields.slice(0, 5);
    for (const f of time) expect(f, `${path}: ${line}`).toMatch(FIELD);
    const user = withUser ? fields[5] : null;
    const command = fields.slice(withUser ? 6 : 5).join(" ");
    expect(command, line).not.toBe("");
    jobs.push({ time, user, command });
  }
  return { vars, jobs };
}

/** A cron-like run: `env -i` with only the crontab's variables (paths moved into `root`). */
function runJob(command: string, vars: Record<string, string>, root: string, now: string) {
  const move = (text: string) =>
    text
      .replaceAll("/srv/backlog/ops/cron/", `${REPO}/ops/cron/`)
      .replaceAll("/srv/backlog/bin/", `${REPO}/bin/`)
      .replaceAll("/srv/backlog/config/", `${REPO}/config/`)
      .replaceAll("/srv/backlog/ops/backlog", join(root, "store"))
      .replaceAll("/srv/backlog/ops/reports/platform", join(root, "digests"))
      .replaceAll("/var/log/backlog", join(root, "log"));
  const env = Object.entries(vars).map(([k, v]) => `${k}=${move(k === "PATH" ? `${dirname(process.execPath)}:${v}` : v)}`);
  const r = spawnSync("env", ["-i", ...env, `HOME=${root}`, "LOGNAME=backlog", `BACKLOG_NOW=${now}`, vars.SHELL ?? "/bin/sh", "-c", move(command)], {
    cwd: root,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const logLines = (root: string, job: string) =>
  readFileSync(join(root, "log", `${job}.log`), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("ops/cron", () => {
  it("the cron.d file has a dotless name, SHELL/PATH/MAILTO, no CRON_TZ, a user and a command per job", () => {
    expect(basename(CRON_D)).not.toContain(".");
    const tab = parseCrontab(CRON_D, true);
    expect(Object.keys(tab.vars)).toEqual(expect.arrayContaining(["SHELL", "PATH", "MAILTO"]));
    expect(tab.vars.CRON_TZ).toBeUndefined();
    expect(readFileSync(CRON_D, "utf8")).toMatch(/UTC/);
    expect(tab.jobs.map((j) => j.user)).toEqual(["backlog", "backlog", "backlog"]);
    expect(tab.jobs.map((j) => j.command.split(" ")[1])).toEqual(["generate-weekly", "cleanup", "gate"]);
    expect(tab.jobs[0].command).toContain("--require-current");
    // The user variant: the same jobs without the user field, and advice that appends.
    const user = parseCrontab(USER_CRONTAB, false);
    expect(user.jobs.map((j) => [j.time, j.command])).toEqual(tab.jobs.map((j) => [j.time, j.command]));
    expect(user.vars.CRON_TZ).toBeUndefined();
    expect(readFileSync(USER_CRONTAB, "utf8")).toContain("crontab -l 2>/dev/null | cat - ops/cron/backlog.crontab | crontab -");
  });

  it("each job run like cron prints nothing on success and logs one timestamped JSON line", () => {
    const root = tempDir();
    mkdirSync(join(root, "digests"), { recursive: true });
    mkdirSync(join(root, "log"), { recursive: true });
    cpSync(join(REPO, "ops/reports/platform/2026-W48.json"), join(root, "digests/2026-W48.json"));
    const tab = parseCrontab(CRON_D, true);
    for (const job of tab.jobs) {
      const r = runJob(job.command, tab.vars, root, "2026-11-24T06:20:00Z");
      expect(r.code, `${job.command}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe("");
    }
    const [generated] = logLines(root, "generate-weekly");
    expect(generated).toMatchObject({ job: "generate-weekly", exit: 0, result: { week: "2026-W48", created: 16 }, stderr: null });
    expect(Date.parse(generated.ts)).not.toBeNaN();
    expect(logLines(root, "cleanup")[0]).toMatchObject({ exit: 0 });
    expect(logLines(root, "gate")[0]).toMatchObject({ exit: 0 });
  });

  it("a failing job puts the error on stderr (what cron mails) and still logs its line", () => {
    const root = tempDir();
    mkdirSync(join(root, "digests"), { recursive: true });
    mkdirSync(join(root, "log"), { recursive: true });
    cpSync(join(REPO, "ops/reports/platform/2026-W48.json"), join(root, "digests/2026-W48.json"));
    const tab = parseCrontab(CRON_D, true);
    const [generate, , gate] = tab.jobs;
    // Two weeks later the digest job has not run: the stale digest is refused, exit 3.
    const stale = runJob(generate.command, tab.vars, root, "2026-12-07T06:20:00Z");
    expect(stale.code).toBe(3);
    expect(stale.stdout).toBe("");
    expect(stale.stderr).toContain("2026-W48");
    expect(stale.stderr).toContain("2026-W50");
    expect(stale.stderr).toContain("generate-weekly failed");
    expect(logLines(root, "generate-weekly")[0]).toMatchObject({ exit: 3, result: null });

    // Generated on time, then everything is overdue a year later: the gate fails (exit 10) and
    // the mail holds the violations.
    expect(runJob(generate.command, tab.vars, root, "2026-11-24T06:20:00Z").code).toBe(0);
    const failing = runJob(gate.command, tab.vars, root, "2027-11-24T07:00:00Z");
    expect(failing.code).toBe(10);
    expect(failing.stdout).toBe("");
    expect(failing.stderr).toContain("gate failed");
    expect(failing.stderr).toContain("overdue");
    expect(logLines(root, "gate")[0]).toMatchObject({ exit: 10 });

    // No log directory: the job fails loudly instead of losing its record.
    const noLog = runJob(gate.command, { ...tab.vars, BACKLOG_LOG_DIR: join(root, "missing") }, root, "2026-11-24T07:00:00Z");
    expect(noLog.code).not.toBe(0);
    expect(noLog.stderr).toContain("cannot append");
  });
});

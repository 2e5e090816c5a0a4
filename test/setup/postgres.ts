/**
 * Vitest global setup: a throwaway PostgreSQL cluster for the Postgres suites.
 *
 * - BACKLOG_TEST_POSTGRES_DSN set: that server is used (it must allow CREATE DATABASE).
 * - Else, when server binaries are present (Debian's, or in BACKLOG_TEST_POSTGRES_BINDIR): initdb (as the `postgres` user when running
 *   as root, since initdb refuses root) and pg_ctl on a free port and a private socket directory;
 *   stopped and removed afterwards. A cluster that fails to start fails the run.
 * - Else the Postgres suites are skipped, with the reason printed (an error instead when
 *   BACKLOG_REQUIRE_POSTGRES is set, as CI does).
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    postgres: { dsn: string | null; skipped: string | null };
  }
}

function findBindir(): string | null {
  const forced = process.env.BACKLOG_TEST_POSTGRES_BINDIR;
  if (forced !== undefined) return existsSync(join(forced, "initdb")) && existsSync(join(forced, "pg_ctl")) ? forced : null;
  const fromConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  const candidates = fromConfig.status === 0 ? [fromConfig.stdout.trim()] : [];
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, version, "bin"));
  }
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) ?? null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  if (!Number.isInteger(uid) || uid <= 0) throw new Error("running as root, but there is no `postgres` user to run initdb as");
  return { uid, gid: id("-g") };
}

export default async function setup(project: TestProject) {
  const external = process.env.BACKLOG_TEST_POSTGRES_DSN;
  if (external) {
    project.provide("postgres", { dsn: external, skipped: null });
    return;
  }
  const bindir = findBindir();
  if (!bindir) {
    if (process.env.BACKLOG_REQUIRE_POSTGRES) throw new Error("BACKLOG_REQUIRE_POSTGRES is set, but there are no PostgreSQL server binaries (install Debian's postgresql)");
    const reason = "no PostgreSQL server binaries (initdb, pg_ctl) on this machine: install Debian's `postgresql` package, or set BACKLOG_TEST_POSTGRES_DSN";
    console.warn(`\n[backlog tests] PostgreSQL suites SKIPPED: ${reason}\n`);
    project.provide("postgres", { dsn: null, skipped: reason });
    return;
  }

  const base = mkdtempSync(join(tmpdir(), "backlog-pg-"));
  const owner = postgresUser();
  const password = `pw-${process.pid}-${Date.now()}`;
  writeFileSync(join(base, "pwfile"), `${password}\n`);
  if (owner) {
    chownSync(base, owner.uid, owner.gid);
    chownSync(join(base, "pwfile"), owner.uid, owner.gid);
  }
  const run = (command: string, args: string[]) => {
    const full = owner ? ["runuser", ["-u", "postgres", "--", command, ...args]] as const : [command, args] as const;
    const r = spawnSync(full[0], full[1], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${command} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  };
  const data = join(base, "data");
  run(join(bindir, "initdb"), ["-D", data, "-U", "backlog", `--pwfile=${join(base, "pwfile")}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200`;
  run(join(bindir, "pg_ctl"), ["-D", data, "-l", join(base, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
  project.provide("postgres", { dsn: `postgresql://backlog:${password}@127.0.0.1:${port}/postgres`, skipped: null });

  return () => {
    try {
      run(join(bindir, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  };
}

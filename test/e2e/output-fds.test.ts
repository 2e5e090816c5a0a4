/**
 * Output written straight to the descriptor (a pipe, a socket, a file) rather than through
 * process.stdout: the same bytes, a reader that stops early is no error, a failed write is exit 6.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv } from "../helpers/cli.js";
import { seedStore } from "../helpers/store-files.js";
import { tempDir } from "../helpers/temp.js";

const NOW = "2026-06-01T00:00:00Z";

function store(count: number): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir();
  seedStore(dir, count, 1);
  return { dir, env: cleanEnv({ BACKLOG_NOW: NOW, BACKLOG_DIR: dir, BACKLOG_ACTOR: "cto" }) };
}

describe("output descriptors", () => {
  it("a regular file and a pipe from a Node parent (a socket) get the same bytes", () => {
    const s = store(300);
    const piped = spawnSync(process.execPath, [BIN, "list", "--all", "--jsonl"], { cwd: s.dir, env: s.env, encoding: "utf8", maxBuffer: 1 << 26 });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout.trim().split("\n")).toHaveLength(300);
    const path = join(tempDir(), "out.jsonl");
    const fd = openSync(path, "w");
    const filed = spawnSync(process.execPath, [BIN, "list", "--all", "--jsonl"], { cwd: s.dir, env: s.env, stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
    closeSync(fd);
    expect(filed.status, filed.stderr).toBe(0);
    expect(filed.stderr).toBe("");
    expect(readFileSync(path, "utf8")).toBe(piped.stdout);
  });

  it("a shell pipe whose reader stops early: exit 0, nothing on stderr", () => {
    const s = store(2000);
    const script = `"${process.execPath}" "${BIN}" list --all --jsonl 2>"${join(s.dir, "err.txt")}" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`;
    const r = spawnSync("bash", ["-c", script], { cwd: s.dir, env: s.env, encoding: "utf8" });
    expect(r.stdout.trim()).toBe("0");
    expect(readFileSync(join(s.dir, "err.txt"), "utf8")).toBe("");
  });

  it("errors still reach stderr when it is a file, as JSON with --json", () => {
    const s = store(1);
    const path = join(tempDir(), "err.txt");
    const fd = openSync(path, "w");
    const r = spawnSync(process.execPath, [BIN, "get", "bl_ffffffffffff", "--json"], { cwd: s.dir, env: s.env, stdio: ["ignore", "pipe", fd], encoding: "utf8" });
    closeSync(fd);
    expect(r.status).toBe(3);
    expect(JSON.parse(readFileSync(path, "utf8")).error.code).toBeTypeOf("string");
  });
});

// A Node parent always hands a child blocking stdio (libuv clears O_NONBLOCK before exec): a
// small Python parent gives it a non-blocking pipe and reads only once the pipe is full.
const NON_BLOCKING_PARENT = `
import os, sys, fcntl, subprocess, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
child = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.5)
out = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.exit(child.wait())
`;
const hasPython = spawnSync("python3", ["-c", "import fcntl"]).status === 0;

describe("output to a pipe that would block", () => {
  it.skipIf(!hasPython)("a non-blocking pipe read late (EAGAIN): the rest goes through the stream, every byte in order", () => {
    const s = store(2000);
    const expected = spawnSync(process.execPath, [BIN, "list", "--all", "--jsonl"], { cwd: s.dir, env: s.env, encoding: "utf8", maxBuffer: 1 << 26 }).stdout;
    expect(Buffer.byteLength(expected)).toBeGreaterThan(256 * 1024);
    const r = spawnSync("python3", ["-c", NON_BLOCKING_PARENT, process.execPath, BIN, "list", "--all", "--jsonl"], { cwd: s.dir, env: s.env, encoding: "utf8", maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(expected);
  });
});

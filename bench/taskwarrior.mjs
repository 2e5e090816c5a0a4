// What a user would use instead, on the same items: Taskwarrior (`task export`, `task summary`)
// and `jq` over items.jsonl. The tasks are written once, outside the timing, straight into
// Taskwarrior's data files (its FF4 line format: what `task import` writes, in a fraction of
// the time at 100k tasks). Nothing here asserts.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

/** The installed Taskwarrior's version, or why there is none. */
export function taskwarrior() {
  const r = spawnSync("task", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return { missing: `Taskwarrior not found (${r.error?.code ?? `exit ${r.status}`}): install Debian's taskwarrior to compare` };
  return { version: r.stdout.trim() };
}

/** The latest version of each of the first `count` items of a log (by first appearance), streamed. */
function latestItems(itemsPath, count) {
  const latest = new Map();
  const fd = openSync(itemsPath, "r");
  const chunk = Buffer.allocUnsafe(4 << 20);
  let carry = "";
  for (let position = 0; ; ) {
    const read = readSync(fd, chunk, 0, chunk.length, position);
    if (read === 0) break;
    position += read;
    const lines = (carry + chunk.toString("utf8", 0, read)).split("\n");
    carry = lines.pop();
    for (const line of lines) {
      const item = JSON.parse(line);
      if (latest.has(item.id) || latest.size < count) latest.set(item.id, item);
    }
  }
  closeSync(fd);
  return [...latest.values()];
}

const epoch = (iso) => String(Math.floor(Date.parse(iso) / 1000));
const uuidOf = (n) => {
  const h = n.toString(16).padStart(32, "0");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
};
// FF4 values: no quotes or brackets unescaped.
const ff4 = (text) => text.replaceAll("&", "&amp;").replaceAll('"', "&dquot;").replaceAll("[", "&open;").replaceAll("]", "&close;").replaceAll("\n", " ");
const TW_PRIORITY = { P0: "H", P1: "H", P2: "M", P3: "L" };
const TW_STATUS = { open: "pending", in_progress: "pending", blocked: "waiting", done: "completed", canceled: "deleted" };

/** A Taskwarrior data directory holding the first `count` items of the store; written once. */
export function taskData(out, storeDir, count) {
  const dir = join(out, `taskwarrior-${count}-of-${basename(storeDir)}`);
  const rc = join(dir, "taskrc");
  if (existsSync(join(dir, "done"))) return { dir, env: { TASKRC: rc, TASKDATA: dir } };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pending = [];
  const completed = [];
  latestItems(join(storeDir, "items.jsonl"), count).forEach((item, n) => {
    const status = TW_STATUS[item.status] ?? "pending";
    const fields = {
      description: ff4(item.title),
      entry: epoch(item.created_at),
      modified: epoch(item.updated_at),
      project: item.service,
      priority: TW_PRIORITY[item.priority] ?? "L",
      status: status === "waiting" ? "pending" : status,
      tags: item.category,
      uuid: uuidOf(n + 1),
      ...(item.due_date ? { due: epoch(`${item.due_date}T00:00:00Z`) } : {}),
      ...(status === "completed" || status === "deleted" ? { end: epoch(item.updated_at) } : {}),
    };
    const line = `[${Object.entries(fields).map(([k, v]) => `${k}:"${v}"`).join(" ")}]`;
    (status === "completed" || status === "deleted" ? completed : pending).push(line);
  });
  writeFileSync(join(dir, "pending.data"), `${pending.join("\n")}\n`);
  writeFileSync(join(dir, "completed.data"), `${completed.join("\n")}\n`);
  writeFileSync(join(dir, "undo.data"), "");
  writeFileSync(rc, `data.location=${dir}\nconfirmation=off\nverbose=nothing\ngc=off\nhooks=off\nnews.version=2.6.0\n`);
  writeFileSync(join(dir, "done"), "");
  return { dir, env: { TASKRC: rc, TASKDATA: dir } };
}

/** jq: how many items per status, the latest version of each item counting (last write wins). */
export const JQ_STATUS_COUNT = ["-n", "reduce inputs as $i ({}; .[$i.id] = $i.status) | reduce .[] as $s ({}; .[$s] += 1)"];

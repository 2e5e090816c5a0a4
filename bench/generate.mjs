// Writes a realistic JSONL store, deterministically (same arguments, same bytes):
//   node bench/generate.mjs DIR ITEMS LINES
// LINES >= ITEMS: the extra lines are superseded versions (status changes, re-generated content);
// events.jsonl holds two events per item.
import { mkdirSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";

const [dir, itemsArg, linesArg] = process.argv.slice(2);
const ITEMS = Number(itemsArg);
const LINES = Number(linesArg ?? itemsArg);
if (!dir || !(ITEMS > 0) || !(LINES >= ITEMS)) {
  console.error("usage: node bench/generate.mjs DIR ITEMS [LINES>=ITEMS]");
  process.exit(2);
}

let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(random() * list.length)];
const hex = (n, width = 12) => n.toString(16).padStart(width, "0");

const envs = ["prod", "prod", "prod", "staging", "dev"];
const categories = ["arch_review", "refactor", "slo_hardening", "cleanup_followups", "security"];
const priorities = ["P0", "P1", "P1", "P2", "P2", "P2", "P3"];
const statuses = ["open", "open", "open", "in_progress", "blocked", "done", "canceled"];
const services = Array.from({ length: 400 }, (_, i) => `svc-${i.toString(36)}`);
const signals = ["3 P1 incidents in 14 days", "error budget burn 2.4x", "p99 latency +38% week over week", "deploy frequency halved", "4 hotfixes in 30 days"];

function item(i, version) {
  const day = 1 + (i % 28);
  const service = services[i % services.length];
  const category = categories[i % categories.length];
  const week = `2026-W${String(1 + (i % 52)).padStart(2, "0")}`;
  return {
    id: `bl_${hex(i)}`,
    created_at: `2026-${String(1 + (i % 12)).padStart(2, "0")}-${String(day).padStart(2, "0")}T06:20:00.000Z`,
    updated_at: `2026-${String(1 + (i % 12)).padStart(2, "0")}-${String(day).padStart(2, "0")}T0${Math.min(9, 6 + version)}:20:00.000Z`,
    env: envs[i % envs.length],
    service,
    category,
    title: `[${category.toUpperCase()}] Work on ${service} (${week})`,
    description: `Rule \`rule_${category}\`, digest ${week}.\n\nSignals:\n- ${pick(signals)}\n\nScores:\n- pressure: ${Math.floor(random() * 100)}\n- risk: ${Math.floor(random() * 100)}`,
    priority: pick(priorities),
    status: version === 0 ? "open" : pick(statuses),
    owner: pick(["oncall", "oncall", "cto", "team-payments", "team-edge"]),
    due_date: random() < 0.1 ? "" : `2026-${String(1 + ((i + 1) % 12)).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
    source: "digest",
    dedupe_key: `platform_backlog:${week}:prod:${service}:${category}:${i}`,
    evidence_refs: { alerts: [`ALR-${i % 97}`], incidents: [`INC-${i % 89}`], release_checks: [], artifacts: [], followups: [`FU-${i % 83}`] },
    tags: ["auto", `week:${week}`, `rule:rule_${category}`],
    meta: { rule: `rule_${category}`, week, pressure_score: i % 100, risk_score: (i * 7) % 100 },
  };
}

/** Buffered line writer: one write call per few MiB. */
function writer(path) {
  const fd = openSync(path, "w");
  let buffer = [];
  let size = 0;
  const flush = () => {
    if (buffer.length > 0) writeSync(fd, buffer.join(""));
    buffer = [];
    size = 0;
  };
  return {
    line(value) {
      const text = `${JSON.stringify(value)}\n`;
      buffer.push(text);
      size += text.length;
      if (size > 4 << 20) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}

mkdirSync(dir, { recursive: true });
const items = writer(join(dir, "items.jsonl"));
for (let i = 0; i < ITEMS; i += 1) items.line(item(i, 0));
// Superseded versions: later versions of earlier items, spread over the store.
for (let n = 0; n < LINES - ITEMS; n += 1) items.line(item(Math.floor(random() * ITEMS), 1 + (n % 3)));
items.close();

const events = writer(join(dir, "events.jsonl"));
for (let i = 0; i < ITEMS * 2; i += 1) {
  const itemIndex = i < ITEMS ? i : Math.floor(random() * ITEMS);
  events.line({ id: `ev_${hex(i)}`, item_id: `bl_${hex(itemIndex)}`, ts: `2026-03-01T06:20:${String(i % 60).padStart(2, "0")}.000Z`, type: i < ITEMS ? "created" : "status_change", message: i < ITEMS ? "created" : "open → in_progress", actor: "scheduler", meta: {} });
}
events.close();

/** Worker thread: indexes one range of a log for refreshIndex, and posts the index back. */
import { parentPort, workerData } from "node:worker_threads";
import { type IndexKind, indexRange } from "./jsonl-index.js";
import { eventsIndex, itemsIndex } from "./jsonl-indexes.js";

const { kind: name, fd, from, to } = workerData as { kind: string; fd: number; from: number; to: number };
const kind = (name === eventsIndex.name ? eventsIndex : itemsIndex) as IndexKind<unknown>;
const r = indexRange(kind, fd, kind.empty(), from, to, 0);
parentPort?.postMessage({ state: kind.toJson(r.state), bad: r.bad, notes: r.notes, lines: r.lines, covered: r.covered });

/** Worker thread: indexes one range of a log for refreshIndex, and posts the index back. */
import { parentPort, workerData } from "node:worker_threads";
import { encodeRange, type IndexKind, indexRange } from "./jsonl-index.js";
import { eventsIndex, itemsIndex } from "./jsonl-indexes.js";

const { kind: name, fd, from, to } = workerData as { kind: string; fd: number; from: number; to: number };
const kind = (name === eventsIndex.name ? eventsIndex : itemsIndex) as IndexKind<unknown>;
const r = indexRange(kind, fd, kind.empty(), from, to, 0);
const encoded = encodeRange(kind, r);
// Moved, not copied (a small buffer shares Node's pool, so it is copied into one of its own first).
const file = encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength ? encoded : new Uint8Array(encoded);
parentPort?.postMessage(file, [file.buffer as ArrayBuffer]);

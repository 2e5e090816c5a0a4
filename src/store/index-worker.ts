/**
 * Worker thread: indexes one range of a log for refreshIndex, and posts the index back in the
 * binary form of a saved index (typed columns, a string table), its buffer transferred, not
 * copied: structured-cloning the entries would hold them three times at once (here, in the
 * message, in the parent).
 */
import { parentPort, workerData } from "node:worker_threads";
import { ColumnWriter } from "./index-codec.js";
import { indexRange, type IndexKind, WORKER_FORMAT } from "./jsonl-index.js";
import { eventsIndex, itemsIndex } from "./jsonl-indexes.js";

const { kind: name, fd, from, to } = workerData as { kind: string; fd: number; from: number; to: number };
const kind = (name === eventsIndex.name ? eventsIndex : itemsIndex) as IndexKind<unknown>;
const { state, ...rest } = indexRange(kind, fd, kind.empty(), from, to, 0);
const out = new ColumnWriter();
kind.encode(state, out);
const file = out.file(WORKER_FORMAT, { kind: kind.name, ...rest });
// Its own ArrayBuffer (a large Buffer is never a slice of the shared pool), handed over whole.
const bytes = (file.byteOffset === 0 && file.byteLength === file.buffer.byteLength ? file : Buffer.from(file)).buffer as ArrayBuffer;
parentPort?.postMessage(bytes, [bytes]);

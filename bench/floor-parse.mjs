// The read floor as the plainest loop: read the whole file, JSON.parse every line, nothing else.
// Node cannot hold a string past 512 MiB; bench/floor-stream.mjs is the same loop on 4 MiB chunks.
import { readFileSync } from "node:fs";

const text = readFileSync(process.argv[2], "utf8");
let parsed = 0;
let start = 0;
for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
  JSON.parse(text.slice(start, nl));
  parsed += 1;
  start = nl + 1;
}
if (parsed === 0) process.exitCode = 1;

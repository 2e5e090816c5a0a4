// The read floor: read a JSONL file and JSON.parse every line, nothing else.
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

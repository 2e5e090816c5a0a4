// The stricter read floor: the same loop as floor-parse.mjs, streaming the file in 4 MiB chunks
// (which also reads logs larger than the largest string Node can hold, 512 MiB).
import { closeSync, openSync, readSync } from "node:fs";

const fd = openSync(process.argv[2], "r");
const chunk = Buffer.allocUnsafe(4 << 20);
let carry = null;
let parsed = 0;
for (let position = 0; ; ) {
  const read = readSync(fd, chunk, 0, chunk.length, position);
  if (read === 0) break;
  position += read;
  let start = 0;
  for (let nl = chunk.indexOf(10); nl !== -1 && nl < read; nl = chunk.indexOf(10, start)) {
    const line = carry ? Buffer.concat([carry, chunk.subarray(start, nl)]).toString() : chunk.toString("utf8", start, nl);
    carry = null;
    JSON.parse(line);
    parsed += 1;
    start = nl + 1;
  }
  if (start < read) carry = carry ? Buffer.concat([carry, chunk.subarray(start, read)]) : Buffer.from(chunk.subarray(start, read));
}
closeSync(fd);
if (parsed === 0) process.exitCode = 1;

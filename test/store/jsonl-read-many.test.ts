import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readAt, readManyAt } from "../../src/store/jsonl-file.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileOf(content: Buffer | string): number {
  const dir = mkdtempSync(join(tmpdir(), "backlog-read-many-"));
  dirs.push(dir);
  writeFileSync(join(dir, "f"), content);
  return openSync(join(dir, "f"), "r");
}

describe("readManyAt", () => {
  it("gives each span as readAt does: out of order, overlapping, multi-byte, past the end", () => {
    const fd = fileOf("héllo\nwörld\nthird line\n");
    const spans: Array<[number, number]> = [[14, 11], [0, 7], [3, 10], [7, 6], [20, 50], [60, 5], [0, 0]];
    try {
      expect(readManyAt(fd, spans)).toEqual(spans.map(([offset, bytes]) => readAt(fd, offset, bytes)));
    } finally {
      closeSync(fd);
    }
  });

  it("reads spans far apart one by one, with the same answers", () => {
    const content = Buffer.alloc(3 * 2 ** 20, 0x61);
    content.write("start\n", 0);
    content.write("end\n", content.length - 4);
    const fd = fileOf(content);
    const spans: Array<[number, number]> = [[content.length - 4, 4], [0, 6]];
    try {
      expect(readManyAt(fd, spans)).toEqual(["end\n", "start\n"]);
    } finally {
      closeSync(fd);
    }
  });
});

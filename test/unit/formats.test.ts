import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { toCsv, toMarkdown, toTsv } from "../../src/output/formats.js";
import { makeItem } from "../helpers/items.js";

describe("list formats", () => {
  const item = makeItem({ title: 'a, "b" | c', description: "x\r\ny\tz\\w\u001b[31m", tags: ["t1", "t,2"] });

  it("CSV: RFC 4180 quoting and CRLF, parsed back; escape sequences made visible", () => {
    const csv = toCsv([item], ["title", "description", "tags"]);
    expect(csv).toBe(`title,description,tags\r\n"a, ""b"" | c","x\r\ny\tz\\w\\x1b[31m","[""t1"",""t,2""]"\r\n`);
    const [row] = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(row.title).toBe('a, "b" | c');
    expect(JSON.parse(row.tags)).toEqual(["t1", "t,2"]);
  });

  it("TSV escapes backslash, tab, CR and LF", () => {
    expect(toTsv([item], ["description"])).toBe("description\nx\\r\\ny\\tz\\\\w\\\\x1b[31m\n");
  });

  it("markdown escapes pipes and turns line breaks into <br>", () => {
    expect(toMarkdown([item], ["title", "description"])).toBe("| title | description |\n| --- | --- |\n| a, \"b\" \\| c | x<br>y z\\\\w\\\\x1b[31m |\n");
  });
});

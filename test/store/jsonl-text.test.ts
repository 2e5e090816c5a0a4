/**
 * The text index (`.items.jsonl.text`) answers `list --search`, `--tag` and `--sort title` without
 * reading item lines. It is a cache: every answer must be the one the items themselves give
 * (queryItems over the store's full items), whether the index is warm, stale, extended by an
 * appended tail, corrupt, planted or a link.
 */
import { appendFileSync, existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { BacklogItem } from "../../src/domain/item.js";
import { type ItemFilter, matchesSearch, type Page, queryItems, searchNeedle, searchText } from "../../src/domain/query.js";
import { JsonlStore } from "../../src/store/jsonl-store.js";
import { makeItem } from "../helpers/items.js";
import { tempDir } from "../helpers/temp.js";

const open = (dir: string) => new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z") });
const textFile = (dir: string) => join(dir, ".items.jsonl.text");

/** A deterministic random source, so that a failure can be replayed. */
function randomSource(seed: number) {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return { next, pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] };
}

// Words whose case folding is not ASCII's: Turkish dotted I, final sigma, sharp s, the Kelvin sign,
// ligatures, an emoji (a surrogate pair), a lone surrogate (not valid UTF-8: read from its line).
const WORDS = ["Latency", "latency", "TLS", "tls", "İstanbul", "ΟΔΟΣ", "οδος", "Straße", "STRASSE", "\u212Aelvin", "kelvin", "ﬁle", "🚀Launch", "half\ud800", "Ünïcödé", "ünïcödé", "a%b_c", "quo\"te", "back\\slash", "new\nline", "del\x7fchar"];
const TAGS = ["auto", "Auto", "week:2026-W05", "week:2026-W06", "rule:x", "ÜBER", "über"];

function randomItem(r: ReturnType<typeof randomSource>, over: Partial<BacklogItem> = {}): BacklogItem {
  const words = (n: number) => Array.from({ length: n }, () => r.pick(WORDS)).join(" ");
  return makeItem({
    title: words(1 + Math.floor(r.next() * 3)),
    description: words(Math.floor(r.next() * 4)),
    service: r.pick(["gateway", "Payments", "edge-TLS"]),
    owner: r.pick(["oncall", "Team-Edge"]),
    priority: r.pick(["P0", "P1", "P2", "P3"]),
    status: r.pick(["open", "in_progress", "blocked", "done"]),
    tags: TAGS.filter(() => r.next() < 0.35),
    ...over,
  });
}

const QUERIES: Array<[ItemFilter, Page]> = [
  [{ search: "latency" }, { limit: null, offset: 0 }],
  [{ search: "LATENCY", statuses: ["open", "blocked"] }, { limit: 5, offset: 1 }],
  [{ search: "i̇stanbul" }, { limit: null, offset: 0 }],
  [{ search: "İSTANBUL" }, { limit: null, offset: 0 }],
  [{ search: "οδοσ" }, { limit: null, offset: 0 }],
  [{ search: "ς" }, { limit: null, offset: 0 }],
  [{ search: "straße" }, { limit: null, offset: 0 }],
  [{ search: "kelvin" }, { limit: null, offset: 0 }],
  [{ search: "🚀" }, { limit: null, offset: 0 }],
  [{ search: "half" }, { limit: null, offset: 0 }],
  [{ search: "\ud800" }, { limit: null, offset: 0 }],
  [{ search: "e l" }, { limit: null, offset: 0 }],
  [{ search: "w\nl" }, { limit: null, offset: 0 }],
  [{ search: "del\x7fchar" }, { limit: null, offset: 0 }],
  [{ search: "\x7f" }, { limit: null, offset: 0 }],
  [{ search: "" }, { limit: 7, offset: 0 }],
  [{ search: "payments" }, { limit: null, offset: 0 }],
  [{ search: "team-edge" }, { limit: null, offset: 0 }],
  [{ search: "bl_0" }, { limit: 10, offset: 0 }],
  [{ search: "manual:" }, { limit: 10, offset: 3 }],
  [{ search: "week:2026-w05" }, { limit: null, offset: 0 }],
  [{ search: "auto\x7fweek" }, { limit: null, offset: 0 }],
  [{ tags: ["auto"] }, { limit: null, offset: 0 }],
  [{ tags: ["Auto", "über"] }, { limit: null, offset: 0 }],
  [{ tags: ["nowhere"] }, { limit: null, offset: 0 }],
  [{ tags: ["auto"], search: "tls" }, { limit: null, offset: 0, sort: [{ key: "title", desc: false }] }],
  [{}, { limit: null, offset: 0, sort: [{ key: "title", desc: false }] }],
  [{}, { limit: 10, offset: 5, sort: [{ key: "title", desc: true }] }],
  [{}, { limit: 3, offset: 0, sort: [{ key: "title", desc: false }] }],
  [{ statuses: ["open", "done"] }, { limit: 4, offset: 7, sort: [{ key: "title", desc: false }, { key: "priority", desc: true }] }],
  [{ search: "l" }, { limit: 2, offset: 1, sort: [{ key: "title", desc: true }, { key: "created", desc: false }] }],
  [{ tags: ["auto"] }, { limit: 1, offset: 0, sort: [{ key: "title", desc: false }] }],
  [{ statuses: ["open"] }, { limit: null, offset: 0, sort: [{ key: "priority", desc: false }, { key: "title", desc: true }] }],
  [{ priority: ["P0", "P1"] }, { limit: null, offset: 0, sort: [{ key: "title", desc: false }, { key: "updated", desc: true }] }],
];

/** What the items themselves answer: the pure query over every latest item. */
async function expected(dir: string, filter: ItemFilter, page: Page) {
  const store = open(dir);
  const { items } = await store.dump();
  await store.close("failed");
  const { items: page_, total } = queryItems(items, filter, page);
  return { ids: page_.map((i) => i.id), total };
}

async function answered(dir: string, filter: ItemFilter, page: Page) {
  const store = open(dir);
  const { items, total } = await store.listItems(filter, page);
  await store.close("ok");
  return { ids: items.map((i) => i.id), total };
}

async function expectSameAnswers(dir: string) {
  for (const [filter, page] of QUERIES) {
    expect(await answered(dir, filter, page), JSON.stringify([filter, page])).toEqual(await expected(dir, filter, page));
  }
}

async function randomStore(n = 60, seed = 7) {
  const dir = tempDir();
  const r = randomSource(seed);
  const items = Array.from({ length: n }, () => randomItem(r));
  const store = open(dir);
  await store.write(async (tx) => {
    for (const item of items) tx.putItem(item);
  });
  await store.close("ok");
  return { dir, items, r };
}

/** Builds and saves the text index (a title sort needs it). */
async function warm(dir: string) {
  await answered(dir, {}, { limit: 1, offset: 0, sort: [{ key: "title", desc: false }] });
  expect(existsSync(textFile(dir))).toBe(true);
}

/**
 * Rewrites the saved titles as given (sections re-checksummed, so the file is valid): a query
 * whose order follows them shows the file was used; one that does not, that it was ignored.
 */
function plantTitles(dir: string, title: (old: string, k: number) => string) {
  const file = readFileSync(textFile(dir));
  const nl = file.indexOf(0x0a);
  const header = JSON.parse(file.subarray(0, nl).toString("utf8"));
  const parts: Buffer[] = [];
  let at = nl + 1;
  for (const size of header.sizes) {
    parts.push(file.subarray(at, at + size));
    at += size;
  }
  // Sections: offs, starts, texts, titleStarts, titles (UTF-8), byTitle, …
  const starts = new Float64Array(new Uint8Array(parts[3]).buffer);
  const old = Array.from({ length: header.count }, (_, k) => parts[4].toString("utf8", starts[k], starts[k + 1]));
  const titles = old.map(title);
  const bytes = titles.map((t) => Buffer.from(t));
  const newStarts = new Float64Array(titles.length + 1);
  bytes.forEach((b, k) => (newStarts[k + 1] = newStarts[k] + b.length));
  parts[3] = Buffer.from(newStarts.buffer);
  parts[4] = Buffer.concat(bytes);
  const byTitle = Float64Array.from(titles.keys()).sort((a, b) => (titles[a] < titles[b] ? -1 : titles[a] > titles[b] ? 1 : a - b));
  parts[5] = Buffer.from(byTitle.buffer);
  header.sizes = parts.map((p) => p.length);
  header.crcs = parts.map((p) => crc32(p));
  writeFileSync(textFile(dir), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...parts]));
}

const TITLE_ORDER: Page = { limit: null, offset: 0, sort: [{ key: "title", desc: false }] };
const byTitle = (dir: string) => answered(dir, {}, TITLE_ORDER);

/**
 * A store whose saved text index is valid but lies (titles in reverse): shown to be used, so that
 * a test that then gets the true order shows the file was ignored.
 */
async function plantedStore() {
  const { dir, items, r } = await randomStore(30);
  await warm(dir);
  plantTitles(dir, (_old, k) => `${String(1000 - k)}`);
  expect((await byTitle(dir)).ids).not.toEqual((await expected(dir, {}, TITLE_ORDER)).ids);
  return { dir, items, r };
}

async function expectTrueAnswers(dir: string) {
  expect((await byTitle(dir)).ids).toEqual((await expected(dir, {}, TITLE_ORDER)).ids);
  await expectSameAnswers(dir);
}

describe("search text (domain)", () => {
  it("holds a needle exactly when matchesSearch does", () => {
    const r = randomSource(3);
    for (let i = 0; i < 300; i += 1) {
      const item = randomItem(r);
      for (const word of [...WORDS, ...TAGS, "a", "E L", "\x7f", "ς", ""]) {
        const needle = searchNeedle(word);
        if (needle !== null) expect(searchText(item).includes(needle), `${item.title} / ${word}`).toBe(matchesSearch(item, word));
      }
    }
  });

  it("has no needle for a search holding the field break", () => {
    expect(searchNeedle("a\x7fb")).toBeNull();
    expect(searchNeedle("ABC")).toBe("abc");
  });
});

describe("text index", () => {
  it("answers as the items do: cold, then warm from the saved file", async () => {
    const { dir } = await randomStore();
    await expectSameAnswers(dir);
    expect(existsSync(textFile(dir))).toBe(true);
    await expectSameAnswers(dir);
  });

  it("is used while the log is unchanged", async () => {
    await plantedStore();
  });

  it("follows appended items and edits whose title, tags or text changed", async () => {
    const { dir, items, r } = await randomStore();
    await warm(dir);
    const writer = open(dir);
    await writer.write(async (tx) => {
      for (const item of items.slice(0, 15)) tx.putItem({ ...item, title: `Renamed ${r.pick(WORDS)}`, tags: [r.pick(TAGS)], description: r.pick(WORDS) });
      for (let i = 0; i < 10; i += 1) tx.putItem(randomItem(r));
    });
    await writer.close("ok");
    await expectSameAnswers(dir);
    // Saved again once extended, then used: still the same answers.
    await expectSameAnswers(dir);
  });

  it("is saved again once extended by enough, merging the saved records with the appended ones", async () => {
    const { dir, items, r } = await randomStore();
    await warm(dir);
    const before = readFileSync(textFile(dir));
    const writer = open(dir);
    await writer.write(async (tx) => {
      for (let round = 0; round < 4; round += 1) {
        for (const item of items.slice(0, 40)) tx.putItem({ ...item, title: `${r.pick(WORDS)} ${round}`, description: "x".repeat(400), tags: [r.pick(TAGS)] });
      }
      for (let i = 0; i < 20; i += 1) tx.putItem(randomItem(r));
    });
    await writer.close("ok");
    await warm(dir);
    expect(readFileSync(textFile(dir)).equals(before)).toBe(false);
    await expectSameAnswers(dir);
  });

  it("follows writes in a long-lived process (serve), its own and another's", async () => {
    const { dir, items, r } = await randomStore(30);
    await warm(dir);
    const served = open(dir);
    served.keepOpen();
    const ask = async () => {
      for (const [filter, page] of QUERIES) {
        const { items: got, total } = await served.listItems(filter, page);
        expect({ ids: got.map((i) => i.id), total }, JSON.stringify([filter, page])).toEqual(await expected(dir, filter, page));
      }
    };
    await ask();
    await served.write(async (tx) => tx.putItem({ ...items[0], title: "Latency renamed", tags: ["auto"] }));
    await ask();
    const other = open(dir);
    await other.write(async (tx) => {
      tx.putItem({ ...items[1], title: "zz latency" });
      tx.putItem(randomItem(r));
    });
    await other.close("ok");
    await ask();
    await served.close("ok");
  });

  it("pages a title sort through many equal titles as the items do", async () => {
    const dir = tempDir();
    const r = randomSource(11);
    const store = open(dir);
    await store.write(async (tx) => {
      for (let i = 0; i < 80; i += 1) tx.putItem(randomItem(r, { title: r.pick(["b", "a", "B", "ä", "a "]), created_at: `2026-02-0${1 + (i % 9)}T00:00:00.000Z` }));
    });
    await store.close("ok");
    await warm(dir);
    for (const desc of [false, true]) {
      for (const [offset, limit] of [[0, 1], [0, 5], [3, 10], [15, 2], [30, 30], [79, 5]]) {
        for (const sort of [[{ key: "title" as const, desc }], [{ key: "title" as const, desc }, { key: "priority" as const, desc: !desc }]]) {
          for (const filter of [{}, { priority: ["P0", "P1"] }, { search: "a" }]) {
            const page = { limit, offset, sort };
            expect(await answered(dir, filter, page), JSON.stringify([filter, page])).toEqual(await expected(dir, filter, page));
          }
        }
      }
    }
  });

  it("searches texts longer than a part of the index, and up to a part's edges, as the items do: built, saved, read back a part at a time, merged", async () => {
    const dir = tempDir();
    const r = randomSource(5);
    // Descriptions from 40 KB to 1.2 MB (the index holds texts in parts of a MiB; a longer one has its own).
    const filler = (kb: number) => "é".repeat(kb * 256) + "x".repeat(kb * 512);
    const big = (i: number) =>
      makeItem({
        title: i % 3 === 0 ? `barstart ${i}` : `title ${i} ${r.pick(WORDS)}`,
        description: `${i % 2 === 0 ? "latency " : ""}${filler([40, 700, 1200, 300, 950, 1024][i % 6])}${i % 4 === 0 ? " needle" : ""}`,
        tags: i % 3 === 2 ? ["rule:x", "endfoo"] : ["auto"],
      });
    const store = open(dir);
    await store.write(async (tx) => {
      // Two short texts side by side in a part: one ends as the other starts.
      tx.putItem(makeItem({ title: "short", tags: ["endfoo"] }));
      tx.putItem(makeItem({ title: "barstart short" }));
      for (let i = 0; i < 9; i += 1) tx.putItem(big(i));
    });
    await store.close("ok");
    const queries: Array<[ItemFilter, Page]> = [
      [{ search: "needle" }, { limit: null, offset: 0 }],
      [{ search: "latency" }, { limit: 3, offset: 1 }],
      [{ search: "éx" }, { limit: null, offset: 0 }],
      // The end of one record's text and the start of the next: no item holds it.
      [{ search: "endfoo\x7f" }, { limit: null, offset: 0 }],
      [{ search: "foobarstart" }, { limit: null, offset: 0 }],
      [{ search: "endfoobarstart" }, { limit: null, offset: 0 }],
      [{ tags: ["endfoo"] }, { limit: null, offset: 0, sort: [{ key: "title", desc: true }] }],
      [{ search: "x" }, { limit: 4, offset: 2, sort: [{ key: "title", desc: false }] }],
    ];
    const same = async () => {
      for (const [filter, page] of queries) expect(await answered(dir, filter, page), JSON.stringify([filter, page])).toEqual(await expected(dir, filter, page));
    };
    expect((await expected(dir, { search: "needle" }, { limit: null, offset: 0 })).total).toBe(3);
    await same();
    expect(existsSync(textFile(dir))).toBe(true);
    await same();
    const writer = open(dir);
    await writer.write(async (tx) => {
      for (let i = 9; i < 16; i += 1) tx.putItem(big(i));
    });
    await writer.close("ok");
    await same();
    await same();
  });

  it("with saved indexes off, holds what each query reads, and answers as the items do in a long-lived process", async () => {
    const { dir, items, r } = await randomStore(30);
    const served = new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z"), savedIndexes: false });
    served.keepOpen();
    const ask = async (queries: Array<[ItemFilter, Page]>) => {
      for (const [filter, page] of queries) {
        const { items: got, total } = await served.listItems(filter, page);
        expect({ ids: got.map((i) => i.id), total }, JSON.stringify([filter, page])).toEqual(await expected(dir, filter, page));
      }
    };
    // One section at a time, then all of them in every order.
    await ask([QUERIES[0], [{}, TITLE_ORDER], QUERIES[22]]);
    await ask(QUERIES);
    await served.write(async (tx) => tx.putItem({ ...items[0], title: "Latency renamed", tags: ["auto"] }));
    await ask([...QUERIES].reverse());
    const other = open(dir);
    await other.write(async (tx) => tx.putItem(randomItem(r)));
    await other.close("ok");
    await ask(QUERIES);
    await served.close("ok");
    expect(existsSync(textFile(dir))).toBe(false);
  });

  it("sorts titles as the items do, with and without characters beyond the BMP (UTF-8 and UTF-16 orders differ there)", async () => {
    const plain = ["\ue000", "\ufffd", "ｚ", "a", "Z", "é", "a b", "ab", "", "ab", "\u00ff", "\u0800"];
    for (const titles of [plain, [...plain, "🚀", "\u{1F600}x", "\ud7ff"]]) {
      const dir = tempDir();
      const store = open(dir);
      await store.write(async (tx) => {
        for (const title of [...titles, ...titles]) tx.putItem(makeItem({ title }));
      });
      await store.close("ok");
      for (let round = 0; round < 2; round += 1) {
        for (const desc of [false, true]) {
          for (const [offset, limit] of [[0, null], [0, 3], [5, 4]] as const) {
            const page = { limit, offset, sort: [{ key: "title" as const, desc }] };
            expect(await answered(dir, {}, page), JSON.stringify([titles, page])).toEqual(await expected(dir, {}, page));
          }
        }
      }
      expect(existsSync(textFile(dir))).toBe(true);
    }
  });

  it("is rebuilt after compaction removed items", async () => {
    const { dir } = await plantedStore();
    const store = open(dir);
    const report = await store.cleanup({ cutoff: "2099-01-01T00:00:00.000Z", dryRun: false });
    await store.close("ok");
    expect(report).toBeTruthy();
    await expectTrueAnswers(dir);
  });

  it("is rebuilt after an edit in place of an item line (same size)", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.write(async (tx) => {
      tx.putItem(makeItem({ id: "bl_000000000001", title: "alpha latency" }));
      tx.putItem(makeItem({ id: "bl_000000000002", title: "bravo" }));
    });
    await store.close("ok");
    await warm(dir);
    plantTitles(dir, (old) => (old === "bravo" ? "zz" : old));
    expect((await byTitle(dir)).ids).toEqual(["bl_000000000001", "bl_000000000002"]);
    const items = join(dir, "items.jsonl");
    writeFileSync(items, readFileSync(items, "utf8").replace("alpha latency", "zulu latenzy"));
    await expectSameAnswers(dir);
    expect((await byTitle(dir)).ids).toEqual(["bl_000000000002", "bl_000000000001"]);
    expect((await answered(dir, { search: "latency" }, { limit: null, offset: 0 })).total).toBe(0);
  });

  it("ignores a corrupt file (a byte changed in a section or the header) and rebuilds it", async () => {
    for (const where of ["titles", "header"]) {
      const { dir } = await plantedStore();
      const file = readFileSync(textFile(dir));
      const nl = file.indexOf(0x0a);
      const header = JSON.parse(file.subarray(0, nl).toString("utf8"));
      const titlesAt = nl + 1 + header.sizes.slice(0, 4).reduce((a: number, b: number) => a + b, 0);
      // A digit of the first planted title, or of the header's covered offset.
      const at = where === "titles" ? titlesAt + 1 : file.indexOf('"covered":') + 10;
      file[at] = file[at] === 0x31 ? 0x32 : 0x31;
      writeFileSync(textFile(dir), file);
      await expectTrueAnswers(dir);
    }
  });

  it("ignores search texts changed on disk (read a part at a time, their CRC checked before any answer)", async () => {
    const { dir } = await randomStore(40);
    await warm(dir);
    const file = readFileSync(textFile(dir));
    const nl = file.indexOf(0x0a);
    const header = JSON.parse(file.subarray(0, nl).toString("utf8"));
    const textsAt = nl + 1 + header.sizes[0] + header.sizes[1];
    const texts = file.subarray(textsAt, textsAt + header.sizes[2]);
    expect(texts.indexOf("latency")).toBeGreaterThanOrEqual(0);
    for (let at = texts.indexOf("latency"); at !== -1; at = texts.indexOf("latency", at + 1)) texts.write("latenzy", at);
    writeFileSync(textFile(dir), file);
    await expectSameAnswers(dir);
    expect((await answered(dir, { search: "latency" }, { limit: null, offset: 0 })).total).toBeGreaterThan(0);
  });

  it("ignores a truncated file, a header alone, and garbage", async () => {
    const { dir } = await plantedStore();
    const file = readFileSync(textFile(dir));
    for (const bad of [file.subarray(0, file.length - 100), file.subarray(0, file.indexOf(0x0a) + 1), Buffer.from("not an index"), Buffer.alloc(0)]) {
      writeFileSync(textFile(dir), bad);
      await expectTrueAnswers(dir);
    }
  });

  it("ignores a file planted from another store", async () => {
    const { dir } = await randomStore(30, 1);
    const { dir: other } = await plantedStore();
    writeFileSync(textFile(dir), readFileSync(textFile(other)));
    await expectTrueAnswers(dir);
  });

  it("ignores a symbolic link, and replaces it with a file of its own on save", async () => {
    const { dir } = await plantedStore();
    renameSync(textFile(dir), join(dir, "planted"));
    symlinkSync(join(dir, "planted"), textFile(dir));
    expect((await byTitle(dir)).ids).toEqual((await expected(dir, {}, { limit: null, offset: 0, sort: [{ key: "title", desc: false }] })).ids);
    expect(lstatSync(textFile(dir)).isSymbolicLink()).toBe(false);
  });

  it("is not written by plain reads, nor with saved indexes off", async () => {
    const { dir } = await randomStore(10);
    await answered(dir, {}, { limit: null, offset: 0 });
    expect(existsSync(textFile(dir))).toBe(false);
    const store = new JsonlStore({ dir, warn: () => undefined, now: () => new Date(), savedIndexes: false });
    await store.listItems({ search: "a" }, { limit: null, offset: 0 });
    await store.close("ok");
    expect(existsSync(textFile(dir))).toBe(false);
  });

  // A one-command process builds into an unnamed file of its own and copies that into place; a
  // long-lived one builds in memory. Both must save the very same sections.
  it("a first build is saved as a long-lived process saves it, and leaves no other file behind", async () => {
    const { dir } = await randomStore(200, 11);
    const before = readdirSync(dir).sort();
    await warm(dir);
    expect(readdirSync(dir).sort()).toEqual([...before, ".items.jsonl.text"].sort());
    const spooled = readFileSync(textFile(dir));
    rmSync(textFile(dir));
    const served = open(dir);
    served.keepOpen();
    await served.listItems({ search: "latency" }, { limit: null, offset: 0 });
    await served.close("ok");
    const built = readFileSync(textFile(dir));
    const sections = (file: Buffer) => {
      const nl = file.indexOf(0x0a);
      const { sizes, crcs, count, covered, crc } = JSON.parse(file.subarray(0, nl).toString("utf8"));
      return { head: { sizes, crcs, count, covered, crc }, body: file.subarray(nl + 1) };
    };
    expect(sections(spooled).head).toEqual(sections(built).head);
    expect(sections(spooled).body.equals(sections(built).body)).toBe(true);
    await expectSameAnswers(dir);
  });

  it("reads lines it cannot parse as the log does (unreadable lines skipped)", async () => {
    const { dir } = await randomStore(10);
    await warm(dir);
    appendFileSync(join(dir, "items.jsonl"), "{not json\n");
    await expectSameAnswers(dir);
  });
});

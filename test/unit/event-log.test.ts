import { describe, expect, it } from "vitest";
import { NewestEvents, newestFirst } from "../../src/domain/event-log.js";

/** A small deterministic generator (mulberry32), so that a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("NewestEvents", () => {
  it("keeps exactly what sorting every event and taking the first `limit` keeps, ties by store order", () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const next = random(seed);
      const count = Math.floor(next() * 300);
      // Few distinct instants: many events share one, so the store order decides.
      const events = Array.from({ length: count }, (_, order) => ({ event: { id: `e${order}`, ts: `2026-01-0${1 + Math.floor(next() * 5)}T00:00:00.000Z` }, order }));
      for (const limit of [0, 1, 2, 7, 50, count, count + 3]) {
        const newest = new NewestEvents<{ id: string; ts: string }>(limit);
        for (const { event, order } of events) newest.push(event, order);
        expect(newest.newestFirst().map((e) => e.id), `seed ${seed}, limit ${limit}`).toEqual(newestFirst([...events], limit).map((e) => e.id));
      }
    }
  });

  it("keeps the newest when they come last, first or in between", () => {
    const at = (day: number, order: number) => ({ event: { id: `d${day}o${order}`, ts: `2026-02-${String(day).padStart(2, "0")}` }, order });
    for (const days of [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [3, 6, 1, 5, 2, 4]]) {
      const newest = new NewestEvents<{ id: string; ts: string }>(3);
      days.forEach((day, order) => newest.push(at(day, order).event, order));
      expect(newest.newestFirst().map((e) => e.ts)).toEqual(["2026-02-06", "2026-02-05", "2026-02-04"]);
    }
  });
});

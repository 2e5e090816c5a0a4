/** SeenIds keeps canonical event ids as numbers: it must still tell every two different ids apart. */
import { describe, expect, it } from "vitest";
import { SeenIds } from "../../src/store/seen-ids.js";

describe("SeenIds", () => {
  it("is true for an id's first meeting only, canonical or not", () => {
    const seen = new SeenIds();
    const ids = ["ev_000000000000", "ev_00000000000a", "ev_ffffffffffff", "ev_00000000000A", "EV_00000000000a", "ev_0000000000a", "ev_0x000000000a", "legacy-1", ""];
    expect(ids.map((id) => seen.first(id))).toEqual(ids.map(() => true));
    expect(ids.map((id) => seen.first(id))).toEqual(ids.map(() => false));
  });
});

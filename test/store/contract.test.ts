import { JsonlStore } from "../../src/store/jsonl-store.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { tempDir } from "../helpers/temp.js";
import { storeContract } from "./contract.js";

storeContract("memory", async () => {
  const store = new MemoryStore();
  return { store, reopen: async () => store };
});

storeContract("jsonl", async () => {
  const dir = tempDir();
  const open = () => new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z"), savedIndexes: false });
  return { store: open(), reopen: async () => open() };
});

// The same, where every reopened store starts from the index its predecessor saved.
storeContract("jsonl, reopened through saved indexes", async () => {
  const dir = tempDir();
  let current = new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z") });
  return {
    store: current,
    reopen: async () => {
      // A read first, so that the index is built; a store that wrote never saves one.
      const reader = new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z") });
      await reader.listItems({}, { limit: null, offset: 0 });
      await reader.listEvents("bl_000000000000");
      await reader.close("ok");
      current = new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z") });
      return current;
    },
  };
});

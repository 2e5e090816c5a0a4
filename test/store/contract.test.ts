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
  const open = () => new JsonlStore({ dir, warn: () => undefined, now: () => new Date("2026-02-16T06:20:00Z") });
  return { store: open(), reopen: async () => open() };
});

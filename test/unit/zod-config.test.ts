import { describe, expect, it } from "vitest";

// src/cli.ts turns zod's JIT off before zod is loaded, through the object zod adopts as its
// settings: this checks that zod still keeps them there.
describe("zod settings", () => {
  it("zod's config is the object at globalThis.__zod_globalConfig", async () => {
    const holder = globalThis as { __zod_globalConfig?: Record<string, unknown> };
    (holder.__zod_globalConfig ??= {}).backlogProbe = true;
    const { config } = await import("zod");
    expect(config()).toBe(holder.__zod_globalConfig);
    expect((config() as Record<string, unknown>).backlogProbe).toBe(true);
    delete holder.__zod_globalConfig?.backlogProbe;
  });
});

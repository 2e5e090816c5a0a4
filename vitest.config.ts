import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    globalSetup: ["test/setup/postgres.ts"],
    // End-to-end tests spawn the built CLI; concurrency and crash tests spawn many.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

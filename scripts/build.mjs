// Bundles the CLI (dist/backlog.js): one module to load at start-up, no resolution of hundreds of
// files. The native lock addon stays in node_modules.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

await build({
  // The indexing worker is an entry of its own: a Worker is started from a file.
  entryPoints: { backlog: "src/cli.ts", "index-worker": "src/store/index-worker.ts" },
  outdir: "dist",
  // Code behind dynamic import() (the PostgreSQL driver) goes to chunks loaded only when used.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["fs-native-extensions", "pg-native"],
  define: { __BACKLOG_VERSION__: JSON.stringify(pkg.version), __BACKLOG_BUILD__: "true" },
  // Bundled CommonJS dependencies call require(): give the ES module one.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  sourcemap: "linked",
  // The board pages are hono/jsx components (.tsx): the automatic runtime from hono/jsx.
  jsx: "automatic",
  jsxImportSource: "hono/jsx",
  logLevel: "warning",
});

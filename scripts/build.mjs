// Builds dist/ from a clean directory:
// - dist/launch.cjs: the launcher bin/backlog runs (src/launch.ts), small, CommonJS;
// - dist/backlog.cjs: the whole CLI as one CommonJS bundle (no ES module loader, no chunks to
//   resolve; code behind import() is still initialised only when first used), ending in its
//   build key;
// - dist/complete.cjs: the completion of item ids, run by the launcher without the CLI;
// - dist/index-worker.js: the indexing worker (a Worker is started from a file);
// - dist/backlog.cjs.cache, dist/backlog.cjs.read.cache: V8 code caches of the bundle (every
//   command; the read commands alone), written by scripts/code-cache.mjs.
// The native lock addon stays in node_modules.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const dist = new URL("../dist/", import.meta.url);
rmSync(dist, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external: ["fs-native-extensions", "pg-native"],
  define: { __BACKLOG_VERSION__: JSON.stringify(pkg.version), __BACKLOG_BUILD__: "true" },
  sourcemap: "linked",
  // The board pages are hono/jsx components (.tsx): the automatic runtime from hono/jsx.
  jsx: "automatic",
  jsxImportSource: "hono/jsx",
  logLevel: "warning",
};

/** Commander loads child_process for executable subcommands, which backlog has none of: on first use only. */
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(b) {
    b.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
      const text = readFileSync(path, "utf8");
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error(`${path}: commander no longer loads child_process as expected`);
      return { contents: text.replace(eager, "const childProcess = { get spawn() { return require('node:child_process').spawn; } };"), loader: "js" };
    });
  },
};

/** zod's fromJSONSchema (never used here) spreads every schema constructor at load: not bundled. */
const noZodFromJsonSchema = {
  name: "no-zod-from-json-schema",
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]classic[\\/]from-json-schema\.cjs$/ }, () => ({
      contents: 'exports.fromJSONSchema = function fromJSONSchema() { throw new Error("fromJSONSchema is not bundled with backlog"); };',
      loader: "js",
    }));
  },
};

/** zod's locales other than English (a fifth of the bundle, read and instantiated at each start) are never used. */
const onlyEnglishZodLocale = {
  name: "only-english-zod-locale",
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.cjs$/ }, ({ path }) => {
      if (!readFileSync(path, "utf8").includes('var en_js_1 = require("./en.cjs");')) throw new Error(`${path}: zod's locales are no longer listed as expected`);
      return { contents: 'var en = require("./en.cjs"); exports.en = en && en.__esModule ? en.default : en;', loader: "js", resolveDir: dirname(path) };
    });
  },
};

/**
 * Every `import` of zod (and of its subpaths, by @hono/zod-openapi and zod-to-openapi) resolves to
 * zod's CommonJS build, which `require("zod")` (src/commands/kit.ts, src/policy/schema.ts: zod
 * loaded on first use) gives: one zod in the bundle. Bundled as ES modules, zod's namespaces
 * (about 1,000 getters) were built at every start, by commands that never use zod; as CommonJS
 * they are built when zod is first required.
 */
const oneZod = {
  name: "one-zod",
  setup(b) {
    b.onResolve({ filter: /^zod(\/.*)?$/ }, (args) =>
      args.kind === "require-call" ? undefined : b.resolve(args.path, { kind: "require-call", resolveDir: args.resolveDir }),
    );
  },
};

const cjs = {
  ...common,
  format: "cjs",
  plugins: [lazyChildProcess, noZodFromJsonSchema, onlyEnglishZodLocale, oneZod],
  // import.meta.url (the worker's and the addon's location) from the bundle's own path.
  define: { ...common.define, "import.meta.url": "__backlog_import_meta_url" },
  banner: { js: 'var __backlog_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
};

await Promise.all([
  // Blanks and syntax minified (the file is read at every start), names kept for stacks.
  build({ ...cjs, entryPoints: ["src/cli.ts"], outfile: "dist/backlog.cjs", minifyWhitespace: true, minifySyntax: true }),
  build({ ...cjs, entryPoints: ["src/launch.ts"], outfile: "dist/launch.cjs", sourcemap: false }),
  build({ ...cjs, entryPoints: ["src/commands/complete-ids.ts"], outfile: "dist/complete.cjs", sourcemap: false }),
  build({
    ...common,
    entryPoints: ["src/store/index-worker.ts"],
    outfile: "dist/index-worker.js",
    format: "esm",
    // Bundled CommonJS dependencies call require(): give the ES module one.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  }),
]);

// The launcher reads the bundle as latin1 (faster than UTF-8): esbuild writes ASCII only, checked here.
const bundle = new URL("backlog.cjs", dist);
if (readFileSync(bundle).some((byte) => byte > 0x7f)) throw new Error("dist/backlog.cjs is not ASCII");

// The build key ties the code cache to this very bundle.
const key = createHash("sha256").update(readFileSync(bundle)).digest("hex");
appendFileSync(bundle, `\n//# backlog-build=${key}\n`);

// Without a cache the CLI still runs (compiled from source at each start), so a failure here does
// not fail the build; test/e2e/startup.test.ts fails instead. The cache of every command first:
// the read cache's store is written by commands that use it.
for (const which of [[], ["read"]]) {
  const cache = spawnSync(process.execPath, [fileURLToPath(new URL("./code-cache.mjs", import.meta.url)), ...which], { stdio: "inherit" });
  if (cache.status !== 0) console.warn(`warning: scripts/code-cache.mjs ${which.join(" ")} failed (exit ${cache.status}): dist/ lacks a code cache, start-up is slower`);
}

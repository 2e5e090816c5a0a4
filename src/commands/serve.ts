/** `backlog serve`: the HTTP API over the store, until SIGINT/SIGTERM stop it gracefully. */
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import * as z from "zod";
import { invalidInput } from "../errors.js";
import { createApp } from "../http/app.js";
import { readTokens, resolveTokensFile } from "../service/tokens.js";
import { examples, parseOptions, type Register } from "./kit.js";

declare const __BACKLOG_VERSION__: string;
const VERSION = typeof __BACKLOG_VERSION__ === "string" ? __BACKLOG_VERSION__ : "0.0.0-dev";

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;

const serveOptions = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number({ error: "expected a port number" }).int("expected a port number").min(0).max(65535, "must be ≤ 65535").default(8787),
  tokens: z.string().min(1).optional(),
  readOnly: z.boolean().optional(),
});

export const registerServe: Register = (program, run) => {
  program
    .command("serve")
    .description("serve the store over HTTP (the /v1 API); stops gracefully on SIGINT/SIGTERM")
    .option("--host <address>", "address to bind (non-loopback needs --tokens)", "127.0.0.1")
    .option("--port <n>", "port (0 = any free one)", "8787")
    .option("--tokens <file>", "API tokens file (default $BACKLOG_TOKENS_FILE, else config/backlog_tokens.json when present)")
    .option("--read-only", "refuse every write with 403")
    .addHelpText("after", examples(["backlog serve --port 8787", "backlog serve --host 0.0.0.0 --tokens /etc/backlog/tokens.json"]))
    .action(
      run(async (ctx, _args, opts) => {
        const o = parseOptions(serveOptions, opts, "serve");
        const file = resolveTokensFile(o.tokens, ctx.env, ctx.cwd);
        const tokens = file === undefined ? undefined : readTokens(file);
        if (tokens === undefined && !LOOPBACK.test(o.host)) {
          throw invalidInput(`refusing to serve ${o.host} without tokens`, "Make a token with `backlog token add ACTOR` and pass --tokens FILE, or bind 127.0.0.1.", "invalid_usage");
        }
        const app = createApp({
          store: ctx.store,
          policy: ctx.policy,
          now: ctx.now,
          actor: ctx.service.deps.actor,
          actorExplicit: ctx.actorExplicit,
          tokens,
          readOnly: o.readOnly === true,
          version: VERSION,
          cwd: ctx.cwd,
          env: ctx.env,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        // Index the store (items, and events for `get`) before the first request, not during it;
        // a store that cannot be read now is reported per request (and by /healthz) instead.
        await Promise.all([ctx.store.listItems({}, { limit: 1, offset: 0 }), ctx.store.listEvents("")]).catch(() => undefined);
        await new Promise<void>((resolveStopped, reject) => {
          const server = serve({ fetch: app.fetch, hostname: o.host, port: o.port, serverOptions: { maxHeaderSize: 16 * 1024 } }, (info) => {
            const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
            process.stderr.write(`backlog: serving http://${host}:${info.port} (${tokens === undefined ? `no tokens, acting as ${ctx.service.deps.actor}` : `${tokens.length} token(s)`}${o.readOnly ? ", read-only" : ""})\n`);
          }) as Server;
          server.requestTimeout = 30_000;
          server.headersTimeout = 10_000;
          server.on("error", (error) => reject(invalidInput(`cannot listen on ${o.host}:${o.port}: ${error.message}`, "Pick another --port (or --port 0 for any free one).", "listen_failed")));
          const stop = () => {
            process.off("SIGTERM", stop);
            process.off("SIGINT", stop);
            server.close(() => resolveStopped());
            server.closeIdleConnections();
          };
          process.on("SIGTERM", stop);
          process.on("SIGINT", stop);
        });
        return { data: null, raw: "", human: () => "" };
      }),
    );
};

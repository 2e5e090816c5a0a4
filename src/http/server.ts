/**
 * The server's lifecycle: listen on a host and port with timeouts and a header limit, refuse a
 * non-loopback address without tokens, stop gracefully. The serve command only parses flags,
 * opens the store, calls startServer and wires signals.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { invalidInput } from "../errors.js";
import { createApp, type AppDeps } from "./app.js";

export interface ServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
}

export interface RunningServer {
  /** http://HOST:PORT as bound (the real port when 0 was asked). */
  url: string;
  /** Stops accepting connections, lets requests in flight finish, resolves when all are closed. */
  close: () => Promise<void>;
}

export const MAX_HEADER_BYTES = 16 * 1024;
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 10_000;

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;

/** True when the address is a loopback one (the only kind served without tokens). */
export const isLoopbackHost = (host: string): boolean => LOOPBACK.test(host);

/**
 * Access-log lines gathered while the event loop is busy and written together once it turns
 * (one write per batch, not one per request); `flush` writes what is left.
 */
function batchedLog(write: (lines: string) => void): { line: (line: string) => void; flush: () => void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    write(lines.join("\n"));
  };
  return {
    line: (line) => {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

export async function startServer(deps: AppDeps, options: ServerOptions): Promise<RunningServer> {
  if (deps.tokens === undefined && !isLoopbackHost(options.host)) {
    throw invalidInput(`refusing to serve ${options.host} without tokens`, "Make a token with `backlog token add ACTOR` and pass --tokens FILE, or bind 127.0.0.1.", "invalid_usage");
  }
  const log = deps.log === undefined ? undefined : batchedLog(deps.log);
  const app = createApp({ ...deps, log: log?.line });
  deps.store.keepOpen?.();
  // Index the store (items, and events for `get`) before the first request, not during it; a
  // store that cannot be read now is reported per request (and by /healthz) instead.
  await Promise.all([deps.store.listItems({}, { limit: 1, offset: 0 }), deps.store.listEvents("")]).catch(() => undefined);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port, serverOptions: { maxHeaderSize: MAX_HEADER_BYTES } }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            // Keep-alive connections become idle as their last response ends: close them then, not at their timeout.
            const sweep = setInterval(() => server.closeIdleConnections(), 50);
            server.close(() => {
              clearInterval(sweep);
              log?.flush();
              done();
            });
            server.closeIdleConnections();
          })),
      });
    }) as Server;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.once("error", (error) => reject(invalidInput(`cannot listen on ${options.host}:${options.port}: ${error.message}`, "Pick another --port (or --port 0 for any free one).", "listen_failed")));
  });
}

/**
 * The HTTP API of `backlog serve` (SPEC section 10): auth, limits and error mapping here; each
 * resource's routes in its own file, thin over the same service functions the CLI calls.
 */
import { randomBytes } from "node:crypto";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Hono, Context as HonoContext } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie } from "hono/cookie";
import { BacklogError, ExitCode } from "../errors.js";
import type { Policy } from "../policy/types.js";
import { BacklogService } from "../service/backlog-service.js";
import { actorForToken, type TokenEntry } from "../service/tokens.js";
import type { Store } from "../store/types.js";
import { registerGenerate } from "./generate.js";
import { registerItems } from "./items.js";
import { createMetrics } from "./metrics.js";
import { API, isKnownPath, mount, openApiDocument, validationHook } from "./routes.js";
import { registerTools } from "./tools.js";
import { boardNotFound, boardRoutes } from "../web/routes.js";
import { loginRoutes } from "../web/login-page.js";

export interface AppDeps {
  store: Store;
  policy: Policy;
  now: () => Date;
  /** The serve command's actor: who acts when there are no tokens. */
  actor: string;
  /** Whether that actor was given explicitly (--actor / $BACKLOG_ACTOR). */
  actorExplicit: boolean;
  /** Token entries; undefined = no tokens (loopback only). */
  tokens?: readonly TokenEntry[];
  readOnly?: boolean;
  version: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** One JSON access-log line per request. */
  log?: (line: string) => void;
  /**
   * Mounts more routes (the board, at `/`) after auth: their handlers use `c.get("service")`
   * (a BacklogService for the request's actor) and `c.get("actor")`.
   */
  mount?: (app: Hono<Env>) => void;
  /** Paths served without a token even when tokens are on (e.g. the board's login form). */
  isPublicPath?: (path: string) => boolean;
}

export type Env = { Variables: { service: BacklogService; actor: string; actorExplicit: boolean } };

export const MAX_BODY = 1024 * 1024;
/** Digests posted to /v1/backlog/generate/weekly may be larger. */
export const MAX_DIGEST_BODY = 64 * 1024 * 1024;
const STATUS_OF_EXIT: Record<number, 400 | 403 | 404 | 409 | 500 | 503> = {
  [ExitCode.invalid]: 400,
  [ExitCode.notFound]: 404,
  [ExitCode.conflict]: 409,
  [ExitCode.permissionDenied]: 403,
  [ExitCode.storageUnavailable]: 503,
  [ExitCode.unexpected]: 500,
};
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

const BODY_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * Whether a request URL's host is a loopback name. The answer depends on the origin only, so it is
 * remembered per origin (a server sees a handful of them) instead of parsing every URL.
 */
function loopbackOriginCheck(): (url: string) => boolean {
  const known = new Map<string, boolean>();
  return (url) => {
    const end = url.indexOf("/", url.indexOf("//") + 2);
    const origin = end === -1 ? url : url.slice(0, end);
    let allowed = known.get(origin);
    if (allowed === undefined) {
      allowed = LOOPBACK_HOSTS.has(new URL(url).hostname.toLowerCase());
      if (known.size < 256) known.set(origin, allowed);
    }
    return allowed;
  };
}

export const errorBody = (code: string, message: string, hint: string | null = null) => ({ error: { code, message, hint } });


function bearer(c: HonoContext): string | undefined {
  const header = c.req.header("authorization");
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match) return match[1];
  return getCookie(c, "backlog_token");
}


/** Board paths answered without a token: the sign-in form and the stylesheet it uses. */
const BOARD_OPEN = new Set(["/login", "/logout", "/board.css"]);

export function createApp(deps: AppDeps): OpenAPIHono<Env> {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  const log = deps.log ?? (() => undefined);
  const metrics = createMetrics(deps);

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    log(JSON.stringify({ ts: new Date().toISOString(), method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), actor: c.get("actor") ?? null }));
  });
  app.use("*", metrics.middleware);

  // Without tokens only loopback Host names are answered (DNS rebinding).
  const loopbackOrigin = loopbackOriginCheck();
  app.use("*", async (c, next) => {
    if (deps.tokens === undefined && !loopbackOrigin(c.req.url)) {
      return c.json(errorBody("host_not_allowed", "this server answers only loopback Host names", "Use http://127.0.0.1:PORT, or serve with --tokens FILE."), 403);
    }
    await next();
  });

  app.use("*", async (c, next) => {
    const open = c.req.path === "/healthz" || c.req.path === "/openapi.json" || BOARD_OPEN.has(c.req.path) || deps.isPublicPath?.(c.req.path) === true;
    let actor = deps.actor;
    let explicit = deps.actorExplicit;
    if (deps.tokens !== undefined) {
      const presented = bearer(c);
      const found = presented === undefined ? undefined : actorForToken(deps.tokens, presented);
      if (found === undefined && !open) {
        // A browser on a board page is sent to the sign-in form; API clients get the 401.
        if (c.req.method === "GET" && !c.req.path.startsWith("/v1/")) return c.redirect("/login", 303);
        c.header("WWW-Authenticate", 'Bearer realm="backlog"');
        return c.json(errorBody("unauthorized", presented === undefined ? "a token is required" : "the token is not valid", "Send `Authorization: Bearer <token>`; make one with `backlog token add ACTOR`."), 401);
      }
      // An open path without a valid token gets no identity (no service on the context).
      if (found === undefined) return next();
      actor = found;
      explicit = true;
    }
    c.set("actor", actor);
    c.set("actorExplicit", explicit);
    c.set("service", new BacklogService({ store: deps.store, policy: deps.policy, actor, now: deps.now, randomHex: (n) => randomBytes(n).toString("hex") }));
    await next();
  });

  app.use("/v1/*", async (c, next) => {
    const method = c.req.method;
    if (method !== "POST" && method !== "PATCH") return next();
    if (deps.readOnly) return c.json(errorBody("read_only", "this server is read-only", "Run `backlog serve` without --read-only to allow writes."), 403);
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return c.json(errorBody("unsupported_media_type", "the request body must be application/json", "Send `Content-Type: application/json`."), 415);
    }
    await next();
  });
  // Enforced while reading: the body stops at the limit, and the whole body is read before any service call.
  const limit = (maxSize: number) => bodyLimit({ maxSize, onError: (c) => c.json(errorBody("payload_too_large", `the request body is over ${maxSize} bytes`, "Send a smaller body."), 413) });
  const small = limit(MAX_BODY);
  const digest = limit(MAX_DIGEST_BODY);
  // Only requests that may carry a body (a GET's is never read: no route takes one).
  app.use("/v1/*", (c, next) => (!BODY_METHODS.has(c.req.method) ? next() : c.req.path === "/v1/backlog/generate/weekly" ? digest(c, next) : small(c, next)));

  mount(app, API.healthz, async (c) => {
    try {
      await deps.store.listItems({}, { limit: 1, offset: 0 });
      return c.json({ status: "ok", backend: deps.store.backend, version: deps.version });
    } catch (error) {
      return c.json({ status: "unavailable", backend: deps.store.backend, version: deps.version, error: error instanceof BacklogError ? error.message : "store unreadable" }, 503);
    }
  });
  let document: object | undefined;
  mount(app, API.openapi, (c) => c.json((document ??= openApiDocument(app, deps.version))));
  registerItems(app);
  registerTools(app, deps);
  registerGenerate(app, deps);
  metrics.register(app);
  // The board (server-rendered pages) and, with tokens, its sign-in form.
  if (deps.tokens !== undefined) {
    const tokens = deps.tokens;
    app.route("/", loginRoutes((token) => actorForToken(tokens, token) !== undefined));
  }
  app.route("/", boardRoutes());
  deps.mount?.(app);

  app.notFound((c) => {
    if (isKnownPath(c.req.path)) return c.json(errorBody("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}`, "See the API table in the README."), 405);
    if (!c.req.path.startsWith("/v1/") && c.req.method === "GET") return boardNotFound(c);
    return c.json(errorBody("not_found", `no route ${c.req.path}`, "See the API table in the README."), 404);
  });
  app.onError((error, c) => {
    if (error instanceof BacklogError) return c.json(errorBody(error.code, error.message, error.hint ?? null), STATUS_OF_EXIT[error.exitCode] ?? 500);
    return c.json(errorBody("unexpected", "unexpected failure", "See the server's log."), 500);
  });
  return app;
}

/** Reads the JSON body (already bounded by the body limit); a bad one is 400. */
export async function jsonBody(c: HonoContext): Promise<unknown> {
  const text = await c.req.text();
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw new BacklogError("invalid_json", ExitCode.invalid, `the body is not valid JSON: ${(error as Error).message}`, "Send one JSON object.");
  }
}

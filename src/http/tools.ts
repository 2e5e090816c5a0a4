/** POST /v1/tools/execute and the item actions, all through the shared tool protocol. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context as HonoContext } from "hono";
import { badToolRequest, executeTool, parseToolRequest, type ToolCaller } from "../service/tool-protocol.js";
import { jsonBody, type AppDeps, type Env } from "./app.js";
import { API, mount } from "./routes.js";

export function callerOf(c: HonoContext<Env>, deps: AppDeps): ToolCaller {
  return { service: c.get("service"), policy: deps.policy, actorExplicit: c.get("actorExplicit"), cwd: deps.cwd, env: deps.env };
}

/** Runs one protocol action with the body's parameters and the path's fixed ones (which win). */
export async function runAction(c: HonoContext<Env>, deps: AppDeps, fixed: Record<string, unknown>): Promise<unknown> {
  const body = await jsonBody(c);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw badToolRequest("expected one JSON object");
  return executeTool(callerOf(c, deps), parseToolRequest({ ...body, ...fixed }));
}

export function registerTools(app: OpenAPIHono<Env>, deps: AppDeps): void {
  mount(app, API.tool, async (c) => c.json((await executeTool(callerOf(c, deps), parseToolRequest(await jsonBody(c)))) as object));
  mount(app, API.setStatus, async (c) => c.json((await runAction(c, deps, { action: "set_status", id: c.req.param("id") })) as object));
  mount(app, API.comment, async (c) => c.json((await runAction(c, deps, { action: "add_comment", id: c.req.param("id") })) as object, 201));
  mount(app, API.close, async (c) => c.json((await runAction(c, deps, { action: "close", id: c.req.param("id") })) as object));
  mount(app, API.cleanup, async (c) => c.json((await runAction(c, deps, { action: "cleanup" })) as object));
}

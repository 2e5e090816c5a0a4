/** POST /v1/tools/execute and the item actions, all through the shared tool protocol. */
import type { Context as HonoContext, Hono } from "hono";
import { badToolRequest, executeTool, parseToolRequest, type ToolCaller } from "../service/tool-protocol.js";
import { jsonBody, type AppDeps, type Env } from "./app.js";

export function callerOf(c: HonoContext<Env>, deps: AppDeps): ToolCaller {
  return { service: c.get("service"), policy: deps.policy, actorExplicit: c.get("actorExplicit"), cwd: deps.cwd, env: deps.env };
}

/** Runs one protocol action with the body's parameters and the path's fixed ones (which win). */
export async function runAction(c: HonoContext<Env>, deps: AppDeps, fixed: Record<string, unknown>): Promise<unknown> {
  const body = await jsonBody(c);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw badToolRequest("expected one JSON object");
  return executeTool(callerOf(c, deps), parseToolRequest({ ...body, ...fixed }));
}

export function registerTools(app: Hono<Env>, deps: AppDeps): void {
  app.post("/v1/tools/execute", async (c) => c.json((await executeTool(callerOf(c, deps), parseToolRequest(await jsonBody(c)))) as object));
  app.post("/v1/backlog/items/:id/status", async (c) => c.json((await runAction(c, deps, { action: "set_status", id: c.req.param("id") })) as object));
  app.post("/v1/backlog/items/:id/comments", async (c) => c.json((await runAction(c, deps, { action: "add_comment", id: c.req.param("id") })) as object, 201));
  app.post("/v1/backlog/items/:id/close", async (c) => c.json((await runAction(c, deps, { action: "close", id: c.req.param("id") })) as object));
  app.post("/v1/backlog/cleanup", async (c) => c.json((await runAction(c, deps, { action: "cleanup" })) as object));
}

/** The item routes: dashboard, list, get, create and upsert, over BacklogService. */
import type { Hono } from "hono";
import * as z from "zod";
import { issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import { parseEditChanges } from "../service/edit-input.js";
import { parseItemInput } from "../service/item-input.js";
import { parseListQuery } from "../service/list-query.js";
import { selectFields } from "../domain/query.js";
import { jsonBody, type Env } from "./app.js";

function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw invalidInput(`query: ${issueLines(parsed.error).join("; ")}`, "See the API table in the README.", "invalid_query");
  return parsed.data;
}

export function registerItems(app: Hono<Env>): void {
  app.get("/v1/backlog/dashboard", async (c) => {
    const { env } = parseQuery(z.strictObject({ env: z.string().min(1).default("prod") }), c.req.query());
    return c.json(await c.get("service").dashboard(env));
  });
  app.get("/v1/backlog/items", async (c) => {
    const service = c.get("service");
    const query = parseListQuery(c.req.queries(), service.policy, { maxLimit: 1000 });
    const { items, total } = await service.list(query);
    const shown = query.fields ? items.map((i) => selectFields(i, query.fields ?? [])) : items;
    return c.json({ items: shown, total, limit: query.limit, offset: query.offset });
  });
  app.get("/v1/backlog/items/:id", async (c) => c.json(await c.get("service").get(c.req.param("id"))));
  app.post("/v1/backlog/items", async (c) => {
    const service = c.get("service");
    return c.json(await service.create(parseItemInput(await jsonBody(c), service.policy, "body")), 201);
  });
  app.patch("/v1/backlog/items/:id", async (c) => c.json(await c.get("service").edit(c.req.param("id"), parseEditChanges(await jsonBody(c), "body"))));
  app.post("/v1/backlog/upsert", async (c) => {
    const service = c.get("service");
    const result = await service.upsert(parseItemInput(await jsonBody(c), service.policy, "body"));
    return c.json(result, result.action === "created" ? 201 : 200);
  });
}

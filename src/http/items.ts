/** The item routes: dashboard, list, get, create, edit and upsert, over BacklogService. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type * as z from "zod";
import { parseEditChanges } from "../service/edit-input.js";
import { parseItemInput } from "../service/item-input.js";
import { parseListQuery, type ListParams } from "../service/list-query.js";
import { selectFields } from "../domain/query.js";
import { jsonBody, type Env } from "./app.js";
import { API, mount, type dashboardQuery } from "./routes.js";

export function registerItems(app: OpenAPIHono<Env>): void {
  mount(app, API.dashboard, async (c) => {
    const { env } = c.req.valid("query") as z.infer<typeof dashboardQuery>;
    return c.json(await c.get("service").dashboard(env));
  });
  mount(app, API.list, async (c) => {
    const service = c.get("service");
    const query = parseListQuery(c.req.valid("query") as ListParams, service.policy, { maxLimit: 1000 });
    const { items, total } = await service.list(query);
    const shown = query.fields ? items.map((i) => selectFields(i, query.fields ?? [])) : items;
    return c.json({ items: shown, total, limit: query.limit, offset: query.offset });
  });
  mount(app, API.get, async (c) => c.json(await c.get("service").get((c.req.valid("param") as { id: string }).id)));
  mount(app, API.create, async (c) => {
    const service = c.get("service");
    return c.json(await service.create(parseItemInput(await jsonBody(c), service.policy, "body")), 201);
  });
  mount(app, API.edit, async (c) => c.json(await c.get("service").edit((c.req.valid("param") as { id: string }).id, parseEditChanges(await jsonBody(c), "body"))));
  mount(app, API.upsert, async (c) => {
    const service = c.get("service");
    const result = await service.upsert(parseItemInput(await jsonBody(c), service.policy, "body"));
    return c.json(result, result.action === "created" ? 201 : 200);
  });
}

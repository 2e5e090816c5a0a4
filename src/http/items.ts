/** The item routes: dashboard, list, get, create and upsert, over BacklogService. */
import type { Hono } from "hono";
import * as z from "zod";
import { isCalendarDate } from "../domain/calendar.js";
import { PRIORITIES, STATUSES } from "../domain/item.js";
import { expectedOneOf, issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import { parseEditChanges } from "../service/edit-input.js";
import { parseItemInput } from "../service/item-input.js";
import { jsonBody, type Env } from "./app.js";

const number = (max: number) => z.coerce.number({ error: "expected a whole number" }).int("expected a whole number").min(0, "must be ≥ 0").max(max, `must be ≤ ${max}`);
const listQuery = z.strictObject({
  env: z.string().optional(),
  service: z.string().optional(),
  status: z.string().optional().transform((v) => (v === undefined ? undefined : v.split(",").map((s) => s.trim()).filter(Boolean))).pipe(z.array(z.enum(STATUSES, { error: expectedOneOf(STATUSES) })).optional()),
  owner: z.string().optional(),
  category: z.string().optional(),
  priority: z.enum(PRIORITIES, { error: expectedOneOf(PRIORITIES) }).optional(),
  due_before: z.string().refine(isCalendarDate, "expected a date YYYY-MM-DD").optional(),
  overdue: z.enum(["true", "false"], { error: "expected true or false" }).optional(),
  limit: number(1000).default(50),
  offset: number(Number.MAX_SAFE_INTEGER).default(0),
});

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
    const q = parseQuery(listQuery, c.req.query());
    const { items, total } = await c.get("service").list({ env: q.env, service: q.service, statuses: q.status, owner: q.owner, category: q.category, priority: q.priority, dueBefore: q.due_before, overdue: q.overdue === "true", limit: q.limit, offset: q.offset });
    return c.json({ items, total, limit: q.limit, offset: q.offset });
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

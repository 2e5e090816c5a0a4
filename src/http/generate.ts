/** POST /v1/backlog/generate/weekly and GET /v1/backlog/gate, over the CLI's service functions. */
import type { Hono } from "hono";
import * as z from "zod";
import { issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import { gateOptionsOf, gateParamsSchema, runGate } from "../service/gate.js";
import { runGenerate } from "../service/generate.js";
import { jsonBody, type AppDeps, type Env } from "./app.js";

const generateBody = z.strictObject({ dry_run: z.boolean({ error: "expected true or false" }).default(false), digest: z.record(z.string(), z.unknown(), { error: "expected the digest as an object" }).optional() });
const generateQuery = z.strictObject({ env: z.string().min(1).optional() });

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidInput(`${where}: ${issueLines(parsed.error).join("; ")}`, "See the API table in the README.", where === "query" ? "invalid_query" : "invalid_request");
  return parsed.data;
}

export function registerGenerate(app: Hono<Env>, deps: AppDeps): void {
  app.post("/v1/backlog/generate/weekly", async (c) => {
    const { env } = parse(generateQuery, c.req.query(), "query");
    const body = parse(generateBody, await jsonBody(c), "body");
    const outcome = await runGenerate(c.get("service"), "weekly", { location: { cwd: deps.cwd, variables: deps.env }, inline: body.digest, env, dryRun: body.dry_run });
    return c.json(outcome.report);
  });
  app.get("/v1/backlog/gate", async (c) => {
    const params = parse(gateParamsSchema, c.req.query(), "query");
    return c.json(await runGate(c.get("service"), gateOptionsOf(params)));
  });
}

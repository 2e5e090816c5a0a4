/** POST /v1/backlog/generate/weekly and GET /v1/backlog/gate, over the CLI's service functions. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type * as z from "zod";
import { issueLines } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import { gateOptionsOf, type gateParamsSchema, runGate } from "../service/gate.js";
import { runGenerate } from "../service/generate.js";
import { jsonBody, type AppDeps, type Env } from "./app.js";
import { API, generateBody, mount, type generateQuery } from "./routes.js";

export function registerGenerate(app: OpenAPIHono<Env>, deps: AppDeps): void {
  mount(app, API.generate, async (c) => {
    const { env } = c.req.valid("query") as z.infer<typeof generateQuery>;
    const parsed = generateBody.safeParse(await jsonBody(c));
    if (!parsed.success) throw invalidInput(`body: ${issueLines(parsed.error).join("; ")}`, "See GET /openapi.json for the body.", "invalid_request");
    const body = parsed.data;
    const outcome = await runGenerate(c.get("service"), "weekly", { location: { cwd: deps.cwd, variables: deps.env }, inline: body.digest, env, dryRun: body.dry_run });
    return c.json(outcome.report);
  });
  mount(app, API.gate, async (c) => c.json(await runGate(c.get("service"), gateOptionsOf(c.req.valid("query") as z.infer<typeof gateParamsSchema>))));
}

/**
 * The board: server-rendered pages over the service layer (hono/jsx escapes every value). The routes
 * read the request's service from `c.get("service")`, set by the app's auth middleware.
 */
import { Hono, type Context } from "hono";
import { ITEM_ID_PATTERN, PRIORITIES, STATUSES } from "../domain/item.js";
import { isCalendarDate } from "../domain/calendar.js";
import { BacklogError, invalidInput, notFound } from "../errors.js";
import type { BacklogService } from "../service/backlog-service.js";
import { buildReport } from "../service/report.js";
import { BOARD_CSS } from "./board-css.js";
import { DashboardPage } from "./dashboard-page.js";
import { ItemPage } from "./item-page.js";
import { ItemsPage, type ItemsView } from "./items-page.js";
import { ErrorPage, type PageFrame } from "./layout.js";
import type { TrendWeek } from "./trend-chart.js";

export type BoardEnv = { Variables: { service: BacklogService } };

/** The weekly rows of `backlog report` for an env; null when the build has no report. */
export type TrendSource = (service: BacklogService, env: string) => Promise<TrendWeek[] | null>;

export interface BoardOptions {
  trend?: TrendSource;
}

export const DEFAULT_ENV = "prod";
export const TREND_WEEKS = 8;

/** The trend of the board: the last TREND_WEEKS weeks of `backlog report`. */
export const reportTrend: TrendSource = async (service, env) => (await buildReport(service, { env, weeks: TREND_WEEKS })).weeks;
const PAGE_SIZE = 50;

export const BOARD_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** The dashboard of one env as a page (shared by `/` and `backlog board --output`). */
export async function renderDashboardHtml(service: BacklogService, env: string, options: BoardOptions & { inlineCss?: boolean; path?: string } = {}): Promise<string> {
  checkEnv(service, env);
  const dashboard = await service.dashboard(env);
  const weeks = await (options.trend ?? reportTrend)(service, env);
  const frame: PageFrame = { title: `Dashboard ${env}`, env, envs: service.policy.envs, path: options.path ?? "/", inlineCss: options.inlineCss };
  return String(await (<DashboardPage frame={frame} dashboard={dashboard} weeks={weeks} />));
}

function checkEnv(service: BacklogService, env: string): void {
  const envs = service.policy.envs;
  if (envs.length > 0 && !envs.includes(env)) {
    throw invalidInput(`unknown env ${JSON.stringify(env)}`, `Use one of the policy's envs: ${envs.join(", ")}.`, "unknown_env");
  }
}

const STATUS_OF_ERROR: Record<number, 400 | 403 | 404 | 409 | 500 | 503> = { 2: 400, 3: 404, 4: 409, 5: 403, 6: 503 };

export function boardRoutes(options: BoardOptions = {}): Hono<BoardEnv> {
  const app = new Hono<BoardEnv>();

  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(BOARD_HEADERS)) c.header(name, value);
  });

  app.get("/board.css", (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(BOARD_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
  });

  app.get("/", async (c) => {
    const service = c.get("service");
    const env = c.req.query("env") || DEFAULT_ENV;
    return c.html(await renderDashboardHtml(service, env, { ...options, path: "/" }));
  });

  app.get("/items", async (c) => {
    const service = c.get("service");
    const view = parseView(c);
    checkEnv(service, view.env);
    const { items, total } = await service.list({
      env: view.env,
      service: view.service || undefined,
      statuses: view.status.length > 0 ? view.status : undefined,
      owner: view.owner || undefined,
      category: view.category || undefined,
      priority: view.priority || undefined,
      dueBefore: view.due_before || undefined,
      overdue: view.overdue || undefined,
      limit: view.limit,
      offset: view.offset,
    });
    const frame: PageFrame = { title: `Items ${view.env}`, env: view.env, envs: service.policy.envs, path: "/items" };
    return c.html(<ItemsPage frame={frame} view={view} items={items} total={total} categories={Object.keys(service.policy.categories)} />);
  });

  app.get("/items/:id", async (c) => {
    const service = c.get("service");
    const id = c.req.param("id");
    if (!ITEM_ID_PATTERN.test(id)) throw notFound(`item ${id} not found`, "Item ids look like bl_0123456789ab.", "item_not_found");
    const { item, events } = await service.get(id);
    const frame: PageFrame = { title: item.title, env: item.env, envs: service.policy.envs, path: "/items" };
    return c.html(<ItemPage frame={frame} item={item} events={events} />);
  });

  app.notFound(boardNotFound);

  app.onError((err, c) => {
    if (err instanceof BacklogError) {
      const status = STATUS_OF_ERROR[err.exitCode] ?? 500;
      const heading = status === 404 ? "Not found" : status === 503 ? "Store unavailable" : status === 400 ? "Invalid request" : "Error";
      return c.html(errorPage(c, heading, err.message, err.hint), status);
    }
    return c.html(errorPage(c, "Error", "The board could not show this page.", "See the server log."), 500);
  });

  return app;
}

/**
 * The board's 404 page. A sub-app's notFound is not used once it is mounted with `app.route`, so the
 * app that mounts the board passes this to its own `app.notFound` for paths outside the API.
 */
export function boardNotFound<E extends BoardEnv>(c: Context<E>) {
  for (const [name, value] of Object.entries(BOARD_HEADERS)) c.header(name, value);
  return c.html(errorPage(c, "Not found", `There is no page at ${c.req.path}.`, "Start from the dashboard."), 404);
}

function errorPage<E extends BoardEnv>(c: Context<E>, heading: string, message: string, hint?: string) {
  let envs: readonly string[] = [];
  try {
    envs = (c.get("service") as BacklogService | undefined)?.policy.envs ?? [];
  } catch {
    envs = [];
  }
  const env = c.req.query("env") || DEFAULT_ENV;
  const frame: PageFrame = { title: heading, env, envs: envs.length > 0 ? envs : [env], path: "/" };
  return <ErrorPage frame={frame} heading={heading} message={message} hint={hint} />;
}

function parseView(c: Context<BoardEnv>): ItemsView {
  const q = (name: string) => (c.req.query(name) ?? "").trim();
  const status = c.req
    .queries("status")
    ?.flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "") ?? [];
  for (const s of status) {
    if (!(STATUSES as readonly string[]).includes(s)) throw invalidInput(`status ${JSON.stringify(s)} is not one of ${STATUSES.join(", ")}`, "Pick a status from the form.");
  }
  const priority = q("priority");
  if (priority !== "" && !(PRIORITIES as readonly string[]).includes(priority)) {
    throw invalidInput(`priority ${JSON.stringify(priority)} is not one of ${PRIORITIES.join(", ")}`, "Pick a priority from the form.");
  }
  const due_before = q("due_before");
  if (due_before !== "" && !isCalendarDate(due_before)) throw invalidInput(`due_before ${JSON.stringify(due_before)} is not a date YYYY-MM-DD`, "Use the date field.");
  const offsetText = q("offset");
  if (offsetText !== "" && !/^\d{1,9}$/.test(offsetText)) throw invalidInput(`offset ${JSON.stringify(offsetText)} is not a whole number`, "Use the Next/Previous links.");
  return {
    env: q("env") || DEFAULT_ENV,
    service: q("service"),
    status,
    owner: q("owner"),
    category: q("category"),
    priority,
    due_before,
    overdue: q("overdue") === "1" || q("overdue") === "on",
    limit: PAGE_SIZE,
    offset: offsetText === "" ? 0 : Number(offsetText),
  };
}

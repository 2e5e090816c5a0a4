/** GET /metrics: requests by route and status, latency, items by status and priority (Prometheus). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { ENTITLEMENTS } from "../domain/rbac.js";
import type { AppDeps, Env } from "./app.js";
import { API, mount } from "./routes.js";

export interface Metrics {
  middleware: MiddlewareHandler<Env>;
  register: (app: OpenAPIHono<Env>) => void;
}

export function createMetrics(deps: AppDeps): Metrics {
  const registry = new Registry();
  const requests = new Counter({ name: "backlog_http_requests_total", help: "HTTP requests by route, method and status", labelNames: ["route", "method", "status"] as const, registers: [registry] });
  const latency = new Histogram({ name: "backlog_http_request_duration_seconds", help: "HTTP request latency", labelNames: ["route", "method"] as const, registers: [registry], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
  const items = new Gauge({
    name: "backlog_items",
    help: "items by status and priority",
    labelNames: ["status", "priority"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { items: all } = await deps.store.listItems({}, { limit: null, offset: 0 });
      const counts = new Map<string, number>();
      for (const item of all) counts.set(`${item.status}\u0000${item.priority}`, (counts.get(`${item.status}\u0000${item.priority}`) ?? 0) + 1);
      for (const [key, n] of counts) {
        const [status, priority] = key.split("\u0000");
        this.set({ status, priority }, n);
      }
    },
  });
  void items;
  // The labelled series, looked up once per route, method and status rather than on every request.
  const timers = new Map<string, { observe: (seconds: number) => void }>();
  const counters = new Map<string, { inc: () => void }>();
  return {
    middleware: async (c, next) => {
      const started = performance.now();
      await next();
      // The matched route pattern, not the raw path, so ids do not explode the label set.
      // The first handler (not middleware) that matched answered: Hono runs them in order.
      const handler = matchedRoutes(c).find((r) => r.method !== "ALL" && !r.path.endsWith("*"));
      const route = handler?.path ?? "unmatched";
      const method = c.req.method;
      const status = String(c.res.status);
      const series = `${route} ${method}`;
      let timer = timers.get(series);
      if (timer === undefined) timers.set(series, (timer = latency.labels({ route, method })));
      timer.observe((performance.now() - started) / 1000);
      let counter = counters.get(`${series} ${status}`);
      if (counter === undefined) counters.set(`${series} ${status}`, (counter = requests.labels({ route, method, status })));
      counter.inc();
    },
    register: (app) => {
      mount(app, API.metrics, async (c) => {
        c.get("service").authorize(ENTITLEMENTS.read, "metrics");
        return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
      });
    },
  };
}

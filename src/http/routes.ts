/** The API's routes, once: the 405 check and /openapi.json are derived from this table. */
export interface RouteInfo {
  method: "get" | "post" | "patch";
  path: string;
  entitlement: "none" | "read" | "write" | "admin" | "per action";
  summary: string;
  success: number;
}

export const ROUTES: readonly RouteInfo[] = [
  { method: "get", path: "/v1/backlog/dashboard", entitlement: "read", summary: "dashboard of one env (query env, default prod)", success: 200 },
  { method: "get", path: "/v1/backlog/items", entitlement: "read", summary: "list items: env service status owner category priority due_before overdue limit(≤1000) offset", success: 200 },
  { method: "get", path: "/v1/backlog/items/{id}", entitlement: "read", summary: "one item with its events", success: 200 },
  { method: "post", path: "/v1/backlog/items", entitlement: "write", summary: "create an item (body as --from-json)", success: 201 },
  { method: "post", path: "/v1/backlog/upsert", entitlement: "write", summary: "create or update by dedupe_key", success: 200 },
  { method: "patch", path: "/v1/backlog/items/{id}", entitlement: "write", summary: "edit: title, description, owner, priority, due_date (null clears), tags, evidence_refs (replace), meta (merge)", success: 200 },
  { method: "post", path: "/v1/backlog/items/{id}/status", entitlement: "write", summary: "set status {status, message}", success: 200 },
  { method: "post", path: "/v1/backlog/items/{id}/comments", entitlement: "write", summary: "comment {message}", success: 201 },
  { method: "post", path: "/v1/backlog/items/{id}/close", entitlement: "write", summary: "close {status: done|canceled, message}", success: 200 },
  { method: "post", path: "/v1/backlog/generate/weekly", entitlement: "admin", summary: "generate-weekly (query env; body {dry_run, digest})", success: 200 },
  { method: "post", path: "/v1/backlog/cleanup", entitlement: "admin", summary: "cleanup {retention_days, dry_run}", success: 200 },
  { method: "get", path: "/v1/backlog/gate", entitlement: "read", summary: "gate report (query env service max_overdue max_overdue_by_priority max_open max_age_days)", success: 200 },
  { method: "post", path: "/v1/tools/execute", entitlement: "per action", summary: "one backlog_tool request", success: 200 },
  { method: "get", path: "/healthz", entitlement: "none", summary: "health: {status, backend, version}", success: 200 },
  { method: "get", path: "/metrics", entitlement: "read", summary: "Prometheus metrics", success: 200 },
  { method: "get", path: "/openapi.json", entitlement: "none", summary: "this document", success: 200 },
];

const pattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`);
const PATTERNS = ROUTES.map((r) => pattern(r.path));

/** True when the path is served with some method (so another method is 405, not 404). */
export const isKnownPath = (path: string): boolean => PATTERNS.some((re) => re.test(path));

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "object", required: ["code", "message", "hint"], properties: { code: { type: "string" }, message: { type: "string" }, hint: { type: ["string", "null"] } } } },
};

export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const errors = Object.fromEntries(
      [
        ["400", "invalid input"],
        ["401", "no or bad token"],
        ["403", "permission denied, read-only, or actor mismatch"],
        ["404", "not found"],
        ["409", "conflict"],
        ["413", "body too large"],
        ["415", "body is not application/json"],
        ["503", "store unavailable"],
      ].map(([code, description]) => [code, { description, content: { "application/json": { schema: errorSchema } } }]),
    );
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      "x-entitlement": r.entitlement,
      parameters: params,
      ...(r.method === "get" ? {} : { requestBody: { required: false, content: { "application/json": { schema: { type: "object" } } } } }),
      responses: { [String(r.success)]: { description: "the CLI's --json shape", content: { "application/json": { schema: { type: "object" } } } }, ...errors },
      ...(r.entitlement === "none" ? { security: [] } : {}),
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "backlog", version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}

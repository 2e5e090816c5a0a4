/** `backlog log`: the events across items, newest first, with their item's title. */
import type { LogEvent, LogQuery } from "../domain/event-log.js";
import { ENTITLEMENTS } from "../domain/rbac.js";
import { invalidInput } from "../errors.js";
import type { BacklogService } from "./backlog-service.js";

export interface EventLogQuery extends Omit<LogQuery, "since"> {
  /** How far back, in milliseconds from now (BACKLOG_NOW). */
  sinceMs: number;
}

export async function listEventLog(service: BacklogService, query: EventLogQuery): Promise<LogEvent[]> {
  return service.deps.store.eventLog(logQuery(service, query));
}

/** listEventLog, its events handed to `each` a page of `size` at a time (a long log need not be held at once). */
export async function eventLogInPages(service: BacklogService, query: EventLogQuery, size: number, each: (events: LogEvent[]) => void): Promise<void> {
  const q = logQuery(service, query);
  const store = service.deps.store;
  if (store.eachLogPage) return store.eachLogPage(q, size, each);
  const events = await store.eventLog(q);
  for (let from = 0; from < events.length; from += size) each(events.slice(from, from + size));
}

function logQuery(service: BacklogService, { sinceMs, ...rest }: EventLogQuery): LogQuery {
  service.authorize(ENTITLEMENTS.read, "log");
  const envs = service.policy.envs;
  if (rest.env !== undefined && !envs.includes(rest.env)) {
    throw invalidInput(`env "${rest.env}" is not one of the policy's envs (${envs.join("|")})`, "Pass --env with one of them.", "invalid_usage");
  }
  const since = new Date(service.deps.now().getTime() - sinceMs).toISOString();
  return { ...rest, since };
}

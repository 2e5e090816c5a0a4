/** `backlog log`: the events across items, newest first, with their item's title. */
import type { LogEvent, LogQuery } from "../domain/event-log.js";
import { ENTITLEMENTS } from "../domain/rbac.js";
import { invalidInput } from "../errors.js";
import type { BacklogService } from "./backlog-service.js";

export interface EventLogQuery extends Omit<LogQuery, "since"> {
  /** How far back, in milliseconds from now (BACKLOG_NOW). */
  sinceMs: number;
}

export async function listEventLog(service: BacklogService, { sinceMs, ...rest }: EventLogQuery): Promise<LogEvent[]> {
  service.authorize(ENTITLEMENTS.read, "log");
  const envs = service.policy.envs;
  if (rest.env !== undefined && !envs.includes(rest.env)) {
    throw invalidInput(`env "${rest.env}" is not one of the policy's envs (${envs.join("|")})`, "Pass --env with one of them.", "invalid_usage");
  }
  const since = new Date(service.deps.now().getTime() - sinceMs).toISOString();
  return service.deps.store.eventLog({ ...rest, since });
}

/** `backlog report` and the board's trend: the week-over-week figures of one env. */
import { type Report, reportFrames } from "../domain/report.js";
import { ENTITLEMENTS } from "../domain/rbac.js";
import { invalidInput } from "../errors.js";
import type { BacklogService } from "./backlog-service.js";

export const MAX_REPORT_WEEKS = 520;

export interface ReportQuery {
  env: string;
  /** How many ISO weeks, up to and including the current one (BACKLOG_NOW). */
  weeks: number;
}

export async function buildReport(service: BacklogService, { env, weeks }: ReportQuery): Promise<Report> {
  service.authorize(ENTITLEMENTS.read, "report");
  if (!service.policy.envs.includes(env)) {
    throw invalidInput(`env "${env}" is not one of the policy's envs (${service.policy.envs.join("|")})`, "Pass --env with one of them.", "invalid_usage");
  }
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > MAX_REPORT_WEEKS) {
    throw invalidInput(`--weeks must be a whole number from 1 to ${MAX_REPORT_WEEKS}, not ${weeks}`, "Pass --weeks 8 (the default), or up to 520.", "invalid_usage");
  }
  return service.deps.store.report(env, reportFrames(service.deps.now(), weeks));
}

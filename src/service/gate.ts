/** backlog gate: the policy's thresholds, overridden by flags, over one env (and service). */
import { evaluateGates, type GateReport } from "../domain/gate.js";
import { CLOSED_STATUSES, STATUSES } from "../domain/item.js";
import { ENTITLEMENTS } from "../domain/rbac.js";
import type { GatePolicy } from "../policy/types.js";
import type { BacklogService } from "./backlog-service.js";

export interface GateOptions {
  env: string;
  service?: string;
  overrides: Partial<GatePolicy>;
}

export async function runGate(service: BacklogService, options: GateOptions): Promise<GateReport> {
  service.authorize(ENTITLEMENTS.read, "gate");
  const thresholds: GatePolicy = { ...service.policy.gates, ...options.overrides };
  // Gates look at open items only: closed ones are not even read.
  const statuses = STATUSES.filter((s) => !CLOSED_STATUSES.has(s));
  const { items } = await service.deps.store.listItems({ env: options.env, service: options.service, statuses }, { limit: null, offset: 0 });
  return evaluateGates(items, thresholds, { env: options.env, service: options.service ?? null, today: service.today() });
}

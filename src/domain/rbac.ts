/** Entitlements (SPEC section 7): which actor may run what. */
import { own } from "./limits.js";
import { BacklogError, ExitCode } from "../errors.js";
import type { Policy } from "../policy/types.js";

export const ENTITLEMENTS = {
  read: "tools.backlog.read",
  write: "tools.backlog.write",
  admin: "tools.backlog.admin",
} as const;
export type Entitlement = (typeof ENTITLEMENTS)[keyof typeof ENTITLEMENTS];

export const roleOf = (policy: Policy, actor: string): string => own(policy.rbac.actors, actor) ?? policy.rbac.default_role;

export function authorize(policy: Policy, actor: string, needed: Entitlement, action: string): void {
  const role = roleOf(policy, actor);
  if ((own(policy.rbac.roles, role) ?? []).includes(needed)) return;
  const granting = Object.entries(policy.rbac.roles)
    .filter(([, entitlements]) => entitlements.includes(needed))
    .map(([name]) => name);
  const via = own(policy.rbac.actors, actor) === undefined ? " (the policy's default_role)" : "";
  throw new BacklogError(
    "permission_denied",
    ExitCode.permissionDenied,
    `permission denied: ${action} needs ${needed}; actor "${actor}" has role "${role}"${via}, which lacks it`,
    granting.length > 0
      ? `Run it as an actor with role ${granting.join(" or ")} (e.g. --actor ${Object.entries(policy.rbac.actors).find(([, r]) => granting.includes(r))?.[0] ?? granting[0]}), or map "${actor}" to such a role in rbac.actors of the policy.`
      : `No role in the policy grants ${needed}; add it to a role under rbac.roles.`,
  );
}

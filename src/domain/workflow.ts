/** The item workflow: which status may follow which (SPEC section 1, replaceable by policy). */
import { own } from "./limits.js";
import type { Status } from "./item.js";

export type Transitions = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_TRANSITIONS: Transitions = {
  open: ["in_progress", "blocked", "canceled"],
  in_progress: ["blocked", "done", "canceled"],
  blocked: ["open", "in_progress", "canceled"],
  done: [],
  canceled: [],
};

export const allowedTargets = (transitions: Transitions, from: Status): readonly string[] => own(transitions, from) ?? [];

export const canTransition = (transitions: Transitions, from: Status, to: Status): boolean =>
  allowedTargets(transitions, from).includes(to);

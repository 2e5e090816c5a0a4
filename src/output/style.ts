/** Colours for humans; all of them no-ops when colour is off. */
import { own } from "../domain/limits.js";
import { Chalk, type ChalkInstance } from "chalk";
import type { OutputMode } from "./mode.js";

export interface Style {
  chalk: ChalkInstance;
  width: number | null;
  priority(p: string): string;
  status(s: string): string;
}

export function createStyle(mode: OutputMode): Style {
  const chalk = new Chalk({ level: mode.color ? 1 : 0 });
  const priorityColor: Record<string, ChalkInstance> = {
    P0: chalk.bold.red,
    P1: chalk.magenta,
    P2: chalk.blue,
    P3: chalk.dim,
  };
  const statusColor: Record<string, ChalkInstance> = {
    // Normal and bold colours only: readable on dark and light backgrounds alike (no white, no black).
    open: chalk.bold,
    in_progress: chalk.blue,
    blocked: chalk.magenta,
    done: chalk.green,
    canceled: chalk.dim,
  };
  return {
    chalk,
    width: mode.width,
    priority: (p) => (own(priorityColor, p) ?? chalk.reset)(p),
    status: (s) => (own(statusColor, s) ?? chalk.reset)(s),
  };
}

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
    P1: chalk.yellow,
    P2: chalk.cyan,
    P3: chalk.gray,
  };
  const statusColor: Record<string, ChalkInstance> = {
    open: chalk.white,
    in_progress: chalk.blue,
    blocked: chalk.magenta,
    done: chalk.green,
    canceled: chalk.gray,
  };
  return {
    chalk,
    width: mode.width,
    priority: (p) => (own(priorityColor, p) ?? chalk.reset)(p),
    status: (s) => (own(statusColor, s) ?? chalk.reset)(s),
  };
}

/**
 * Outside programs some tests drive (tmux, zsh, fish, strace). Where one is missing its tests skip and say
 * so, except in CI (`BACKLOG_REQUIRE_SHELLS` set by `.ci/run`, which installs them): there they run
 * and fail, so a missing program can never pass as a green run.
 */
import { spawnSync } from "node:child_process";

const REQUIRED = (process.env.BACKLOG_REQUIRE_SHELLS ?? "") !== "";

export const installed = (program: string): boolean => spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;

/** Whether tests of `program` run: it is installed, or CI requires it. */
export const runsWith = (program: string): boolean => REQUIRED || installed(program);

/** The describe title, with the reason when its tests are skipped. */
export const titled = (title: string, program: string): string => (runsWith(program) ? title : `${title} — SKIPPED: ${program} is not installed`);

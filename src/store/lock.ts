/**
 * The cross-process write lock of a data directory: an open-file-description lock (fcntl
 * F_OFD_SETLK, through fs-native-extensions) on `<dir>/.backlog.lock`. The kernel drops it when
 * its holder exits or is killed, so `kill -9` never leaves a stale lock, and it is never taken from
 * a live holder however slow. Waiting polls with a small backoff up to a timeout.
 */
import { closeSync, fstatSync, lstatSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BacklogError, storageUnavailable } from "../errors.js";
import { OPEN, openStoreFile } from "./jsonl-file.js";

type LockApi = typeof import("fs-native-extensions");
let lockApi: LockApi | null = null;

/** The native addon is loaded by the first write only: reads never pay for it. */
function nativeLocks(): LockApi {
  lockApi ??= createRequire(import.meta.url)("fs-native-extensions") as LockApi;
  return lockApi;
}

export const LOCK_FILE = ".backlog.lock";
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

export interface HeldLock {
  /** False when the lock file was deleted or replaced since it was locked: then it guards nothing. */
  stillHeld(): boolean;
  release(): void;
}

/** True while `path` still names the file open as `fd` (not deleted or replaced meanwhile). */
function stillNamed(fd: number, path: string): boolean {
  try {
    const held = fstatSync(fd);
    const named = lstatSync(path);
    return held.dev === named.dev && held.ino === named.ino;
  } catch {
    return false;
  }
}

function openLockFile(dir: string, path: string): number {
  try {
    mkdirSync(dir, { recursive: true });
    return openStoreFile(path, OPEN.lock);
  } catch (error) {
    if (error instanceof BacklogError) throw error;
    throw storageUnavailable(
      `cannot open the store lock ${path}: ${(error as Error).message}`,
      "Check that the data directory (--dir or $BACKLOG_DIR) exists and is writable by this user.",
    );
  }
}

export async function acquireDirLock(dir: string, timeoutMs: number): Promise<HeldLock> {
  const path = join(dir, LOCK_FILE);
  const { tryLock, unlock } = nativeLocks();
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const fd = openLockFile(dir, path);
    try {
      while (!tryLock(fd)) {
        if (Date.now() >= deadline) {
          throw storageUnavailable(
            `timed out after ${timeoutMs} ms waiting for the store lock ${path}: another backlog command is writing`,
            "Retry when it has finished (`fuser -v` on the lock file shows the holder); raise BACKLOG_LOCK_TIMEOUT_MS to wait longer.",
            "lock_timeout",
          );
        }
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 2, 25);
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    // A lock on a file that was deleted or replaced while we waited locks nothing another writer
    // would see: let go and lock whatever the name means now.
    if (stillNamed(fd, path)) {
      return {
        stillHeld: () => stillNamed(fd, path),
        release() {
          unlock(fd);
          closeSync(fd);
        },
      };
    }
    unlock(fd);
    closeSync(fd);
  }
}


/**
 * node:crypto, loaded on first use. A read needs none of it (saved indexes are checked by CRC-32),
 * and loading its modules costs more than a small read itself.
 */
import { createRequire } from "node:module";

let loaded: typeof import("node:crypto") | undefined;

export const nodeCrypto = (): typeof import("node:crypto") => (loaded ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto"));

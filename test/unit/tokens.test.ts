import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BacklogError } from "../../src/errors.js";
import { actorForToken, addToken, listTokens, readTokens, resolveTokensFile, revokeTokens } from "../../src/service/tokens.js";
import { tempDir } from "../helpers/temp.js";

const NOW = new Date("2026-11-24T06:20:00Z");

describe("API tokens", () => {
  it("stores only hashes, finds the actor of a token, and revokes by actor", () => {
    const file = join(tempDir(), "tokens.json");
    const a = addToken(file, "alice", NOW);
    const b = addToken(file, "scheduler", NOW);
    expect(a).not.toBe(b);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(a);
    expect(text).not.toContain(b);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const tokens = readTokens(file);
    expect(actorForToken(tokens, a)).toBe("alice");
    expect(actorForToken(tokens, b)).toBe("scheduler");
    expect(actorForToken(tokens, `${a}x`)).toBeUndefined();
    expect(actorForToken(tokens, "")).toBeUndefined();
    expect(listTokens(file)).toEqual([
      { actor: "alice", created_at: NOW.toISOString() },
      { actor: "scheduler", created_at: NOW.toISOString() },
    ]);
    expect(revokeTokens(file, "alice")).toBe(1);
    expect(actorForToken(readTokens(file), a)).toBeUndefined();
    expect(() => revokeTokens(file, "alice")).toThrow(BacklogError);
  });

  it("refuses a bad actor name and a damaged tokens file with exit 2", () => {
    const dir = tempDir();
    const file = join(dir, "tokens.json");
    expect(() => addToken(file, "bad actor\n", NOW)).toThrow(/expected letters/);
    writeFileSync(file, "{nope");
    expect(() => readTokens(file)).toThrow(expect.objectContaining({ exitCode: 2, code: "invalid_tokens_file" }));
    writeFileSync(file, JSON.stringify({ tokens: [{ actor: "a", sha256: "short", created_at: "x" }] }));
    expect(() => readTokens(file)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it("resolves --tokens, then $BACKLOG_TOKENS_FILE, then config/backlog_tokens.json when present", () => {
    const dir = tempDir();
    expect(resolveTokensFile("t.json", { BACKLOG_TOKENS_FILE: "e.json" }, dir)).toBe(join(dir, "t.json"));
    expect(resolveTokensFile(undefined, { BACKLOG_TOKENS_FILE: "e.json" }, dir)).toBe(join(dir, "e.json"));
    expect(resolveTokensFile(undefined, {}, dir)).toBeUndefined();
    expect(resolveTokensFile(undefined, {}, dir, true)).toBe(join(dir, "config/backlog_tokens.json"));
  });
});

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { POLICY_CACHE_FILE, policyCache } from "../../src/policy/cache.js";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { loadPolicy, parsePolicy } from "../../src/policy/load.js";
import { tempDir } from "../helpers/temp.js";

const REPO = join(import.meta.dirname, "../..");

describe("policy cache location", () => {
  it("is $XDG_CACHE_HOME/backlog when absolute, else ~/.cache/backlog", () => {
    expect(policyCache({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/u" }, "k")).toEqual({ dir: "/x/cache/backlog", build: "k" });
    expect(policyCache({ XDG_CACHE_HOME: "relative", HOME: "/home/u" }, "k")).toEqual({ dir: "/home/u/.cache/backlog", build: "k" });
    expect(policyCache({ HOME: "/home/u" }, "k")).toEqual({ dir: "/home/u/.cache/backlog", build: "k" });
  });

  it("is off without a build key, without an absolute HOME, or with BACKLOG_POLICY_CACHE=off", () => {
    expect(policyCache({ HOME: "/home/u" }, undefined)).toBeNull();
    expect(policyCache({ HOME: "/home/u" }, "")).toBeNull();
    expect(policyCache({}, "k")).toBeNull();
    expect(policyCache({ HOME: "home" }, "k")).toBeNull();
    expect(policyCache({ HOME: "/home/u", BACKLOG_POLICY_CACHE: "off" }, "k")).toBeNull();
  });
});

describe("policy through the cache", () => {
  it("gives the policy parsing gives, when it keeps it and when it reads it back", () => {
    const cache = policyCache({ XDG_CACHE_HOME: tempDir() }, "build-key");
    if (cache === null) throw new Error("expected a cache");
    const shipped = readFileSync(join(REPO, "config/backlog_policy.yml"), "utf8");
    const first = loadPolicy(undefined, REPO, cache).policy;
    expect(existsSync(join(cache.dir, POLICY_CACHE_FILE))).toBe(true);
    const second = loadPolicy(undefined, REPO, cache).policy;
    expect(first).toEqual(parsePolicy(shipped, "shipped"));
    expect(second).toEqual(first);
    expect(second).toEqual(DEFAULT_POLICY);
    // Maps keep no prototype either way (a key such as "constructor" is never inherited).
    expect(Object.getPrototypeOf(second.categories)).toBeNull();
    expect(Object.getPrototypeOf(second.workflow.allowed_transitions)).toBeNull();
  });
});

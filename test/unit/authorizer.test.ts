/**
 * The authorizer of client-requested channels: default deny, only a literal `true` grants,
 * failures and slowness deny, reserved groups never reach it.
 */
import { describe, expect, it } from "vitest";
import { authorizeChannels, denyAll, type Authorizer } from "../../packages/next-channels-broadcast/src/server/auth/authorizer";

const alice = { id: "alice" };

function decide(authorizer: Authorizer, channels: readonly string[], options: { timeoutMs?: number; maxNameLength?: number; user?: { id: string } | null } = {}) {
  return authorizeChannels(
    { authorizer, maxNameLength: options.maxNameLength ?? 128, timeoutMs: options.timeoutMs ?? 1_000 },
    options.user === undefined ? alice : options.user,
    channels,
  );
}

/** An authorizer that records what it was asked. */
function recording(verdict: (channel: string) => ReturnType<Authorizer>): Authorizer & { asked: [string | null, string][] } {
  const asked: [string | null, string][] = [];
  const authorizer = (user: { id: string } | null, channel: string) => {
    asked.push([user?.id ?? null, channel]);
    return verdict(channel);
  };
  return Object.assign(authorizer, { asked });
}

describe("authorizeChannels", () => {
  it("denies everything by default", async () => {
    expect(await decide(denyAll, ["articles-1", "jobs-2"])).toEqual([]);
  });

  it("grants what an allow-all authorizer allows, in order, once each", async () => {
    const allow = recording(() => true);
    expect(await decide(allow, ["b-2", "a-1", "b-2"])).toEqual(["b-2", "a-1"]);
    expect(allow.asked).toEqual([
      ["alice", "b-2"],
      ["alice", "a-1"],
    ]);
  });

  it("partially allows: only the channels the authorizer says true to", async () => {
    const partial = recording((channel) => channel.startsWith("articles-"));
    expect(await decide(partial, ["articles-1", "admin-1", "articles-2", "jobs-3"])).toEqual(["articles-1", "articles-2"]);
    expect(partial.asked.map(([, channel]) => channel)).toEqual(["articles-1", "admin-1", "articles-2", "jobs-3"]);
  });

  it("passes the user, or null for anonymous", async () => {
    const byUser = recording(() => true);
    await decide(byUser, ["a-1"], { user: null });
    await decide(byUser, ["a-1"], { user: { id: "bob" } });
    expect(byUser.asked).toEqual([
      [null, "a-1"],
      ["bob", "a-1"],
    ]);
  });

  it("supports async authorizers", async () => {
    expect(await decide(async (_user, channel) => channel === "a-1", ["a-1", "b-2"])).toEqual(["a-1"]);
  });

  it("a throwing authorizer denies that channel only", async () => {
    const authorizer: Authorizer = (_user, channel) => {
      if (channel === "boom-1") throw new Error("database down");
      return true;
    };
    expect(await decide(authorizer, ["ok-1", "boom-1", "ok-2"])).toEqual(["ok-1", "ok-2"]);
  });

  it("a rejecting authorizer denies that channel only", async () => {
    const authorizer: Authorizer = async (_user, channel) => {
      if (channel === "boom-1") throw new Error("database down");
      return true;
    };
    expect(await decide(authorizer, ["ok-1", "boom-1"])).toEqual(["ok-1"]);
  });

  it("a slow authorizer denies after the timeout, and the answer comes in bounded time", async () => {
    const never = new Promise<boolean>(() => {});
    const authorizer: Authorizer = (_user, channel) => (channel === "slow-1" ? never : true);
    const started = performance.now();
    expect(await decide(authorizer, ["fast-1", "slow-1"], { timeoutMs: 50 })).toEqual(["fast-1"]);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1_000);
  });

  it("a late `true` after the timeout does not grant", async () => {
    let release: (value: boolean) => void = () => {};
    const late = new Promise<boolean>((resolve) => (release = resolve));
    const result = decide(() => late, ["late-1"], { timeoutMs: 20 });
    expect(await result).toEqual([]);
    release(true);
    await late;
    expect(await result).toEqual([]);
  });

  it.each<[string, unknown]>([
    ["the string 'true'", "true"],
    ["1", 1],
    ["an object", { allowed: true }],
    ["an array", [true]],
    ["a non-empty string", "yes"],
    ["a function", () => true],
    ["undefined", undefined],
    ["null", null],
    ["a promise of 'true'", Promise.resolve("true")],
  ])("a truthy or sloppy non-true verdict (%s) denies", async (_name, verdict) => {
    expect(await decide((() => verdict) as unknown as Authorizer, ["a-1"])).toEqual([]);
  });

  it.each([["all"], ["authenticated"], ["anonymous"], ["user:1"], ["user:alice"]])(
    "the reserved group %s is never granted, even by an allow-all authorizer, which is not even asked",
    async (reserved) => {
      const allow = recording(() => true);
      expect(await decide(allow, [reserved, "articles-1"])).toEqual(["articles-1"]);
      expect(allow.asked).toEqual([["alice", "articles-1"]]);
    },
  );

  it.each<[string, string]>([
    ["an empty name", ""],
    ["a space", "a b"],
    ["a leading dot", ".hidden"],
    ["a colon", "user:x"],
    ["unicode", "café-1"],
    ["a newline", "a-1\n"],
    ["a name longer than the configured limit", "x".repeat(33)],
    ["a 10 KB name", "x".repeat(10_240)],
  ])("an invalid name (%s) is dropped without asking the authorizer", async (_name, bad) => {
    const allow = recording(() => true);
    expect(await decide(allow, [bad, "ok-1"], { maxNameLength: 32 })).toEqual(["ok-1"]);
    expect(allow.asked.map(([, channel]) => channel)).toEqual(["ok-1"]);
  });

  it("non-string entries from untrusted JSON are dropped", async () => {
    const allow = recording(() => true);
    expect(await decide(allow, [42, null, { name: "x" }, "ok-1"] as unknown as string[])).toEqual(["ok-1"]);
  });
});

/** The demo's token buckets, on a clock the test moves. */
import { describe, expect, it } from "vitest";
import { createDemoLimiters, formatRetryAfter, RateLimiter, takeSendToken } from "@/demo/rate-limit";
import { readDemoSettings } from "@/demo/settings";

function clock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("RateLimiter", () => {
  it("allows a burst of `limit`, then one per windowMs / limit, and says how long to wait", () => {
    const time = clock();
    const limiter = new RateLimiter({ limit: 3, windowMs: 60_000, now: time.now });
    for (let i = 0; i < 3; i++) expect(limiter.take("bob")).toEqual({ allowed: true });
    expect(limiter.take("bob")).toEqual({ allowed: false, retryAfterMs: 20_000 });
    time.advance(5_000);
    expect(limiter.take("bob")).toEqual({ allowed: false, retryAfterMs: 15_000 });
    expect(limiter.retryAfterMs("bob")).toBe(15_000);
    time.advance(15_000);
    expect(limiter.retryAfterMs("bob")).toBe(0);
    expect(limiter.take("bob")).toEqual({ allowed: true });
    expect(limiter.take("bob").allowed).toBe(false);
  });

  it("keeps one bucket per key", () => {
    const time = clock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000, now: time.now });
    expect(limiter.take("alice").allowed).toBe(true);
    expect(limiter.take("alice").allowed).toBe(false);
    expect(limiter.take("bob").allowed).toBe(true);
  });

  it("refills no further than the burst, and a refund gives one token back", () => {
    const time = clock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 1_000, now: time.now });
    time.advance(60_000);
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k").allowed).toBe(false);
    limiter.refund("k");
    expect(limiter.take("k").allowed).toBe(true);
    limiter.refund("k");
    limiter.refund("k");
    limiter.refund("k");
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k").allowed).toBe(false);
  });

  it("forgets the least recently used keys beyond maxKeys (as full buckets)", () => {
    const time = clock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 2, now: time.now });
    limiter.take("a");
    limiter.take("b");
    limiter.take("a"); // refused, but "a" is now the most recently used
    limiter.take("c"); // evicts "b"
    expect(limiter.take("a").allowed).toBe(false);
    expect(limiter.take("b").allowed).toBe(true);
  });

  it("refuses nonsense options", () => {
    expect(() => new RateLimiter({ limit: 0, windowMs: 1 })).toThrow(RangeError);
    expect(() => new RateLimiter({ limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

describe("the demo's limiters", () => {
  it("limit sends per user per minute with a message that says when to retry", () => {
    const time = clock();
    const limiters = createDemoLimiters(readDemoSettings({ DEMO_SENDS_PER_MINUTE: "2" }), time.now);
    expect(takeSendToken(limiters, "bob")).toBeNull();
    expect(takeSendToken(limiters, "bob")).toBeNull();
    expect(takeSendToken(limiters, "bob")).toBe("You are sending too fast: try again in 30 s.");
    expect(takeSendToken(limiters, "alice")).toBeNull();
    time.advance(30_000);
    expect(takeSendToken(limiters, "bob")).toBeNull();
  });

  it("limit sign-ins and sign-ups per hour", () => {
    const time = clock();
    const limiters = createDemoLimiters(readDemoSettings({ DEMO_SIGNIN_FAILURES_PER_HOUR: "1", DEMO_SIGNUPS_PER_HOUR: "2" }), time.now);
    expect(limiters.signInFailures.take("203.0.113.7").allowed).toBe(true);
    expect(limiters.signInFailures.take("203.0.113.7")).toEqual({ allowed: false, retryAfterMs: 3_600_000 });
    expect(limiters.signUps.take("203.0.113.7").allowed).toBe(true);
    expect(limiters.signUps.take("203.0.113.7").allowed).toBe(true);
    expect(limiters.signUps.take("203.0.113.7")).toEqual({ allowed: false, retryAfterMs: 1_800_000 });
  });

  it("formats waits for people", () => {
    expect(formatRetryAfter(1)).toBe("1 s");
    expect(formatRetryAfter(1_200)).toBe("2 s");
    expect(formatRetryAfter(59_000)).toBe("59 s");
    expect(formatRetryAfter(60_000)).toBe("1 min");
    expect(formatRetryAfter(1_800_000)).toBe("30 min");
  });
});

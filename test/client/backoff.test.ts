import { describe, expect, it } from "vitest";
import { backoffDelay, createBackoff, resolveBackoff } from "../../packages/next-channels-broadcast/src/client/backoff";
import { InvalidNotificationError } from "../../packages/next-channels-broadcast/src/shared/errors";

describe("resolveBackoff", () => {
  it("applies the seed's defaults: 1 s, ×2, 30 s cap, 20 % jitter, unlimited, on", () => {
    expect(resolveBackoff()).toEqual({ initialMs: 1000, maxMs: 30000, factor: 2, jitter: 0.2, maxAttempts: undefined, enabled: true });
  });

  it("raises the default cap when the first delay is above it", () => {
    expect(resolveBackoff({ initialMs: 60_000 }).maxMs).toBe(60_000);
  });

  it.each([
    [{ initialMs: -1 }, "initialMs"],
    [{ initialMs: Number.NaN }, "initialMs"],
    [{ initialMs: 100, maxMs: 50 }, "maxMs"],
    [{ factor: 0.5 }, "factor"],
    [{ jitter: 1.5 }, "jitter"],
    [{ jitter: -0.1 }, "jitter"],
    [{ maxAttempts: 1.5 }, "maxAttempts"],
    [{ maxAttempts: -1 }, "maxAttempts"],
  ])("refuses %j", (options, field) => {
    expect(() => resolveBackoff(options)).toThrow(InvalidNotificationError);
    expect(() => resolveBackoff(options)).toThrow(`backoff.${field}`);
  });
});

describe("backoffDelay", () => {
  it("doubles from the first delay and stops at the cap", () => {
    const options = resolveBackoff({ jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, options))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it("spreads by ±jitter around the base delay and never above the cap", () => {
    const options = resolveBackoff({ initialMs: 1000, jitter: 0.2 });
    expect(backoffDelay(1, options, () => 0)).toBe(800);
    expect(backoffDelay(1, options, () => 0.5)).toBe(1000);
    expect(backoffDelay(1, options, () => 0.999999)).toBe(1200);
    const capped = resolveBackoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5 });
    expect(backoffDelay(3, capped, () => 0.999999)).toBe(1000);
  });
});

describe("createBackoff", () => {
  it("counts attempts, gives up after maxAttempts, and starts over after reset", () => {
    const backoff = createBackoff({ initialMs: 100, jitter: 0, maxAttempts: 2 });
    expect(backoff.next()).toEqual({ attempt: 1, delayMs: 100 });
    expect(backoff.next()).toEqual({ attempt: 2, delayMs: 200 });
    expect(backoff.next()).toBeNull();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.next()).toEqual({ attempt: 1, delayMs: 100 });
  });

  it("maxAttempts 0 gives up at once; undefined never does", () => {
    expect(createBackoff({ maxAttempts: 0 }).next()).toBeNull();
    const unlimited = createBackoff({ jitter: 0 });
    for (let i = 0; i < 100; i += 1) expect(unlimited.next()).not.toBeNull();
    expect(unlimited.next()).toEqual({ attempt: 101, delayMs: 30000 });
  });
});

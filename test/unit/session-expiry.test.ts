/**
 * The gateway's one-timer session expiry schedule: items expire in order at their time, a
 * cancelled one never does, a time already past expires at once, far-off times are reached in
 * steps, and cancelled entries do not pile up (sockets that close long before their session ends).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionExpiries } from "../../packages/next-channels-broadcast/src/server/gateway/session-expiry";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("SessionExpiries", () => {
  it("expires items in time order, each once, with one timer", () => {
    const expired: string[] = [];
    const expiries = new SessionExpiries<string>((item) => expired.push(item));
    const start = Date.now();
    for (const [item, offset] of [["c", 300], ["a", 100], ["d", 400], ["b", 200], ["b2", 200]] as const) expiries.add(item, start + offset);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(150);
    expect(expired).toEqual(["a"]);
    vi.advanceTimersByTime(100);
    expect(expired.sort()).toEqual(["a", "b", "b2"]);
    vi.advanceTimersByTime(1_000);
    expect(expired).toEqual(["a", "b", "b2", "c", "d"]);
    expect(expiries.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a cancelled entry never expires; an earlier add re-arms the timer", () => {
    const expired: string[] = [];
    const expiries = new SessionExpiries<string>((item) => expired.push(item));
    const late = expiries.add("late", Date.now() + 1_000);
    expiries.add("early", Date.now() + 10);
    late.cancel();
    vi.advanceTimersByTime(5_000);
    expect(expired).toEqual(["early"]);
  });

  it("a time already past expires at once; a time beyond setTimeout's range is reached in steps", () => {
    const expired: string[] = [];
    const expiries = new SessionExpiries<string>((item) => expired.push(item));
    expiries.add("past", Date.now() - 1);
    expect(expired).toEqual(["past"]);
    const farOff = 3_000_000_000; // > 2^31 - 1 ms
    expiries.add("far", Date.now() + farOff);
    vi.advanceTimersByTime(2_147_483_647);
    expect(expired).toEqual(["past"]);
    vi.advanceTimersByTime(farOff - 2_147_483_647);
    expect(expired).toEqual(["past", "far"]);
  });

  it("cancelled entries are dropped once they are most of the schedule", () => {
    const expiries = new SessionExpiries<number>(() => undefined);
    const entries = Array.from({ length: 1_000 }, (_, n) => expiries.add(n, Date.now() + 60_000 + n));
    for (const entry of entries.slice(0, 900)) entry.cancel();
    expect(expiries.size).toBeLessThan(200);
    const expired: number[] = [];
    const again = new SessionExpiries<number>((n) => expired.push(n));
    const kept = Array.from({ length: 300 }, (_, n) => again.add(n, Date.now() + 1_000 + n));
    for (const entry of kept.filter((_, n) => n % 3 !== 0)) entry.cancel();
    vi.advanceTimersByTime(2_000);
    expect(expired).toEqual(Array.from({ length: 100 }, (_, n) => n * 3));
  });

  it("stop() ends the schedule: nothing expires after it", () => {
    const expired: string[] = [];
    const expiries = new SessionExpiries<string>((item) => expired.push(item));
    expiries.add("x", Date.now() + 10);
    expiries.stop();
    vi.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

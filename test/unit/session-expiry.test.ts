/**
 * The gateway's one-timer session expiry schedule: items expire in order at their time, a
 * gone one never does, a time already past expires at once, far-off times are reached in
 * steps, and gone items do not pile up (sockets that close long before their session ends).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionExpiries } from "../../packages/next-channels-broadcast/src/server/gateway/session-expiry";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A schedule whose items are gone once put in `gone` (as a socket is once it closes). */
function schedule<T>(onExpired: (item: T) => void, gone = new Set<T>()): SessionExpiries<T> {
  return new SessionExpiries<T>({ onExpired, isGone: (item) => gone.has(item) });
}

describe("SessionExpiries", () => {
  it("expires items in time order, each once, with one timer", () => {
    const expired: string[] = [];
    const expiries = schedule<string>((item) => void expired.push(item));
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

  it("a gone item never expires; an earlier add re-arms the timer", () => {
    const expired: string[] = [];
    const gone = new Set<string>();
    const expiries = schedule<string>((item) => void expired.push(item), gone);
    expiries.add("late", Date.now() + 1_000);
    expiries.add("early", Date.now() + 10);
    gone.add("late");
    expiries.dropped();
    vi.advanceTimersByTime(5_000);
    expect(expired).toEqual(["early"]);
  });

  it("a time already past expires at once; a time beyond setTimeout's range is reached in steps", () => {
    const expired: string[] = [];
    const expiries = schedule<string>((item) => void expired.push(item));
    expiries.add("past", Date.now() - 1);
    expect(expired).toEqual(["past"]);
    const farOff = 3_000_000_000; // > 2^31 - 1 ms
    expiries.add("far", Date.now() + farOff);
    vi.advanceTimersByTime(2_147_483_647);
    expect(expired).toEqual(["past"]);
    vi.advanceTimersByTime(farOff - 2_147_483_647);
    expect(expired).toEqual(["past", "far"]);
  });

  it("gone items are dropped once they are most of the schedule, and the rest still expire in order", () => {
    const gone = new Set<number>();
    const expiries = schedule<number>(() => undefined, gone);
    for (let n = 0; n < 1_000; n++) expiries.add(n, Date.now() + 60_000 + n);
    for (let n = 0; n < 900; n++) {
      gone.add(n);
      expiries.dropped();
    }
    expect(expiries.size).toBeLessThan(200);
    const expired: number[] = [];
    const goneAgain = new Set<number>();
    const again = schedule<number>((n) => void expired.push(n), goneAgain);
    // Added out of order, so the compaction has a real heap to rebuild.
    for (let n = 299; n >= 0; n--) again.add(n, Date.now() + 1_000 + n);
    for (let n = 0; n < 300; n++) {
      if (n % 3 === 0) continue;
      goneAgain.add(n);
      again.dropped();
    }
    expect(again.size).toBeLessThan(150);
    vi.advanceTimersByTime(2_000);
    expect(expired).toEqual(Array.from({ length: 100 }, (_, n) => n * 3));
  });

  it("stop() ends the schedule: nothing expires after it", () => {
    const expired: string[] = [];
    const expiries = schedule<string>((item) => void expired.push(item));
    expiries.add("x", Date.now() + 10);
    expiries.stop();
    vi.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

/**
 * The kit's rate limit (GCRA: one number of state): it answers as a token bucket does — a full
 * burst at once, then `perSecond` a second — on a clock the test moves.
 */
import { describe, expect, it } from "vitest";
import { FULL_BUCKET, RateLimit, TokenBucket } from "../../packages/next-channels-broadcast/src/server/rate-limit";

function clock(start = 5_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** Takes until refused; returns how many were allowed and the state after. */
function drain(limit: RateLimit, state: number): { taken: number; state: number } {
  let taken = 0;
  for (let next = limit.take(state); next !== null; next = limit.take(state)) {
    state = next;
    taken += 1;
  }
  return { taken, state };
}

describe("RateLimit", () => {
  it("allows a burst of `burst` from a full state, then one token per 1/perSecond", () => {
    const time = clock();
    const limit = new RateLimit(20, 40, time.now);
    const first = drain(limit, FULL_BUCKET);
    expect(first.taken).toBe(40);
    // A refused take leaves the state as it was.
    expect(limit.take(first.state)).toBeNull();
    time.advance(49);
    expect(limit.take(first.state)).toBeNull();
    time.advance(1); // 50 ms = one token at 20 a second
    expect(drain(limit, first.state).taken).toBe(1);
    time.advance(1_000);
    expect(drain(limit, first.state).taken).toBe(21); // the one from before and 20 more
  });

  it("refills to the burst and no further, however long it waited", () => {
    const time = clock();
    const limit = new RateLimit(5, 10, time.now);
    const { state } = drain(limit, FULL_BUCKET);
    time.advance(60_000);
    expect(drain(limit, state).taken).toBe(10);
  });

  it("allows exactly the burst with a rate whose interval is not a whole number of ms", () => {
    const time = clock(0);
    const limit = new RateLimit(3, 6, time.now); // 333.33… ms per token
    const { taken, state } = drain(limit, FULL_BUCKET);
    expect(taken).toBe(6);
    time.advance(1_000);
    expect(drain(limit, state).taken).toBe(3);
  });

  it("says how many whole seconds until the next token, at least 1", () => {
    const time = clock();
    const limit = new RateLimit(0.25, 1, time.now); // one token every 4 s
    const { state } = drain(limit, FULL_BUCKET);
    expect(limit.secondsUntilNext(state)).toBe(4);
    time.advance(2_500);
    expect(limit.secondsUntilNext(state)).toBe(2);
    time.advance(1_500);
    expect(limit.secondsUntilNext(state)).toBe(1);
    expect(limit.take(state)).not.toBeNull();
  });
});

describe("TokenBucket", () => {
  it("keeps its own state: take() until empty, then a Retry-After", () => {
    const time = clock();
    const bucket = new TokenBucket(1, 2, time.now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    expect(bucket.secondsUntilNext()).toBe(1);
    time.advance(1_000);
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  });
});

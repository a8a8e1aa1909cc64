/**
 * Rate limits, kept as the generic cell rate algorithm (GCRA): the same answers as a token bucket
 * that refills `perSecond` tokens a second and holds up to `burst`, but its whole state is ONE
 * number — the time at which the bucket would be full again (the "theoretical arrival time").
 *
 * Why: a socket's client-frame budget is then a number on its `Connection` rather than an object
 * per socket (an idle socket's heap is measured against the bare `ws` server's, bench/README.md).
 * `RateLimit` holds what is shared (rate, burst, clock); `TokenBucket` pairs it with one state
 * for the places that want an object (the HTTP publish endpoint, a user's shared budget).
 */
// One shared clock function: a default closure per limit would cost memory for nothing.
const monotonicNow = (): number => performance.now();

/** Slack for floating-point sums of the interval (1000 / 3 ms added six times is not exactly 2000). */
const EPSILON_MS = 1e-6;

/** A state that has taken nothing yet: a full bucket (any clock reads at least 0). */
export const FULL_BUCKET = 0;

export class RateLimit {
  /** Milliseconds one token takes to come back. */
  private readonly interval: number;
  /** How far ahead of now the arrival time may run: `burst` tokens' worth. */
  private readonly tolerance: number;

  /**
   * @example
   * const frames = new RateLimit(20); // 20 a second, bursts of 40
   * let state = FULL_BUCKET;
   * const next = frames.take(state);
   * if (next === null) refuse(); else state = next;
   */
  constructor(
    readonly perSecond: number,
    readonly burst = perSecond * 2,
    private readonly now: () => number = monotonicNow,
  ) {
    this.interval = 1000 / perSecond;
    this.tolerance = burst * this.interval;
  }

  /** Takes one token from `state`: the new state, or null when none is left (the state is unchanged). */
  take(state: number): number | null {
    const now = this.now();
    const next = Math.max(state, now) + this.interval;
    return next - now <= this.tolerance + EPSILON_MS ? next : null;
  }

  /** Whole seconds until `state` has a token again (at least 1), for a `Retry-After` header. */
  secondsUntilNext(state: number): number {
    const wait = state + this.interval - this.tolerance - this.now();
    return Math.max(1, Math.ceil(wait / 1000));
  }
}

/**
 * A token bucket: `perSecond` sustained, bursts up to `burst` (default `2 × perSecond`). Used for
 * the HTTP publish endpoint and the budgets shared by a user's sockets.
 *
 * @example
 * const bucket = new TokenBucket(10);
 * if (!bucket.take()) res.setHeader("Retry-After", String(bucket.secondsUntilNext()));
 */
export class TokenBucket {
  private readonly limit: RateLimit;
  private state = FULL_BUCKET;

  constructor(perSecond: number, burst = perSecond * 2, now: () => number = monotonicNow) {
    this.limit = new RateLimit(perSecond, burst, now);
  }

  /** Takes one token; false when the bucket is empty (the caller is over its rate). */
  take(): boolean {
    const next = this.limit.take(this.state);
    if (next === null) return false;
    this.state = next;
    return true;
  }

  /** Whole seconds until a token is available (at least 1), for a `Retry-After` header. */
  secondsUntilNext(): number {
    return this.limit.secondsUntilNext(this.state);
  }
}

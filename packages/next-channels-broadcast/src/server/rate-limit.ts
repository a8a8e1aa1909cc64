/**
 * A token bucket: `perSecond` sustained, bursts up to `burst` (default `2 × perSecond`). Used for
 * client frames on a socket and for the HTTP publish endpoint.
 */
// One shared clock function: a default closure per bucket would cost every socket memory.
const monotonicNow = (): number => performance.now();

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst = perSecond * 2,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the caller is over its rate). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole seconds until a token is available (at least 1), for a `Retry-After` header. */
  secondsUntilNext(): number {
    this.refill();
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

/**
 * Rate limits of the demo, kept in this process's memory: sends per user, failed sign-ins and
 * sign-ups per client address. A token bucket per key: `limit` tokens, refilled evenly over
 * `windowMs`, so a burst of `limit` is allowed and then one every `windowMs / limit`.
 *
 * Why in memory: the demo runs one process; with several, each enforces its own share (the
 * limit per process). Why on `globalThis`: server actions (Next's bundle) and the Auth.js
 * callbacks must share one set of buckets in a process, like the kit's runtime.
 */
import { getDemoSettings, type DemoSettings } from "./settings";

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface RateLimiterOptions {
  /** Tokens in a full bucket (the burst), and how many are refilled per `windowMs`. */
  limit: number;
  windowMs: number;
  /** Keys remembered (least recently used forgotten first, as a full bucket). Default 10,000. */
  maxKeys?: number;
  /** The clock, in ms (tests). Default `performance.now`. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key.
 *
 * @example
 * const sends = new RateLimiter({ limit: 30, windowMs: 60_000 });
 * const decision = sends.take(userId);
 * if (!decision.allowed) return `Try again in ${formatRetryAfter(decision.retryAfterMs)}.`;
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limit: number;
  private readonly perMs: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions) {
    if (!(options.limit >= 1) || !(options.windowMs > 0)) throw new RangeError("RateLimiter needs limit >= 1 and windowMs > 0.");
    this.limit = options.limit;
    this.perMs = options.limit / options.windowMs;
    this.windowMs = options.windowMs;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes a token for `key`, or says how long until one is available. */
  take(key: string): RateDecision {
    const bucket = this.bucket(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: this.waitMs(bucket) };
  }

  /** Gives back a token taken for an attempt that turned out not to count (e.g. a successful sign-in). */
  refund(key: string): void {
    const bucket = this.bucket(key);
    bucket.tokens = Math.min(this.limit, bucket.tokens + 1);
  }

  /** Milliseconds until `key` may take a token again (0 when it may now). */
  retryAfterMs(key: string): number {
    const bucket = this.bucket(key);
    return bucket.tokens >= 1 ? 0 : this.waitMs(bucket);
  }

  private waitMs(bucket: Bucket): number {
    // The epsilon keeps float noise (3600000.0000000005) from adding a millisecond.
    return Math.ceil(((1 - bucket.tokens) * this.windowMs) / this.limit - 1e-6);
  }

  /** The key's bucket, refilled up to now and moved to the most recently used end. */
  private bucket(key: string): Bucket {
    const now = this.now();
    const found = this.buckets.get(key);
    const bucket = found ?? { tokens: this.limit, at: now };
    bucket.tokens = Math.min(this.limit, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return bucket;
  }
}

/**
 * "12 s", "3 min": how long to wait, rounded up, for messages shown to people.
 *
 * @example
 * formatRetryAfter(1_200) // "2 s"
 * formatRetryAfter(150_000) // "3 min"
 */
export function formatRetryAfter(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

/** The demo's limiters. */
export interface DemoLimiters {
  /** Key: a user id (or `ip:<address>` for an anonymous visitor's job). */
  sends: RateLimiter;
  /** Key: the client address. Only failed attempts count. */
  signInFailures: RateLimiter;
  /** Key: the client address. Every attempt counts (a refused name reveals that it is taken). */
  signUps: RateLimiter;
}

/**
 * Limiters configured from `settings`.
 *
 * @example
 * const limiters = createDemoLimiters(readDemoSettings({ DEMO_SENDS_PER_MINUTE: "2" }));
 */
export function createDemoLimiters(settings: DemoSettings, now?: () => number): DemoLimiters {
  const HOUR = 60 * 60 * 1000;
  return {
    sends: new RateLimiter({ limit: settings.sendsPerMinute, windowMs: 60 * 1000, now }),
    signInFailures: new RateLimiter({ limit: settings.signInFailuresPerHour, windowMs: HOUR, now }),
    signUps: new RateLimiter({ limit: settings.signUpsPerHour, windowMs: HOUR, now }),
  };
}

const LIMITERS_KEY = Symbol.for("next-channels-broadcast.demo-limiters");

/**
 * This process's limiters, from `getDemoSettings()`.
 *
 * @example
 * const decision = demoLimiters().sends.take(user.id);
 */
export function demoLimiters(): DemoLimiters {
  const holder = globalThis as { [LIMITERS_KEY]?: DemoLimiters };
  return (holder[LIMITERS_KEY] ??= createDemoLimiters(getDemoSettings()));
}

/**
 * Takes one send token for `key`; null when allowed, else the message to show.
 *
 * @example
 * const refused = takeSendToken(demoLimiters(), user.id);
 * if (refused) return { status: "error", message: refused };
 */
export function takeSendToken(limiters: Pick<DemoLimiters, "sends">, key: string): string | null {
  const decision = limiters.sends.take(key);
  return decision.allowed ? null : `You are sending too fast: try again in ${formatRetryAfter(decision.retryAfterMs)}.`;
}

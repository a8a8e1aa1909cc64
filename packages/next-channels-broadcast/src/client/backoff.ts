/**
 * Reconnect delays: exponential growth with a cap and optional jitter. No timers here — the
 * socket owns those — so the arithmetic can be tested on its own.
 */
import { InvalidNotificationError } from "../shared/errors.js";

/** How the socket waits between reconnect attempts. Every field is optional. */
export interface BackoffOptions {
  /** Delay before the first reconnect attempt. Default 1000 ms. */
  initialMs?: number;
  /** Upper bound of any delay. Default 30000 ms. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /**
   * Random spread as a fraction of the delay (0.2 → ±20 %). Default 0.2. Spreading matters
   * after a server restart: without it every tab reconnects in the same millisecond.
   */
  jitter?: number;
  /** Attempts before giving up ("failed"). Undefined means never give up. */
  maxAttempts?: number;
  /** False turns reconnecting off: a dropped socket stays closed. Default true. */
  enabled?: boolean;
}

/** `BackoffOptions` with defaults applied and values checked. */
export interface ResolvedBackoff {
  initialMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
  maxAttempts: number | undefined;
  enabled: boolean;
}

export const DEFAULT_BACKOFF: Readonly<ResolvedBackoff> = Object.freeze({
  initialMs: 1_000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  maxAttempts: undefined,
  enabled: true,
});

function invalid(field: string, problem: string): never {
  throw new InvalidNotificationError("INVALID_ARGUMENT", `Invalid backoff.${field}: ${problem}.`);
}

/**
 * Applies defaults and refuses nonsense (negative delays, factor below 1, jitter outside
 * 0..1), so a typo fails at start-up instead of hammering the server.
 *
 * @example
 * resolveBackoff({ initialMs: 50, jitter: 0 }) // { initialMs: 50, maxMs: 30000, factor: 2, jitter: 0, ... }
 */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const resolved: ResolvedBackoff = {
    initialMs: options.initialMs ?? DEFAULT_BACKOFF.initialMs,
    maxMs: options.maxMs ?? Math.max(DEFAULT_BACKOFF.maxMs, options.initialMs ?? 0),
    factor: options.factor ?? DEFAULT_BACKOFF.factor,
    jitter: options.jitter ?? DEFAULT_BACKOFF.jitter,
    maxAttempts: options.maxAttempts,
    enabled: options.enabled ?? DEFAULT_BACKOFF.enabled,
  };
  if (!Number.isFinite(resolved.initialMs) || resolved.initialMs < 0) invalid("initialMs", "must be a finite number ≥ 0");
  if (!Number.isFinite(resolved.maxMs) || resolved.maxMs < resolved.initialMs) invalid("maxMs", "must be a finite number ≥ initialMs");
  if (!Number.isFinite(resolved.factor) || resolved.factor < 1) invalid("factor", "must be a finite number ≥ 1");
  if (!Number.isFinite(resolved.jitter) || resolved.jitter < 0 || resolved.jitter > 1) invalid("jitter", "must be between 0 and 1");
  if (resolved.maxAttempts !== undefined && (!Number.isSafeInteger(resolved.maxAttempts) || resolved.maxAttempts < 0)) {
    invalid("maxAttempts", "must be an integer ≥ 0 or undefined");
  }
  if (typeof resolved.enabled !== "boolean") invalid("enabled", "must be a boolean");
  return resolved;
}

/**
 * Delay before reconnect attempt `attempt` (1-based), capped at `maxMs`.
 * `random` is injectable so jitter can be tested deterministically.
 *
 * @example
 * const b = resolveBackoff({ jitter: 0 });
 * [1, 2, 3].map((n) => backoffDelay(n, b)) // [1000, 2000, 4000]
 */
export function backoffDelay(attempt: number, options: ResolvedBackoff, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** exponent);
  if (options.jitter === 0) return Math.round(base);
  const spread = 1 - options.jitter + 2 * options.jitter * random();
  return Math.round(Math.min(options.maxMs, Math.max(0, base * spread)));
}

/** Result of asking for the next attempt: its number and delay, or null when exhausted. */
export type BackoffStep = { attempt: number; delayMs: number } | null;

/** Attempt counter plus delay policy, as one small stateful object. */
export interface Backoff {
  /** Counts one more attempt and returns its delay, or null when `maxAttempts` is used up. */
  next(): BackoffStep;
  /** Back to attempt 1; called after a successful open. */
  reset(): void;
  /** Attempts counted since the last reset. */
  readonly attempts: number;
  readonly options: ResolvedBackoff;
}

/**
 * A stateful backoff: `next()` per failed connection, `reset()` once one succeeds.
 *
 * @example
 * const backoff = createBackoff({ initialMs: 100, jitter: 0, maxAttempts: 2 });
 * backoff.next(); // { attempt: 1, delayMs: 100 }
 * backoff.next(); // { attempt: 2, delayMs: 200 }
 * backoff.next(); // null → give up
 */
export function createBackoff(options?: BackoffOptions, random: () => number = Math.random): Backoff {
  const resolved = resolveBackoff(options);
  let attempts = 0;
  return {
    next() {
      const attempt = attempts + 1;
      if (resolved.maxAttempts !== undefined && attempt > resolved.maxAttempts) return null;
      attempts = attempt;
      return { attempt, delayMs: backoffDelay(attempt, resolved, random) };
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
    options: resolved,
  };
}

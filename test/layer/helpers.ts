/** Helpers for channel-layer tests: a recording listener and a bounded poll. */
import type { LayerListener } from "../../packages/next-channels-broadcast/src/server/layer/types";

type Waiter = { predicate: (frame: string) => boolean; resolve: (frame: string) => void };

/** A layer listener that records frames and lets a test await one. */
export interface Recorder {
  readonly frames: string[];
  readonly listener: LayerListener;
  /** The first recorded or future frame matching `predicate`; rejects after `timeoutMs`. */
  next(predicate: (frame: string) => boolean, timeoutMs?: number): Promise<string>;
}

export function recorder(): Recorder {
  const frames: string[] = [];
  let waiters: Waiter[] = [];
  return {
    frames,
    listener(frame) {
      frames.push(frame);
      waiters = waiters.filter((waiter) => {
        if (!waiter.predicate(frame)) return true;
        waiter.resolve(frame);
        return false;
      });
    },
    next(predicate, timeoutMs = 5_000) {
      const seen = frames.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (frame) => {
            clearTimeout(timer);
            resolve(frame);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((other) => other !== waiter);
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${frames.length} frames`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

/**
 * Publishes probes until one is delivered (an outage is over end to end); resolves with the
 * time it took. Publishes that fail (Redis still down) are retried: this is a poll, not a sleep.
 */
export async function untilDelivered(
  publish: (probe: string) => Promise<unknown>,
  delivered: (probe: string, timeoutMs: number) => Promise<unknown>,
  timeoutMs = 15_000,
): Promise<number> {
  const started = Date.now();
  for (let attempt = 0; Date.now() - started < timeoutMs; attempt++) {
    const probe = `probe-${attempt}-${Date.now()}`;
    try {
      await publish(probe);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    try {
      await delivered(probe, 250);
      return Date.now() - started;
    } catch {
      // published but not delivered yet: subscriptions are still being restored
    }
  }
  throw new Error(`nothing delivered within ${timeoutMs} ms`);
}

/** Polls `check` every 20 ms until true; throws after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

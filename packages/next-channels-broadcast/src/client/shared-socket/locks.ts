/**
 * The Web Locks the shared socket uses: one to elect the leading tab, one per tab that lives as
 * long as the tab (the leader waits on it to learn, without polling, that a tab closed or crashed:
 * the browser releases a dead document's locks).
 */

/** The part of `navigator.locks` used. */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<unknown>): Promise<unknown>;
}

/** A lock held or waited for; `release()` lets it go (or stops waiting). */
export interface HeldLock {
  release(): void;
}

/**
 * Waits for the lock `name`, calls `onGranted` once it is held, and keeps it until `release()`.
 * Releasing before it was granted stops the wait; `onGranted` is then never called.
 *
 * @example
 * const leader = holdLock(navigator.locks, "ncb:leader:/ws/notifications", () => startHub());
 * // at pagehide
 * leader.release();
 */
export function holdLock(locks: LockManagerLike, name: string, onGranted: () => void): HeldLock {
  const abort = new AbortController();
  let letGo: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    letGo = resolve;
  });
  let done = false;
  locks
    .request(name, { signal: abort.signal }, async () => {
      if (done) return;
      onGranted();
      await released;
    })
    // An aborted wait rejects with AbortError: that is the release, nothing to report.
    .catch(() => undefined);
  return {
    release() {
      if (done) return;
      done = true;
      abort.abort();
      letGo();
    },
  };
}

/** `navigator.locks` when the browser has it. */
export function browserLocks(): LockManagerLike | null {
  const locks = typeof navigator !== "undefined" ? (navigator as { locks?: LockManagerLike }).locks : undefined;
  // Some environments define the property as null (happy-dom).
  return locks != null && typeof locks.request === "function" ? locks : null;
}

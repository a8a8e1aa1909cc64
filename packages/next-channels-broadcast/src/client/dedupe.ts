/**
 * Remembers the ids of recent notifications so a replayed copy and the live copy of the
 * same message are shown once. Bounded: ids only ever grow, and a long-lived tab must not
 * keep every id it has seen.
 */

/** Default number of ids remembered. */
export const DEFAULT_DEDUPE_CAPACITY = 1_000;

export interface IdDeduper {
  /**
   * True when `id` was seen before (a duplicate). Otherwise records it and returns false,
   * so one call both checks and remembers.
   */
  seen(id: number): boolean;
  /** Number of ids currently remembered (never above the capacity). */
  readonly size: number;
}

/**
 * A first-in-first-out set of the last `capacity` ids.
 *
 * @example
 * const dedupe = createIdDeduper(2);
 * dedupe.seen(1); // false
 * dedupe.seen(1); // true
 * dedupe.seen(2); dedupe.seen(3); // 1 is forgotten
 * dedupe.seen(1); // false
 */
export function createIdDeduper(capacity = DEFAULT_DEDUPE_CAPACITY): IdDeduper {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`Dedupe capacity must be a positive integer, got ${capacity}.`);
  }
  // A Set iterates in insertion order, so its first element is always the oldest id.
  const ids = new Set<number>();
  return {
    seen(id) {
      if (ids.has(id)) return true;
      ids.add(id);
      if (ids.size > capacity) {
        const oldest = ids.values().next();
        if (!oldest.done) ids.delete(oldest.value);
      }
      return false;
    },
    get size() {
      return ids.size;
    },
  };
}

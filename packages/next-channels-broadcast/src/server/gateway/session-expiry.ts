/**
 * When each socket's session ends, with one timer for the whole process instead of one per socket.
 *
 * A `setTimeout` per socket costs a Timeout object and the closures it keeps alive (~0.3 KB a
 * socket); 100,000 idle sockets do not need 100,000 timers. Items sit in a binary min-heap by
 * expiry, kept as two parallel arrays (the times as raw doubles, the items beside them), so an
 * entry costs 16 bytes and no object of its own; one timer is armed for the earliest.
 *
 * An item that goes away first (its socket closed) is not searched for: `isGone(item)` says so,
 * and such items are dropped when they reach the top, or all at once when the caller has reported
 * (`dropped()`) more of them than half the heap.
 */

/** Longest delay `setTimeout` accepts; a later expiry is reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;
/** Below this many reported departures the heap is never compacted (compaction costs O(n)). */
const MIN_COMPACTION = 64;

export interface SessionExpiriesOptions<T> {
  /** Called once for each item whose time has come (and that is not gone). */
  onExpired: (item: T) => void;
  /** True when `item` left before its time (e.g. its socket closed): it must not expire. */
  isGone: (item: T) => boolean;
  /** The clock, ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

export class SessionExpiries<T> {
  private times: number[] = [];
  private items: T[] = [];
  private droppedCount = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The time the armed timer fires at (the heap's top when it was armed). */
  private armedFor = Infinity;
  private readonly onExpired: (item: T) => void;
  private readonly isGone: (item: T) => boolean;
  private readonly now: () => number;

  /**
   * @example
   * const expiries = new SessionExpiries<Connection>({ onExpired: (c) => shut(c, 4001, "session expired"), isGone: (c) => c.closing });
   * expiries.add(connection, user.expiresAt);
   * // when the socket closes first:
   * expiries.dropped();
   */
  constructor(options: SessionExpiriesOptions<T>) {
    this.onExpired = options.onExpired;
    this.isGone = options.isGone;
    this.now = options.now ?? Date.now;
  }

  /** Schedules `item` to expire at `at` (ms since the epoch); a time already past expires it now. */
  add(item: T, at: number): void {
    if (at <= this.now()) {
      this.onExpired(item);
      return;
    }
    this.push(at, item);
    if (at < this.armedFor) this.arm();
  }

  /**
   * An item added earlier went away before its time (`isGone` now says so). Only counted: the
   * heap is compacted once such items may be more than half of it. Reporting an item that already
   * expired only makes the next compaction come sooner.
   */
  dropped(): void {
    this.droppedCount += 1;
    if (this.droppedCount > MIN_COMPACTION && this.droppedCount * 2 > this.times.length) this.compact();
  }

  /** Entries waiting (gone ones not yet dropped included). For tests and stats. */
  get size(): number {
    return this.times.length;
  }

  /** Stops the timer; nothing expires any more. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.times = [];
    this.items = [];
    this.droppedCount = 0;
  }

  private compact(): void {
    const times: number[] = [];
    const items: T[] = [];
    for (let index = 0; index < this.items.length; index += 1) {
      if (this.isGone(this.items[index]!)) continue;
      times.push(this.times[index]!);
      items.push(this.items[index]!);
    }
    this.times = times;
    this.items = items;
    this.droppedCount = 0;
    // Floyd's heap construction: sift every parent down, last first.
    for (let index = (times.length >> 1) - 1; index >= 0; index -= 1) this.siftDown(index);
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    if (this.times.length === 0) return;
    const top = this.times[0]!;
    this.armedFor = top;
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.min(top - this.now(), MAX_TIMER_MS)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.now();
    const due: T[] = [];
    while (this.times.length > 0 && this.times[0]! <= now) {
      const item = this.items[0]!;
      this.pop();
      if (!this.isGone(item)) due.push(item);
    }
    this.arm();
    for (const item of due) this.onExpired(item);
  }

  private push(at: number, item: T): void {
    const { times, items } = this;
    let index = times.length;
    times.push(at);
    items.push(item);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent]! <= at) break;
      times[index] = times[parent]!;
      items[index] = items[parent]!;
      index = parent;
    }
    times[index] = at;
    items[index] = item;
  }

  private pop(): void {
    const lastTime = this.times.pop()!;
    const lastItem = this.items.pop()!;
    if (this.times.length === 0) return;
    this.times[0] = lastTime;
    this.items[0] = lastItem;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const { times, items } = this;
    const at = times[start]!;
    const item = items[start]!;
    let index = start;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= times.length) break;
      const right = left + 1;
      const child = right < times.length && times[right]! < times[left]! ? right : left;
      if (times[child]! >= at) break;
      times[index] = times[child]!;
      items[index] = items[child]!;
      index = child;
    }
    times[index] = at;
    items[index] = item;
  }
}

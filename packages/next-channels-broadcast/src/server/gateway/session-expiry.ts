/**
 * When each socket's session ends, with one timer for the whole process instead of one per socket.
 *
 * A `setTimeout` per socket costs a Timeout object and the closures it keeps alive (~0.3 KB a
 * socket, most of it the handshake's whole closure context); 100,000 idle sockets do not need
 * 100,000 timers. Entries sit in a binary min-heap by expiry; one timer is armed for the earliest.
 * Cancelling marks an entry (O(1)); marked entries are dropped when they reach the top, or all at
 * once when they are more than half the heap (sockets that close long before their session ends).
 */

/** Longest delay `setTimeout` accepts; a later expiry is reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** One socket's place in the schedule; `cancel()` when the socket closes first. */
export interface ExpiryEntry {
  cancel(): void;
}

class Entry<T> implements ExpiryEntry {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly item: T,
    private readonly owner: SessionExpiries<T>,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.owner.noteCancelled();
  }
}

export class SessionExpiries<T> {
  private heap: Entry<T>[] = [];
  private cancelledCount = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The time the armed timer fires at (the heap's top when it was armed). */
  private armedFor = Infinity;

  /**
   * @example
   * const expiries = new SessionExpiries<Connection>((connection) => shut(connection, 4001, "session expired"));
   * connection.expiry = expiries.add(connection, user.expiresAt);
   */
  constructor(
    private readonly onExpired: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Schedules `item` to expire at `at` (ms since the epoch); a time already past expires it now. */
  add(item: T, at: number): ExpiryEntry {
    const entry = new Entry(at, item, this);
    if (at <= this.now()) {
      entry.cancelled = true;
      this.onExpired(item);
      return entry;
    }
    this.push(entry);
    if (at < this.armedFor) this.arm();
    return entry;
  }

  /** Entries waiting (cancelled ones not yet dropped included). For tests and stats. */
  get size(): number {
    return this.heap.length;
  }

  /** Stops the timer; nothing expires any more. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.heap = [];
    this.cancelledCount = 0;
  }

  /** @internal An entry was cancelled. */
  noteCancelled(): void {
    this.cancelledCount += 1;
    if (this.cancelledCount > 64 && this.cancelledCount * 2 > this.heap.length) this.compact();
  }

  private compact(): void {
    this.heap = this.heap.filter((entry) => !entry.cancelled);
    this.cancelledCount = 0;
    // Floyd's heap construction: sift every parent down, last first.
    for (let index = (this.heap.length >> 1) - 1; index >= 0; index -= 1) this.siftDown(index);
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    const top = this.heap[0];
    if (top === undefined) return;
    this.armedFor = top.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.min(top.at - this.now(), MAX_TIMER_MS)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.now();
    const due: T[] = [];
    for (let top = this.heap[0]; top !== undefined && top.at <= now; top = this.heap[0]) {
      this.pop();
      if (top.cancelled) this.cancelledCount -= 1;
      else {
        top.cancelled = true;
        due.push(top.item);
      }
    }
    this.arm();
    for (const item of due) this.onExpired(item);
  }

  private push(entry: Entry<T>): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const entry = heap[start]!;
    let index = start;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= entry.at) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = entry;
  }
}

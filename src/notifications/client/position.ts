/**
 * The browser's position: the highest notification id it has accounted for, reported as `lastId`
 * on every (re)connect and `subscribe` so the server can send what the tab missed.
 *
 * Why not simply "the highest id received": ids are global and increasing, but two server
 * processes can publish out of order — id 99 may reach the tab after id 100. A tab that closed
 * right after receiving 100 and reported `lastId=100` would never get 99. So an id counts for the
 * position only once it has SETTLED: it was received at least `settleMs` before now while the
 * socket stayed open, time enough for any lower id published by another process to have arrived.
 * When the socket closes, ids not yet settled are forgotten here; the server re-sends them on the
 * next connect (they are above the reported position) and the dedupe set drops the copies.
 *
 * No timers: time is read from `now()` when asked, so the logic is tested without waiting.
 */

/** Default time an id must have been held, socket open, before it counts for the position. */
export const DEFAULT_SETTLE_MS = 2_500;

/** Most unsettled ids remembered; beyond it the newest entry is replaced (settling later: safe). */
const MAX_PENDING = 256;

export interface PositionTracker {
  /** An id arrived on the open socket (duplicates included: a replayed copy is still evidence). */
  received(id: number): void;
  /**
   * Raises the position to `id` at once (a server-rendered watermark while the socket is open:
   * everything up to it has already reached this tab live). Lower values are ignored.
   */
  raise(id: number): void;
  /** The settled position now: what a `subscribe` made now should report. Null when nothing is known. */
  position(): number | null;
  /**
   * The socket closed: keeps what had settled by now, forgets the rest. Returns the position the
   * next connect (and every re-sent subscription) reports.
   */
  closed(): number | null;
  /** Highest id received or raised to, settled or not (diagnostics; never reported to the server). */
  highest(): number | null;
}

export interface PositionTrackerOptions {
  /** The position to start from (e.g. the page's server-rendered watermark). */
  initial?: number | null;
  /** Settle time in ms (≥ 0). Default 2500. */
  settleMs?: number;
  /** Clock (tests). Default `Date.now`. */
  now?: () => number;
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Creates a tracker.
 *
 * @example
 * const tracker = createPositionTracker({ initial: 42, settleMs: 2500 });
 * tracker.received(57);
 * tracker.position(); // 42 — 57 has not settled yet
 * // 2.5 s later, socket still open:
 * tracker.position(); // 57
 * tracker.received(58);
 * tracker.closed();   // 57 — 58 may have overtaken a lower id still in flight; the server re-sends it
 */
export function createPositionTracker(options: PositionTrackerOptions = {}): PositionTracker {
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  if (!Number.isFinite(settleMs) || settleMs < 0) throw new RangeError(`settleMs must be a finite number ≥ 0, got ${settleMs}.`);
  const now = options.now ?? Date.now;
  let floor: number | null = isId(options.initial) ? options.initial : null;
  let highest: number | null = floor;
  // Received, not yet settled; increasing in both time and id. An id not above the last entry is
  // dominated — a higher id received earlier settles first — so it is never stored.
  const pending: { id: number; at: number }[] = [];

  const settle = () => {
    const cutoff = now() - settleMs;
    let settled = 0;
    while (settled < pending.length && pending[settled]!.at <= cutoff) settled += 1;
    if (settled === 0) return;
    const id = pending[settled - 1]!.id;
    if (floor === null || id > floor) floor = id;
    pending.splice(0, settled);
  };

  return {
    received(id) {
      if (!isId(id)) return;
      if (highest === null || id > highest) highest = id;
      settle();
      if (floor !== null && id <= floor) return;
      const last = pending.at(-1);
      if (last !== undefined && id <= last.id) return;
      // Replacing the newest entry makes its id settle later than it could: conservative, never lossy.
      if (pending.length >= MAX_PENDING) pending.pop();
      pending.push({ id, at: now() });
    },
    raise(id) {
      if (!isId(id)) return;
      if (highest === null || id > highest) highest = id;
      if (floor !== null && id <= floor) return;
      floor = id;
      while (pending.length > 0 && pending[0]!.id <= id) pending.shift();
    },
    position() {
      settle();
      return floor;
    },
    closed() {
      settle();
      pending.length = 0;
      return floor;
    },
    highest: () => highest,
  };
}

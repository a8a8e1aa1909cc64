/**
 * Batched acknowledgements. Only frames that ask for one (`"ack": true`: a user's inbox rows)
 * are acknowledged, and their ids are collected for a moment and sent as one
 * `{"type":"ack","ids":[…]}` frame — a replay of 80 inbox rows costs the server one or two frames
 * (and statements), not 80, and never counts 80 times against the client frame-rate limit.
 *
 * Ids that cannot be sent (the socket closed meanwhile) are dropped, not kept: the server replays
 * unacknowledged inbox rows on the next connect, and the replayed copy asks for its ack again.
 */
import { MAX_ACK_BATCH } from "../shared/protocol";

/** Default time ids are collected before they are sent. */
export const DEFAULT_ACK_DELAY_MS = 25;

export interface AckBatcher {
  /** Queues `id` for the next batch (once, however often it is added before the batch leaves). */
  add(id: number): void;
  /** Sends what is queued now. */
  flush(): void;
  /** Forgets what is queued, without sending (the socket closed). */
  clear(): void;
  /** Ids queued and not yet sent. */
  readonly size: number;
}

export interface AckBatcherOptions {
  /** Sends one batch; returns false when it could not (socket not open) — the ids are then dropped. */
  send(ids: number[]): boolean;
  /** How long ids are collected. Default 25 ms. A full batch (`MAX_ACK_BATCH` ids) leaves at once. */
  delayMs?: number;
}

/**
 * Creates a batcher.
 *
 * @example
 * const acks = createAckBatcher({ send: (ids) => socket.send({ type: "ack", ids }) });
 * acks.add(17);
 * acks.add(18); // 25 ms later: {"type":"ack","ids":[17,18]}
 */
export function createAckBatcher(options: AckBatcherOptions): AckBatcher {
  const delayMs = options.delayMs ?? DEFAULT_ACK_DELAY_MS;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`ack delay must be a finite number ≥ 0, got ${delayMs}.`);
  // A Set keeps arrival order and drops an id added twice within one batch.
  let queued = new Set<number>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  const flush = () => {
    cancel();
    if (queued.size === 0) return;
    const ids = [...queued];
    queued = new Set();
    for (let start = 0; start < ids.length; start += MAX_ACK_BATCH) {
      if (!options.send(ids.slice(start, start + MAX_ACK_BATCH))) return;
    }
  };

  return {
    add(id) {
      queued.add(id);
      if (queued.size >= MAX_ACK_BATCH) flush();
      else timer ??= setTimeout(flush, delayMs);
    },
    flush,
    clear() {
      cancel();
      queued = new Set();
    },
    get size() {
      return queued.size;
    },
  };
}

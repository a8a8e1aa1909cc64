/**
 * Acknowledgements written in batches. Only acks of inbox rows a socket was actually sent reach
 * this writer (see `Connection.takeAcks`); they are collected for a moment and written with one
 * statement (`store.ackInbox`), so a thousand tabs acking their replay cost a handful of
 * statements instead of a thousand — and an ack flood costs no database work at all.
 */
import type { NotificationStore } from "../store/types";

/** One counted acknowledgement, as reported to `onAck`. */
export interface CountedAck<Event> {
  group: string;
  id: number;
  event: Event;
}

export interface AckWriterOptions<Event> {
  store?: NotificationStore;
  /** How long acks are collected before they are written. Default 50 ms. */
  flushMs?: number;
  /** A batch this big is written at once. Default 500. */
  maxBatch?: number;
  /** Called for each ack once its batch was written (or at once without a store). */
  onWritten?: (ack: CountedAck<Event>) => void | Promise<void>;
  logger: Pick<Console, "error">;
}

export class AckWriter<Event> {
  private batch: CountedAck<Event>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly maxBatch: number;

  constructor(private readonly options: AckWriterOptions<Event>) {
    this.flushMs = options.flushMs ?? 50;
    this.maxBatch = options.maxBatch ?? 500;
  }

  /** Queues acks of `group`'s inbox rows. */
  record(group: string, ids: readonly number[], event: Event): void {
    for (const id of ids) this.batch.push({ group, id, event });
    if (this.batch.length >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Writes what is queued now; resolves when every write started so far has finished. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = [];
    if (batch.length > 0) {
      // Writes are chained, so batches reach the database in the order they were collected.
      this.writing = this.writing.then(() => this.write(batch));
    }
    return this.writing;
  }

  private async write(batch: CountedAck<Event>[]): Promise<void> {
    const { store, onWritten, logger } = this.options;
    try {
      await store?.ackInbox(batch.map(({ group, id }) => ({ group, id })));
    } catch (error) {
      // Not fatal: an unrecorded ack only means the row is replayed once more (and deduped).
      logger.error(`[notifications] could not record ${batch.length} acknowledgement(s)`, error);
      return;
    }
    for (const ack of batch) {
      try {
        await onWritten?.(ack);
      } catch (error) {
        logger.error("[notifications] onAck threw", error);
      }
    }
  }
}

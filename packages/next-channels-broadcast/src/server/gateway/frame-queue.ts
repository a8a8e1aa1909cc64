/**
 * In-order processing of one socket's subscription frames.
 *
 * Why: an `unsubscribe` (page left) must never finish before the slow authorization of the
 * `subscribe` it follows, or the socket would keep the old page's channel. So each socket's
 * frames run one at a time, in arrival order, and — while its handshake subscriptions are being
 * made — after them. Idle sockets keep no queue: memory per connection matters.
 */

interface Queue {
  tail: Promise<void>;
  pending: number;
}

export class FrameQueues<K extends object> {
  private readonly queues = new WeakMap<K, Queue>();

  constructor(
    /** Frames one socket may have waiting; past that `enqueue` refuses. */
    private readonly maxPending: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Makes frames of `key` wait until the returned function is called (the handshake's own
   * subscriptions are done).
   */
  hold(key: K): () => void {
    let release: () => void = () => undefined;
    const queue: Queue = { tail: new Promise<void>((resolve) => (release = resolve)), pending: 0 };
    this.queues.set(key, queue);
    return () => {
      release();
      this.dropIfIdle(key, queue);
    };
  }

  /**
   * Runs `task` after everything queued for `key`. Returns false (and runs nothing) when
   * `maxPending` frames are already waiting: the caller closes such a socket.
   */
  enqueue(key: K, task: () => Promise<void>): boolean {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { tail: Promise.resolve(), pending: 0 };
      this.queues.set(key, queue);
    }
    // The rate limit bounds arrivals, not a slow authorizer: bound what waits too.
    if (queue.pending >= this.maxPending) return false;
    const current = queue;
    current.pending += 1;
    current.tail = current.tail
      .then(task)
      .catch(this.onError)
      .finally(() => {
        current.pending -= 1;
        this.dropIfIdle(key, current);
      });
    return true;
  }

  private dropIfIdle(key: K, queue: Queue): void {
    if (queue.pending === 0 && this.queues.get(key) === queue) this.queues.delete(key);
  }
}

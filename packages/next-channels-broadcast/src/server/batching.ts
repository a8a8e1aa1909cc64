/**
 * Coalescing of concurrent look-ups into batches: one round trip answers many callers.
 *
 * Why not per tick alone (DataLoader's scheduling)? A reconnect storm's handshakes arrive one
 * upgrade event at a time, so a tick rarely holds more than one of them. So calls made while a
 * batch is in flight wait for it and then go together: a lone call waits for exactly one round
 * trip (no timer, no added latency), and 1,000 calls at once cost a handful. A batch is formed in
 * the microtask after its first call, so calls made in the same synchronous run (a join's reads of
 * several kinds) also go together instead of the first going alone.
 */

export interface CoalesceOptions {
  /** Most inputs handed to one batch; the rest wait for the next. Default 1,000. */
  maxBatch?: number;
}

/**
 * Wraps `runBatch` (answers a batch of inputs, one output per input, same order) into a function
 * of one input. At most one batch is in flight; calls made in the same synchronous run go in one
 * batch, and calls made while a batch is in flight are answered by the next. A batch that fails
 * rejects each of its callers with its error and does not affect later ones.
 *
 * @example
 * const lookUp = coalesceCalls(async (ids: string[]) => {
 *   const rows = await db.select().from(users).where(inArray(users.id, ids));
 *   return ids.map((id) => rows.find((row) => row.id === id) ?? null);
 * });
 * const [a, b] = await Promise.all([lookUp("1"), lookUp("2")]); // one batch: made in the same run
 */
export function coalesceCalls<Input, Output>(
  runBatch: (inputs: Input[]) => Promise<readonly Output[]>,
  options: CoalesceOptions = {},
): (input: Input) => Promise<Output> {
  const maxBatch = options.maxBatch ?? 1_000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer (got ${maxBatch}).`);
  let waiting: { input: Input; settle: (output: Output) => void; fail: (error: unknown) => void }[] = [];
  let inFlight = false;

  function runWaiting(): void {
    if (inFlight || waiting.length === 0) return;
    inFlight = true;
    let batch: typeof waiting = [];
    // Formed a microtask later: calls made in the same synchronous run join it. A synchronous
    // throw from runBatch is a failed batch too, not an exception in someone's call.
    Promise.resolve()
      .then(() => {
        batch = waiting.slice(0, maxBatch);
        waiting = waiting.slice(batch.length);
        return runBatch(batch.map((entry) => entry.input));
      })
      .then(
        (outputs) => {
          if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${outputs.length} results`);
          batch.forEach((entry, index) => entry.settle(outputs[index]!));
        },
      )
      .catch((error: unknown) => batch.forEach((entry) => entry.fail(error)))
      .finally(() => {
        inFlight = false;
        runWaiting();
      });
  }

  return (input) =>
    new Promise<Output>((settle, fail) => {
      waiting.push({ input, settle, fail });
      runWaiting();
    });
}

/**
 * Visits `items` `perTurn` at a time, one batch per turn of the event loop (`setImmediate`), so a
 * walk over every socket of a big process (a heartbeat, an outage catch-up) leaves page requests
 * and timers their turns in between instead of blocking them for the whole walk. The first batch
 * runs now. `stop()` ends the walk before its next batch.
 *
 * @example
 * inTurns([...connections], 500, (connection) => connection.ping());
 */
export function inTurns<T>(items: readonly T[], perTurn: number, visit: (item: T) => void, stop: () => boolean = () => false): void {
  if (!Number.isInteger(perTurn) || perTurn < 1) throw new RangeError(`perTurn must be a positive integer (got ${perTurn}).`);
  const step = (start: number): void => {
    if (stop()) return;
    const end = Math.min(start + perTurn, items.length);
    for (let index = start; index < end; index += 1) visit(items[index]!);
    if (end < items.length) setImmediate(step, end);
  };
  step(0);
}

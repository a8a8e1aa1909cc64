/**
 * Fair turns for a database that runs inside this process.
 *
 * PGlite is PostgreSQL compiled to WebAssembly, running on the main thread: every query is
 * synchronous work, and PGlite starts the next queued query in a microtask, with no turn for
 * timers, sockets or HTTP requests in between. 1,500 handshakes at once queue ~4 queries each;
 * run back to back they froze the event loop for 100–200 ms at a time (bench/floods.ts). This
 * queue runs the store's operations one at a time and yields a macrotask turn (setImmediate)
 * before each, so the longest stall is one operation, not a backlog of them. A networked
 * PostgreSQL needs none of this: its queries wait on sockets, not on the CPU.
 */

/**
 * True when `db` is a Drizzle database over PGlite (in-process), judged by its client's shape so
 * PGlite never has to be imported to ask.
 *
 * @example
 * runsInProcess(drizzle(new PGlite())) // true
 * runsInProcess(drizzle(postgres(url))) // false
 */
export function runsInProcess(db: unknown): boolean {
  const client = (db as { $client?: unknown } | null)?.$client as Record<string, unknown> | undefined;
  return typeof client?.execProtocol === "function" && "waitReady" in client;
}

/** Runs an operation in its turn: after every operation queued before it, and after a macrotask turn. */
export type TurnQueue = <R>(operation: () => Promise<R>) => Promise<R>;

/**
 * A queue of turns: operations run one at a time, each after a macrotask turn. Several wrappers
 * given the same queue share it (the store's writes and its batched replay reads).
 *
 * @example
 * const inTurn = createTurnQueue();
 * await Promise.all([inTurn(() => db.execute(a)), inTurn(() => db.execute(b))]); // a, a turn, then b
 */
export function createTurnQueue(): TurnQueue {
  let tail: Promise<unknown> = Promise.resolve();
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  return (operation) => {
    const run = tail.then(turn).then(operation);
    // The queue goes on whether this operation succeeded or not; the caller sees its own outcome.
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Returns `target` with `methods` wrapped so calls run one at a time, each after a macrotask
 * turn (in `queue`, a new one by default). Other properties are kept as they are.
 *
 * @example
 * const fair = takeTurns(store, ["save", "pendingInbox"]);
 * await Promise.all([fair.save(…), fair.pendingInbox(…)]); // one after the other, the loop breathing between
 */
export function takeTurns<T extends object>(target: T, methods: readonly (keyof T)[], queue: TurnQueue = createTurnQueue()): T {
  const wrapped = { ...target };
  for (const name of methods) {
    const original = target[name];
    if (typeof original !== "function") continue;
    (wrapped as Record<keyof T, unknown>)[name] = (...args: unknown[]) =>
      queue(() => (original as (...a: unknown[]) => Promise<unknown>).apply(target, args));
  }
  return wrapped;
}

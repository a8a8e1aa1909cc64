/**
 * The stored frames a joining socket is owed, fetched with a time limit.
 */
import { EMPTY_REPLAY, replayFor, type ReplayBatch, type ReplayRequest } from "../store/replay";
import type { NotificationStore } from "../store/types";

export type { ReplayBatch, ReplayRequest };

/**
 * What `store` owes for `request`, or nothing when the store fails (logged) or takes longer than
 * `timeoutMs` (logged). A hanging database (accepts connections, never answers) so never holds a
 * socket's `hello` or a subscription hostage; what was not replayed is either an unacknowledged
 * inbox row (replayed on the next connect) or recoverable within the window.
 */
export async function fetchReplay(
  store: NotificationStore,
  request: ReplayRequest,
  options: { timeoutMs: number; logger: Pick<Console, "warn" | "error"> },
): Promise<ReplayBatch> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
    timer.unref();
  });
  const work = replayFor(store, request);
  // A late failure after the timeout must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    const batch = await Promise.race([work, timedOut]);
    if (batch !== "timeout") return batch;
    options.logger.warn(`[notifications] replay took longer than ${options.timeoutMs} ms; the socket goes on without it`);
    return EMPTY_REPLAY;
  } catch (error) {
    options.logger.error("[notifications] could not replay stored notifications", error);
    return EMPTY_REPLAY;
  } finally {
    clearTimeout(timer);
  }
}

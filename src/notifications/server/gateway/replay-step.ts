/**
 * The stored frames a socket is owed, fetched with a time limit.
 */
import { replayFrames } from "../store/replay";
import type { NotificationStore } from "../store/types";

export type ReplayRequest = Parameters<typeof replayFrames>[1];

/**
 * The frames `store` would replay for `request`, or none when the store fails (logged) or takes
 * longer than `timeoutMs` (logged). A hanging database (accepts connections, never answers) so
 * never holds a socket's `hello` hostage; what was not replayed is either an unacknowledged
 * inbox row (replayed on the next connect) or recoverable within the window.
 */
export async function fetchReplay(
  store: NotificationStore,
  request: ReplayRequest,
  options: { timeoutMs: number; logger: Pick<Console, "warn" | "error"> },
): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
    timer.unref();
  });
  const work = replayFrames(store, request);
  // A late failure after the timeout must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    const frames = await Promise.race([work, timedOut]);
    if (frames !== "timeout") return frames;
    options.logger.warn(`[notifications] replay took longer than ${options.timeoutMs} ms; the socket goes on without it`);
    return [];
  } catch (error) {
    options.logger.error("[notifications] could not replay stored notifications", error);
    return [];
  } finally {
    clearTimeout(timer);
  }
}

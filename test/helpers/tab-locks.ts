/**
 * An in-memory Web Locks manager for Node tests of the shared socket (Node 20 has no
 * `navigator.locks`): exclusive locks granted in request order, waits abortable by signal, and
 * per-tab views so a test can "crash" a tab — its locks go at once, as a browser releases a dead
 * document's, without any of the tab's own code running.
 */
import type { LockManagerLike } from "../../packages/next-channels-broadcast/src/client/shared-socket/locks";

interface Request {
  owner: TabLocks;
  callback: () => Promise<unknown>;
  settle: (value: unknown) => void;
  fail: (error: unknown) => void;
}

/** One tab's view of the browser's locks. */
export interface TabLocks extends LockManagerLike {
  /** Releases every lock this tab holds or waits for, as a crash would. */
  crash(): void;
}

/** The browser's lock manager; `tab()` gives each tab its view. */
export function createBrowserLocks() {
  const held = new Map<string, Request>();
  const queues = new Map<string, Request[]>();

  const grantNext = (name: string) => {
    if (held.has(name)) return;
    const next = queues.get(name)?.shift();
    if (next === undefined) return;
    held.set(name, next);
    const done = (settle: () => void) => {
      if (held.get(name) !== next) return;
      held.delete(name);
      settle();
      grantNext(name);
    };
    Promise.resolve()
      .then(next.callback)
      .then(
        (value) => done(() => next.settle(value)),
        (error) => done(() => next.fail(error)),
      );
  };

  return {
    /** Names of the locks held now. */
    heldNames: () => [...held.keys()],
    tab(): TabLocks {
      const view: TabLocks = {
        request(name, options, callback) {
          return new Promise((resolve, reject) => {
            const request: Request = { owner: view, callback, settle: resolve, fail: reject };
            options.signal?.addEventListener("abort", () => {
              const queue = queues.get(name) ?? [];
              const at = queue.indexOf(request);
              if (at === -1) return; // granted already: aborting does nothing
              queue.splice(at, 1);
              reject(new DOMException("aborted", "AbortError"));
            });
            const queue = queues.get(name) ?? [];
            queue.push(request);
            queues.set(name, queue);
            grantNext(name);
          });
        },
        crash() {
          for (const [name, request] of [...held]) {
            if (request.owner !== view) continue;
            held.delete(name);
            grantNext(name);
          }
          for (const queue of queues.values()) {
            for (let at = queue.length - 1; at >= 0; at -= 1) if (queue[at]!.owner === view) queue.splice(at, 1);
          }
        },
      };
      return view;
    },
  };
}

/**
 * Request/response over the Node IPC channel between `run.ts` and its child processes.
 * A child calls `serve(handlers)`; the parent wraps the child with `rpc(child)`.
 */
import type { ChildProcess } from "node:child_process";

type Handler = (args: Record<string, unknown>) => unknown;

interface Request {
  id: number;
  cmd: string;
  args: Record<string, unknown>;
}

interface Response {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

interface EventMessage {
  event: string;
  data: unknown;
}

/** Child side: answers the parent's commands; exits when the parent goes away. */
export function serve(handlers: Record<string, Handler>): void {
  process.on("disconnect", () => process.exit(0));
  process.on("message", (raw) => {
    const request = raw as Request;
    const handler = handlers[request.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${request.cmd}`);
        return handler(request.args ?? {});
      })
      .then(
        (result) => reply({ id: request.id, ok: true, result }),
        (error: unknown) => reply({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
}

function reply(response: Response): void {
  process.send?.(response);
}

/** Child side: an unsolicited event to the parent. */
export function emit(event: string, data: unknown): void {
  process.send?.({ event, data } satisfies EventMessage);
}

export interface Rpc {
  call<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves with the data of the next `event` for which `match` holds. */
  next<T = unknown>(event: string, match?: (data: T) => boolean, timeoutMs?: number): Promise<T>;
}

/** Parent side. */
export function rpc(child: ChildProcess, name: string): Rpc {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  const listeners = new Set<(message: EventMessage) => void>();
  child.on("message", (raw) => {
    const message = raw as Response | EventMessage;
    if ("event" in message) {
      for (const listener of [...listeners]) listener(message);
      return;
    }
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new Error(`${name}: ${message.error}`));
  });
  child.on("exit", (code, signal) => {
    for (const entry of pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
    }
    pending.clear();
  });
  return {
    call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
        if (!child.connected) {
          pending.delete(id);
          clearTimeout(timer);
          reject(new Error(`${name} is not running`));
          return;
        }
        child.send({ id, cmd, args } satisfies Request);
      });
    },
    next<T>(event: string, match: (data: T) => boolean = () => true, timeoutMs = 60_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const listener = (message: EventMessage) => {
          if (message.event !== event || !match(message.data as T)) return;
          listeners.delete(listener);
          clearTimeout(timer);
          resolve(message.data as T);
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`${name}: no ${event} event within ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.add(listener);
      });
    },
  };
}

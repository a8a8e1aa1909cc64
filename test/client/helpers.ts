/**
 * Test doubles that are not doubles: a real `ws` server on a free port whose upgrades can be
 * refused on demand, and a recorder that turns socket callbacks into awaitable events.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { AppRouterInstance } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement, type ReactNode } from "react";
import { WebSocket, WebSocketServer } from "ws";
import type { RawData } from "ws";
import { ConnectionIndicator } from "../../src/notifications/client/connection-indicator";
import { NotificationsProvider, type NotificationsProviderProps } from "../../src/notifications/client/provider";
import type { ConnectionState, WebSocketConstructor } from "../../src/notifications/client/socket";
import type { ServerFrame } from "../../src/notifications/shared/protocol";

/** The `ws` client class, typed as the constructor the notification socket accepts. */
export const NodeWebSocket: WebSocketConstructor = WebSocket;

/** Resolves when `check` returns true, re-checking after every `notify()`; rejects on timeout. */
class Waiters {
  private readonly pending = new Set<() => boolean>();

  notify(): void {
    for (const check of [...this.pending]) if (check()) this.pending.delete(check);
  }

  until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.pending.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return false;
        clearTimeout(timeout);
        resolve();
        return true;
      };
      this.pending.add(check);
    });
  }
}

export interface ServerConnection {
  ws: WebSocket;
  url: string;
  /** Text frames received from the client, parsed. */
  received: unknown[];
  closeCode: number | null;
  send(frame: unknown): void;
  /** Waits until the client has sent at least `count` frames in total. */
  receivedCount(count: number): Promise<void>;
  closed(): Promise<number>;
}

export interface TestServer {
  url: string;
  /** Every accepted connection, in order. */
  connections: ServerConnection[];
  /** Upgrade requests seen, refused or not. */
  upgrades: number;
  /** While true, upgrade requests are answered by destroying the TCP socket. */
  refuse: boolean;
  /** While true, upgrade requests are never answered (a hung handshake); the sockets are held open. */
  stall: boolean;
  openCount(): number;
  connection(index: number): Promise<ServerConnection>;
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const waiters = new Waiters();
  const stalled = new Set<import("node:stream").Duplex>();

  const server: TestServer = {
    url: "",
    connections: [],
    upgrades: 0,
    refuse: false,
    stall: false,
    openCount: () => server.connections.filter((c) => c.closeCode === null).length,
    async connection(index) {
      await waiters.until(() => server.connections.length > index, `server connection #${index}`);
      return server.connections[index]!;
    },
    until: (condition, what, timeoutMs) => waiters.until(condition, what, timeoutMs),
    async close() {
      for (const socket of stalled) socket.destroy();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };

  http.on("upgrade", (request, socket, head) => {
    server.upgrades += 1;
    waiters.notify();
    if (server.refuse) {
      socket.destroy();
      return;
    }
    if (server.stall) {
      stalled.add(socket);
      socket.on("close", () => stalled.delete(socket));
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: ServerConnection = {
        ws,
        url: request.url ?? "",
        received: [],
        closeCode: null,
        send: (frame) => ws.send(typeof frame === "string" || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
        receivedCount: (count) => waiters.until(() => connection.received.length >= count, `${count} client frames`),
        closed: async () => {
          await waiters.until(() => connection.closeCode !== null, "server-side close");
          return connection.closeCode!;
        },
      };
      ws.on("message", (data: RawData, isBinary: boolean) => {
        connection.received.push(isBinary ? data : JSON.parse(String(data)));
        waiters.notify();
      });
      ws.on("close", (code: number) => {
        connection.closeCode = code;
        waiters.notify();
      });
      server.connections.push(connection);
      waiters.notify();
    });
  });

  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  server.url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws/notifications`;
  return server;
}

/** Collects what a notification socket reports and lets a test await it. */
export class Recorder {
  readonly states: ConnectionState[] = [];
  readonly frames: ServerFrame[] = [];
  readonly channels: (readonly string[])[] = [];
  private readonly waiters = new Waiters();

  readonly onStateChange = (state: ConnectionState) => {
    this.states.push(state);
    this.waiters.notify();
  };

  readonly onFrame = (frame: ServerFrame) => {
    this.frames.push(frame);
    this.waiters.notify();
  };

  readonly onChannelsChange = (channels: readonly string[]) => {
    this.channels.push(channels);
    this.waiters.notify();
  };

  /** Waits for a state matching `match` reported at index `from` or later. Returns its index. */
  async state(match: (state: ConnectionState) => boolean, from = 0, timeoutMs?: number): Promise<number> {
    let found = -1;
    await this.waiters.until(
      () => {
        found = this.states.findIndex((state, index) => index >= from && match(state));
        return found !== -1;
      },
      `a matching state after #${from} (seen: ${JSON.stringify(this.states)})`,
      timeoutMs,
    );
    return found;
  }

  /** Waits for the next state with this status, counting only states reported from now on. */
  next(status: ConnectionState["status"], timeoutMs?: number): Promise<number> {
    return this.state((state) => state.status === status, this.states.length, timeoutMs);
  }

  /** Waits until `condition` holds, re-checked after every state, frame and channel change. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void> {
    return this.waiters.until(condition, `${what} (frames: ${JSON.stringify(this.frames)})`, timeoutMs);
  }

  frameCount(count: number): Promise<void> {
    return this.waiters.until(() => this.frames.length >= count, `${count} frames (seen ${JSON.stringify(this.frames)})`);
  }
}

/** An EventTarget that counts its listeners, to prove cleanup. */
export class CountingTarget extends EventTarget {
  listeners = 0;

  override addEventListener(...args: Parameters<EventTarget["addEventListener"]>): void {
    this.listeners += 1;
    super.addEventListener(...args);
  }

  override removeEventListener(...args: Parameters<EventTarget["removeEventListener"]>): void {
    this.listeners -= 1;
    super.removeEventListener(...args);
  }
}

/** A `pageshow` event as a browser fires it; `persisted` is true on a bfcache restore. */
export function pageShow(persisted: boolean): Event {
  return Object.assign(new Event("pageshow"), { persisted });
}

/** A Next App Router stand-in for provider tests; override what a test watches. */
export function fakeRouter(overrides: { push?: (href: string) => void; refresh?: () => void } = {}): AppRouterInstance {
  const noop = () => {};
  return {
    push: overrides.push ?? noop,
    replace: noop,
    refresh: overrides.refresh ?? noop,
    back: noop,
    forward: noop,
    prefetch: noop,
    hmrRefresh: noop,
  } as unknown as AppRouterInstance;
}

/**
 * Polls `condition` until it holds (React commits on its own schedule, so there is no event to
 * await); throws naming `what` — plus `detail()`, when given — after `timeoutMs`.
 */
export async function pollUntil(condition: () => boolean, what: string, timeoutMs = 5_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `; ${detail()}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `<NotificationsProvider>` as the provider tests use it: user u1, a real ws, fast backoff, an indicator. */
export function providerElement(props: Partial<NotificationsProviderProps>, ...children: ReactNode[]): ReactNode {
  return createElement(
    NotificationsProvider,
    { userId: "u1", WebSocket: NodeWebSocket, backoff: { initialMs: 10, jitter: 0 }, ...props },
    createElement(ConnectionIndicator),
    ...children,
  );
}

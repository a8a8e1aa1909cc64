/**
 * Throwaway gateway servers on free ports, and websocket clients that record what they get.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import WebSocket from "ws";
import { authjsAuthenticate } from "../../packages/next-channels-broadcast/src/server/auth/authjs";
import { createGateway, type Gateway, type GatewayOptions } from "../../packages/next-channels-broadcast/src/server/gateway";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import { installRuntime, uninstallRuntime, type NotificationsRuntime } from "../../packages/next-channels-broadcast/src/server/runtime";
import { readSettings, type NotificationSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { sessionCookie, TEST_SECRET } from "./sessions";

export interface TestGateway {
  gateway: Gateway;
  runtime: NotificationsRuntime;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server on a free loopback port with a gateway and installs its runtime. */
export async function startTestGateway(
  settings: Partial<NotificationSettings> = {},
  options: Omit<GatewayOptions, "settings" | "layer"> & { layer?: GatewayOptions["layer"] } = {},
): Promise<TestGateway> {
  const resolved = readSettings({}, settings);
  const layer = options.layer ?? createMemoryLayer();
  const runtime = installRuntime({ settings: resolved, layer });
  const gateway = createGateway({ authenticate: authjsAuthenticate({ secret: TEST_SECRET }), ...options, settings: resolved, layer });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => {
    if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    gateway,
    runtime,
    server,
    url: `ws://127.0.0.1:${port}${resolved.path}`,
    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await layer.close();
      uninstallRuntime(runtime);
    },
  };
}

type Waiter = { predicate: (frame: ServerFrame) => boolean; resolve: (frame: ServerFrame) => void };

/** A websocket client that records every server frame. */
export class TestClient {
  readonly frames: ServerFrame[] = [];
  readonly raw: string[] = [];
  private waiters: Waiter[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      this.raw.push(text);
      const frame = JSON.parse(text) as ServerFrame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.predicate(frame)) return true;
        waiter.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket; resolves after the server's `hello` (groups joined). */
  static async connect(url: string, options: { userId?: string; cookie?: string; origin?: string; query?: string } = {}): Promise<TestClient> {
    const headers: Record<string, string> = {};
    const cookie = options.cookie ?? (options.userId ? await sessionCookie(options.userId) : undefined);
    if (cookie) headers.cookie = cookie;
    if (options.origin) headers.origin = options.origin;
    const ws = new WebSocket(options.query ? `${url}?${options.query}` : url, { headers });
    const client = new TestClient(ws);
    const hello = client.next((frame) => frame.type === "hello");
    // A refused handshake never reaches `await hello`: its timeout must not become an unhandled rejection.
    hello.catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new HandshakeRefused(res.statusCode ?? 0)));
      ws.once("error", reject);
    });
    await hello;
    return client;
  }

  /** Resolves with the first recorded or future frame matching `predicate`. */
  next(predicate: (frame: ServerFrame) => boolean = () => true, timeoutMs = 5_000): Promise<ServerFrame> {
    const seen = this.frames.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }

  /** Frames that carry a message text. */
  texts(): string[] {
    return this.frames.flatMap((frame) => (frame.type === "message" ? [frame.text] : []));
  }

  send(data: string | Buffer, options?: { binary?: boolean }): void {
    this.ws.send(data, options ?? {});
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

export class HandshakeRefused extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with HTTP ${status}`);
  }
}

/**
 * A gateway and its clients for each test of a file, torn down after each test. Call once at
 * the top of a test file: `const gw = gatewayPerTest();` then `await gw.start(settings)`,
 * `await gw.connect({ userId })`.
 */
export function gatewayPerTest() {
  let current: TestGateway | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await current?.close();
    current = undefined;
  });
  return {
    /** The running gateway of this test (throws before `start`). */
    get server(): TestGateway {
      if (!current) throw new Error("gatewayPerTest: call start() first");
      return current;
    },
    async start(...args: Parameters<typeof startTestGateway>): Promise<TestGateway> {
      current = await startTestGateway(...args);
      return current;
    },
    /** Opens a client that is closed after the test. */
    async connect(options: Parameters<typeof TestClient.connect>[1] = {}): Promise<TestClient> {
      const client = await TestClient.connect(this.server.url, options);
      clients.push(client);
      return client;
    },
    /** Stops tracking a client the test closed itself. */
    forget(client: TestClient): void {
      const index = clients.indexOf(client);
      if (index !== -1) clients.splice(index, 1);
    },
    forgetAll(): void {
      clients.splice(0);
    },
  };
}

/**
 * A memory layer that records each group whose layer subscription is dropped (the gateway drops
 * it when the last local socket leaves the group): proof that a group never flapped.
 */
export function watchedMemoryLayer(): { layer: ChannelLayer; left: string[] } {
  const inner = createMemoryLayer();
  const left: string[] = [];
  const layer: ChannelLayer = {
    kind: inner.kind,
    publish: (group, text) => inner.publish(group, text),
    async subscribe(group, listener) {
      const stop = await inner.subscribe(group, listener);
      return () => {
        left.push(group);
        stop();
      };
    },
    close: () => inner.close(),
  };
  return { layer, left };
}

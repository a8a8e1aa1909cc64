/**
 * A real gateway on a free loopback port, for an app's integration tests: real websockets, real
 * Auth.js session cookies, the in-memory layer — and clients that record what they receive.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { encode } from "next-auth/jwt";
import WebSocket from "ws";
import { authjsAuthenticate } from "../server/auth/authjs.js";
import type { Authorizer } from "../server/auth/authorizer.js";
import { createGateway, type Gateway } from "../server/gateway/index.js";
import { createMemoryLayer } from "../server/layer/memory.js";
import { installRuntime, uninstallRuntime } from "../server/runtime.js";
import { readSettings, type NotificationSettings } from "../server/settings.js";
import type { NotificationStore } from "../server/store/types.js";
import type { ServerFrame } from "../shared/protocol.js";

const COOKIE = "authjs.session-token";

/** A websocket client that records every frame the gateway sends it. */
export interface TestSocket {
  readonly frames: ServerFrame[];
  /** Resolves with the first recorded or future frame matching `predicate` (rejects after `timeoutMs`). */
  next(predicate: (frame: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  /** The message texts received. */
  texts(): string[];
  send(frame: unknown): void;
  close(): Promise<void>;
}

export interface TestGatewayServer {
  gateway: Gateway;
  /** `ws://127.0.0.1:<port>/ws/notifications` */
  url: string;
  /** An Auth.js session cookie for `userId`, as the browser would send it. */
  cookie(userId: string): Promise<string>;
  /** Opens a socket (signed in as `userId`, or anonymous) and resolves once its `hello` arrived. */
  connect(userId?: string | null, query?: string): Promise<TestSocket>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  settings?: Partial<NotificationSettings>;
  authorizer?: Authorizer;
  store?: NotificationStore;
  /** Signs the test cookies and reads them back. Default: a fixed test secret. */
  secret?: string;
}

/**
 * Starts a gateway and installs its runtime, so the send API of the test process reaches it.
 *
 * @example
 * import { startTestGateway } from "next-channels-broadcast/testing";
 * const server = await startTestGateway();
 * const alice = await server.connect("alice");
 * await sendToUser("alice", "Hello");
 * await alice.next((frame) => frame.type === "message" && frame.text === "Hello");
 * await server.close();
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGatewayServer> {
  const secret = options.secret ?? "next-channels-broadcast-test-secret-0123456789";
  const settings = readSettings({}, options.settings ?? {});
  const layer = createMemoryLayer();
  const runtime = installRuntime(options.store ? { settings, layer, store: options.store } : { settings, layer });
  const gateway = createGateway({ settings, layer, store: options.store, authorizer: options.authorizer, tokenSecret: secret, authenticate: authjsAuthenticate({ secret }) });
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on("upgrade", (req, socket, head) => (gateway.handles(req) ? gateway.handleUpgrade(req, socket, head) : socket.destroy()));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}${settings.path}`;
  const sockets = new Set<WebSocket>();
  const cookie = async (userId: string) => `${COOKIE}=${await encode({ token: { sub: userId }, secret, salt: COOKIE, maxAge: 3600 })}`;

  return {
    gateway,
    url,
    cookie,
    async connect(userId = null, query) {
      const headers = userId === null ? {} : { cookie: await cookie(userId) };
      const ws = new WebSocket(query ? `${url}?${query}` : url, { headers });
      sockets.add(ws);
      const frames: ServerFrame[] = [];
      let waiters: { predicate: (frame: ServerFrame) => boolean; resolve: (frame: ServerFrame) => void }[] = [];
      ws.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as ServerFrame;
        frames.push(frame);
        waiters = waiters.filter((waiter) => (waiter.predicate(frame) ? (waiter.resolve(frame), false) : true));
      });
      const socket: TestSocket = {
        frames,
        next(predicate, timeoutMs = 5_000) {
          const seen = frames.find(predicate);
          if (seen) return Promise.resolve(seen);
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)), timeoutMs);
            waiters.push({ predicate, resolve: (frame) => (clearTimeout(timer), resolve(frame)) });
          });
        },
        texts: () => frames.flatMap((frame) => (frame.type === "message" ? [frame.text] : [])),
        send: (frame) => ws.send(JSON.stringify(frame)),
        close: () =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once("close", () => resolve());
            ws.close();
          }),
      };
      await new Promise<void>((resolve, reject) => {
        ws.once("unexpected-response", (_req, res) => reject(new Error(`handshake refused with HTTP ${res.statusCode}`)));
        ws.once("error", reject);
        ws.once("open", () => resolve());
      });
      await socket.next((frame) => frame.type === "hello");
      return socket;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await gateway.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await layer.close();
      uninstallRuntime(runtime);
    },
  };
}

/**
 * A TCP proxy that can drop the network on demand: it forwards connections to a target, and
 * `cut()` destroys every open connection and refuses new ones until `restore()` — what a network
 * partition, a NAT timeout or a flaky Wi-Fi does to long-lived connections. Used between a
 * gateway and Redis, and between a browser and a server.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** Where clients connect: `127.0.0.1:<port>`. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`: load an app through the proxy (its Host is also the page's origin). */
  readonly url: string;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  /** Destroys every open connection (both sides) and refuses new ones until `restore()`. */
  cut(): void;
  /** Accepts and forwards connections again. */
  restore(): void;
  /** Open proxied connections right now. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port forwarding to `target`.
 *
 * @example
 * const proxy = await startTcpProxy({ host: "127.0.0.1", port: redis.port });
 * const layer = createRedisLayer({ url: `redis://127.0.0.1:${proxy.port}` });
 * proxy.cut(); // the layer loses Redis
 * proxy.restore(); // and gets it back
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    cut() {
      refusing = true;
      // A reset, not a graceful FIN: a dropped network gives the peer no orderly close.
      for (const socket of [...open]) socket.resetAndDestroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
    connections: () => open.size / 2,
    async close() {
      refusing = true;
      for (const socket of [...open]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

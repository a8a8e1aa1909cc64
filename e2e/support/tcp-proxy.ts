/**
 * A TCP proxy for browser tests that need the network to fail: the browser talks to the proxy,
 * the proxy forwards every connection byte for byte to the app server. `cut()` is a network
 * drop — every open connection is reset at once and new ones are refused (the port stops
 * listening) — until `restore()` accepts connections again on the same port.
 *
 * Byte-level forwarding keeps everything else real: HTTP, the websocket upgrade and its frames,
 * the Host header (the proxy's own `127.0.0.1:<port>`, which is also the page's origin, so the
 * gateway's same-origin check passes as it would behind any transparent proxy).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { freePort } from "./app-server";

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: load the app from here. */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far (each browser connection counts once). */
  readonly accepted: number;
  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): Promise<void>;
  /** Accepts connections again (same port). */
  restore(): Promise<void>;
  /** Resets everything and stops listening for good. */
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port that forwards to `target` (`host:port` of the app).
 *
 * @example
 * const proxy = await startTcpProxy({ host: "127.0.0.1", port: 3000 });
 * await page.goto(proxy.url);   // the page and its websocket go through the proxy
 * await proxy.cut();            // the network drops: the socket closes, reconnects are refused
 * await proxy.restore();        // and comes back
 * await proxy.close();
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let accepted = 0;
  let server: Server | undefined;

  const onConnection = (client: Socket) => {
    accepted += 1;
    const upstream = createConnection(target);
    const pair = { client, upstream };
    pairs.add(pair);
    // Either side ending or failing ends the other: a half-dead pair would look like a hang.
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const started = createServer(onConnection);
      started.once("error", reject);
      started.listen(port, "127.0.0.1", () => {
        started.off("error", reject);
        server = started;
        resolve();
      });
    });

  const stopListening = async () => {
    const running = server;
    server = undefined;
    // Reset, not a graceful FIN: a dropped network gives the browser no orderly close.
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
    if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    cut: stopListening,
    restore: async () => {
      if (!server) await listen();
    },
    close: stopListening,
  };
}

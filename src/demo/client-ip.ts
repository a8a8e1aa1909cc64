/**
 * The client's address, for the per-address limits on sign-in and sign-up.
 *
 * Why a header of our own: server actions and Auth.js callbacks see only request headers, and
 * the `X-Forwarded-For` Next passes them is whatever the client sent when it sent one (Next only
 * fills it in when missing), so it cannot be trusted. `server.ts` stamps every request with the
 * address of the TCP peer in `x-demo-client-ip`, overwriting any value a client sent; behind your
 * own proxy (`DEMO_TRUST_PROXY=true`) it takes the last `X-Forwarded-For` entry instead, the one
 * your proxy appended.
 */
import type { IncomingMessage, Server } from "node:http";

export const CLIENT_IP_HEADER = "x-demo-client-ip";

/** The key used when no address is known (a server other than server.ts): one shared bucket. */
export const UNKNOWN_CLIENT_IP = "unknown";

function normalize(address: string | undefined): string {
  const trimmed = address?.trim() ?? "";
  if (trimmed === "") return UNKNOWN_CLIENT_IP;
  // IPv4 clients of a dual-stack socket show up as ::ffff:a.b.c.d.
  return trimmed.startsWith("::ffff:") && trimmed.includes(".") ? trimmed.slice(7) : trimmed.toLowerCase();
}

/**
 * The address a request came from: the TCP peer, or with `trustProxy` the last `X-Forwarded-For`
 * entry (falling back to the peer when there is none).
 *
 * @example
 * peerAddress(req, { trustProxy: false }) // "203.0.113.7"
 */
export function peerAddress(req: IncomingMessage, options: { trustProxy: boolean }): string {
  if (options.trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const joined = Array.isArray(forwarded) ? forwarded.join(",") : forwarded;
    const last = joined?.split(",").at(-1);
    if (last && last.trim() !== "") return normalize(last);
  }
  return normalize(req.socket.remoteAddress);
}

/**
 * Makes `server` stamp each request with `x-demo-client-ip` before anything else handles it.
 *
 * @example
 * const running = await startNotificationsServer({ store });
 * stampClientAddress(running.server, { trustProxy: getDemoSettings().trustProxy });
 */
export function stampClientAddress(server: Server, options: { trustProxy: boolean }): void {
  server.prependListener("request", (req: IncomingMessage) => {
    req.headers[CLIENT_IP_HEADER] = peerAddress(req, options);
  });
}

/**
 * The stamped address from request headers (a `Headers` of a route or `headers()` in a server
 * action), or `"unknown"`.
 *
 * @example
 * const ip = clientAddressFrom(await headers());
 */
export function clientAddressFrom(headers: { get(name: string): string | null }): string {
  return normalize(headers.get(CLIENT_IP_HEADER) ?? undefined);
}

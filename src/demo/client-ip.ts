/**
 * The client's address, for the per-address limits on sign-in and sign-up.
 *
 * Why a header of our own: server actions and Auth.js callbacks see only request headers, and
 * the `X-Forwarded-For` Next passes them is whatever the client sent when it sent one (Next only
 * fills it in when missing), so it cannot be trusted. `server.ts` stamps every request with the
 * client's address in `x-demo-client-ip`, overwriting any value a client sent. The address is the
 * one the kit's gateway uses for its caps: the TCP peer, or behind `NOTIFICATIONS_TRUSTED_PROXIES`
 * proxies the address the outermost of them recorded in `X-Forwarded-For`.
 */
import type { IncomingMessage, Server } from "node:http";
import { clientAddress } from "next-channels-broadcast/node";

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
 * Makes `server` stamp each request with `x-demo-client-ip` before anything else handles it.
 * `trustedProxies` is the kit's setting (`NOTIFICATIONS_TRUSTED_PROXIES`, 0 by default).
 *
 * @example
 * const running = await startNotificationsServer({ store });
 * stampClientAddress(running.server, readSettings().trustedProxies);
 */
export function stampClientAddress(server: Server, trustedProxies: number): void {
  server.prependListener("request", (req: IncomingMessage) => {
    req.headers[CLIENT_IP_HEADER] = normalize(clientAddress(req, trustedProxies));
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

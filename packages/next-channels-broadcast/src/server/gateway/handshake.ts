/**
 * Checks made on the HTTP upgrade request before a websocket exists: path, origin, and the
 * client's requested channels.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** The request's path without its query string. */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/**
 * The request's query parameters: what follows the first `?` of its target, up to any `#`.
 * Parsed as `URLSearchParams` straight from that text rather than through a whole `URL` (once
 * per handshake, during a reconnect storm thousands of times a second); the parameters are the same.
 *
 * @example
 * requestQuery(req).get("extraChannels") // '["articles-1"]' for GET /ws?extraChannels=%5B%22articles-1%22%5D
 */
export function requestQuery(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? "/";
  const start = url.indexOf("?");
  if (start === -1) return new URLSearchParams();
  const end = url.indexOf("#", start);
  return new URLSearchParams(end === -1 ? url.slice(start + 1) : url.slice(start + 1, end));
}

/** The scheme and host the browser addressed: the request's own, or a trusted proxy's headers. */
export function requestOrigin(req: IncomingMessage, trustedProxies: number): { protocol: "http:" | "https:"; host: string } | null {
  const forwardedHost = trustedProxies > 0 ? firstValue(req.headers["x-forwarded-host"]) : undefined;
  const forwardedProto = trustedProxies > 0 ? firstValue(req.headers["x-forwarded-proto"]) : undefined;
  const host = forwardedHost ?? firstValue(req.headers.host);
  if (!host) return null;
  const tls = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const protocol = forwardedProto !== undefined ? (forwardedProto.toLowerCase() === "https" ? "https:" : "http:") : tls ? "https:" : "http:";
  return { protocol, host: host.toLowerCase() };
}

/** The first entry of a header that proxies may have turned into a comma-separated list. */
function firstValue(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  const first = raw?.split(",")[0]?.trim();
  return first === undefined || first === "" ? undefined : first;
}

/**
 * Whether the handshake's Origin may open a socket. Browsers always send Origin on websocket
 * handshakes, so a missing Origin is a non-browser client (a script, a test), which cannot be
 * a cross-site hijack. With no configured list, only the app's own origin may: the same scheme
 * and host the request was sent to. Forwarded headers count only when `trustedProxies` > 0 —
 * otherwise anyone could claim any host.
 *
 * @example
 * isOriginAllowed(req, [], 0) // true for Origin http://localhost:3000 on a plain request to Host localhost:3000
 */
export function isOriginAllowed(req: IncomingMessage, allowedOrigins: readonly string[], trustedProxies = 0): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.length > 0) return allowedOrigins.includes(origin);
  const own = requestOrigin(req, trustedProxies);
  if (own === null) return false;
  // A browser's Origin is already serialized (lowercase, no default port): the common case is
  // an exact match, with no URL to parse.
  if (origin === `${own.protocol}//${own.host}`) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return parsed.protocol === own.protocol && parsed.host.toLowerCase() === own.host;
}

/**
 * Reads `?extraChannels=` as the original client sends it: a JSON array of strings. Anything
 * else (a bare string, a number, an object, bad JSON) yields no channels rather than an error,
 * and the list is cut at `max` entries.
 *
 * @example
 * parseExtraChannels('["articles-1","jobs-7"]', 32) // ["articles-1", "jobs-7"]
 * parseExtraChannels('"articles-1"', 32)            // []
 */
export function parseExtraChannels(raw: string | null, max: number): string[] {
  if (raw === null || raw === "") return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((item): item is string => typeof item === "string"))].slice(0, max);
}

/** HTTP status texts of the refusals the gateway answers with. */
const STATUS_TEXT = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 503: "Service Unavailable" } as const;

/**
 * Answers an upgrade request with a plain HTTP error and closes the TCP socket once the answer
 * has been written ('finish'), as ws' own `abortHandshake` does: destroying it at once could cut
 * the answer off. A peer that never reads is cut after a second.
 */
export function refuseUpgrade(socket: Duplex, status: keyof typeof STATUS_TEXT, reason: string): void {
  if (socket.destroyed) return;
  const body = `${reason}\n`;
  socket.once("finish", () => socket.destroy());
  setTimeout(() => socket.destroy(), 1_000).unref();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

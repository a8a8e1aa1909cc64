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

/** The request's query parameters (parsed leniently; a bad URL yields none). */
export function requestQuery(req: IncomingMessage): URLSearchParams {
  try {
    return new URL(req.url ?? "/", "http://localhost").searchParams;
  } catch {
    return new URLSearchParams();
  }
}

/**
 * Whether the handshake's Origin may open a socket. Browsers always send Origin on websocket
 * handshakes, so a missing Origin is a non-browser client (a script, a test), which cannot be
 * a cross-site hijack. With no configured list, only the app's own origin (the Host the
 * request was sent to) is allowed.
 */
export function isOriginAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.length > 0) return allowedOrigins.includes(origin);
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  const host = req.headers["x-forwarded-host"] ?? req.headers.host;
  return typeof host === "string" && host.split(",")[0]!.trim().toLowerCase() === originHost.toLowerCase();
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

/** Answers an upgrade request with a plain HTTP error and closes the TCP socket. */
export function refuseUpgrade(socket: Duplex, status: 400 | 401 | 403 | 404 | 503, reason: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
  socket.destroy();
}

/**
 * Who is behind a websocket handshake. The gateway is given an `Authenticate` function; the
 * default reads the Auth.js session cookie (see `authjs.ts`).
 */
import type { IncomingMessage } from "node:http";

/** The signed-in user behind a socket. */
export interface SocketUser {
  id: string;
  /** When the session ends (ms since epoch); the socket is closed then. Null = no expiry known. */
  expiresAt: number | null;
  /**
   * Names this sign-in, so signing out revokes this session and no other (see `revokeSession`).
   * Auth.js: the token's `sid` claim, set by the app's `jwt` callback at sign-in. Absent = the
   * session can only be revoked with all of its user's (`revokeUserSessions`).
   */
  sessionId?: string | null;
  /** When the session token was issued (ms since epoch): `revokeUserSessions` revokes every one issued before. */
  issuedAt?: number | null;
}

/**
 * Resolves the user of an upgrade request, or null for an anonymous visitor. Return null for bad
 * or missing credentials. A throw (the session store is down, say) refuses the handshake with 503:
 * a signed-in user is never silently treated as anonymous.
 */
export type Authenticate = (req: IncomingMessage) => Promise<SocketUser | null>;

/** Parses a Cookie header into a map (first occurrence of a name wins). */
export function parseCookieHeader(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!value.includes("%")) {
      cookies.set(name, value); // nothing to decode (a session token is base64url)
      continue;
    }
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
}

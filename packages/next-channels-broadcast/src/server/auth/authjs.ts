/**
 * Reads an Auth.js (NextAuth v5) JWT session from a websocket upgrade request's cookies.
 */
import type { IncomingMessage } from "node:http";
import { decode } from "next-auth/jwt";
import type { Authenticate, SocketUser } from "./session.js";
import { parseCookieHeader } from "./session.js";

/** Cookie names Auth.js v5 uses for the session token, plain and behind https. */
export const AUTHJS_SESSION_COOKIES = ["__Secure-authjs.session-token", "authjs.session-token"] as const;

/**
 * The session token under `name`, joined from chunks (`name.0`, `name.1`, …) when Auth.js
 * split a large token across several cookies.
 */
export function readChunkedCookie(cookies: Map<string, string>, name: string): string | null {
  const whole = cookies.get(name);
  if (whole) return whole;
  const chunks: string[] = [];
  for (let index = 0; cookies.has(`${name}.${index}`); index++) chunks.push(cookies.get(`${name}.${index}`)!);
  return chunks.length > 0 ? chunks.join("") : null;
}

export interface AuthjsAuthenticateOptions {
  /** The Auth.js secret(s): `AUTH_SECRET` by default. Several allow key rotation. */
  secret?: string | string[];
  /**
   * Cookie names to try. Default: Auth.js v5's secure and plain names, the one that matches the
   * request's scheme first (`__Secure-` over https, the plain one over http).
   */
  cookieNames?: readonly string[];
  /** The token claim that names the sign-in (see `SocketUser.sessionId`). Default `"sid"`. */
  sessionIdClaim?: string;
}

/** Whether the upgrade request came over TLS: the socket's own, or the proxy's header when `trustProxy`. */
function isHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  if (!trustProxy) return false;
  const proto = req.headers["x-forwarded-proto"];
  return typeof proto === "string" && proto.split(",")[0]!.trim().toLowerCase() === "https";
}

/**
 * Creates an `Authenticate` that decodes the Auth.js session cookie. A missing, tampered or
 * expired cookie means anonymous (null). The user's id is the token's `sub`; `sid` and `iat`
 * become `sessionId` and `issuedAt` (for revocation).
 *
 * Every candidate cookie is tried: one that fails to decode (planted, stale, another secret)
 * never shadows a valid one, and the name matching the request's scheme is tried first.
 *
 * @example
 * createGateway({ authenticate: authjsAuthenticate({ secret: process.env.AUTH_SECRET }) });
 */
export function authjsAuthenticate(options: AuthjsAuthenticateOptions & { trustProxy?: boolean } = {}): Authenticate {
  const secret = options.secret ?? process.env.AUTH_SECRET;
  if (!secret || (Array.isArray(secret) && secret.length === 0)) {
    throw new Error("AUTH_SECRET is not set: the notifications gateway needs it to read Auth.js sessions.");
  }
  const sessionIdClaim = options.sessionIdClaim ?? "sid";
  const trustProxy = options.trustProxy ?? false;

  return async (req): Promise<SocketUser | null> => {
    const cookies = parseCookieHeader(req.headers.cookie);
    const names = options.cookieNames ?? (isHttps(req, trustProxy) ? AUTHJS_SESSION_COOKIES : [...AUTHJS_SESSION_COOKIES].reverse());
    for (const name of names) {
      const token = readChunkedCookie(cookies, name);
      if (!token) continue;
      try {
        // Auth.js derives the encryption key from the secret with the cookie name as salt.
        const payload = await decode({ token, secret, salt: name });
        if (!payload || typeof payload.sub !== "string" || payload.sub === "") continue;
        const exp = typeof payload.exp === "number" ? payload.exp * 1000 : null;
        if (exp !== null && exp <= Date.now()) continue;
        const sid = payload[sessionIdClaim];
        return {
          id: payload.sub,
          expiresAt: exp,
          sessionId: typeof sid === "string" && sid !== "" ? sid : null,
          issuedAt: typeof payload.iat === "number" ? payload.iat * 1000 : null,
        };
      } catch {
        // Tampered, expired or encrypted with another secret: try the next candidate.
      }
    }
    return null;
  };
}

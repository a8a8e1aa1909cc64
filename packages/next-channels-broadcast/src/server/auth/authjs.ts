/**
 * Reads an Auth.js (NextAuth v5) JWT session from a websocket upgrade request's cookies.
 * Decoded sessions are cached for their own lifetime (`session-cache.ts`), and the tokens Auth.js
 * writes are decrypted synchronously with `node:crypto` (`authjs-token.ts`): decryption was the
 * largest share of a handshake in the connect-storm profile (bench/README.md, issue #10).
 */
import type { IncomingMessage } from "node:http";
import { decode } from "next-auth/jwt";
import { InvalidSettingError } from "../../shared/errors.js";
import { AuthjsTokenReader } from "./authjs-token.js";
import type { Authenticate, SocketUser } from "./session.js";
import { parseCookieHeader } from "./session.js";
import { SessionCache } from "./session-cache.js";

/** Decoded sessions kept by default: one per signed-in browser of a large process. */
export const DEFAULT_SESSION_CACHE_SIZE = 10_000;

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
  /**
   * Most decoded sessions kept in memory (least recently used dropped first), each until its
   * token's own expiry and never beyond; 0 turns the cache off. Default 10,000 (~2–3 MB full).
   * Revocation is unaffected: the gateway checks every handshake against the revocation list.
   */
  sessionCacheSize?: number;
  /** The clock (tests). Default `Date.now`. */
  now?: () => number;
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
 * A cookie decoded once is not decrypted again until its token expires (`sessionCacheSize`);
 * handshakes carrying the same cookie at once share one decryption. The sessions returned are
 * frozen: sockets of one cookie share one object.
 *
 * @example
 * createGateway({ authenticate: authjsAuthenticate({ secret: process.env.AUTH_SECRET }) });
 */
export function authjsAuthenticate(options: AuthjsAuthenticateOptions & { trustProxy?: boolean } = {}): Authenticate {
  const given = options.secret ?? process.env.AUTH_SECRET;
  if (!given || (Array.isArray(given) && given.length === 0)) {
    throw new Error("AUTH_SECRET is not set: the notifications gateway needs it to read Auth.js sessions.");
  }
  const secret: string | string[] = given;
  const sessionIdClaim = options.sessionIdClaim ?? "sid";
  const trustProxy = options.trustProxy ?? false;
  const now = options.now ?? Date.now;
  const cacheSize = options.sessionCacheSize ?? DEFAULT_SESSION_CACHE_SIZE;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new InvalidSettingError("sessionCacheSize", `expected a whole number of sessions, 0 or more (0 = no cache); got ${String(cacheSize)}.`);
  }
  const cache = cacheSize > 0 ? new SessionCache(cacheSize, now) : null;
  const reader = new AuthjsTokenReader(Array.isArray(secret) ? secret : [secret]);

  /** The session in one cookie, or null when it does not decode to a live session. Never rejects. */
  async function decodeSession(name: string, token: string): Promise<SocketUser | null> {
    try {
      // Auth.js derives the encryption key from the secret with the cookie name as salt. The tokens
      // Auth.js writes are read synchronously (authjs-token.ts); Auth.js judges any other.
      const payload = reader.read(token, name) ?? (await decode({ token, secret, salt: name }));
      if (!payload || typeof payload.sub !== "string" || payload.sub === "") return null;
      const exp = typeof payload.exp === "number" ? payload.exp * 1000 : null;
      if (exp !== null && exp <= now()) return null;
      const sid = payload[sessionIdClaim];
      return Object.freeze({
        id: payload.sub,
        expiresAt: exp,
        sessionId: typeof sid === "string" && sid !== "" ? sid : null,
        issuedAt: typeof payload.iat === "number" ? payload.iat * 1000 : null,
      });
    } catch {
      // Tampered, expired or encrypted with another secret.
      return null;
    }
  }

  return async (req): Promise<SocketUser | null> => {
    const cookies = parseCookieHeader(req.headers.cookie);
    const names = options.cookieNames ?? (isHttps(req, trustProxy) ? AUTHJS_SESSION_COOKIES : [...AUTHJS_SESSION_COOKIES].reverse());
    for (const name of names) {
      const token = readChunkedCookie(cookies, name);
      if (!token) continue;
      const user = await (cache ? cache.get(name, token, () => decodeSession(name, token)) : decodeSession(name, token));
      // One that does not decode never shadows the next candidate.
      if (user) return user;
    }
    return null;
  };
}

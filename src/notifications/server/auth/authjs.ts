/**
 * Reads an Auth.js (NextAuth v5) JWT session from a websocket upgrade request's cookies.
 */
import { decode } from "next-auth/jwt";
import type { Authenticate, SocketUser } from "./session";
import { parseCookieHeader } from "./session";

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
  /** Cookie names to try, in order. Defaults to Auth.js v5's secure and plain names. */
  cookieNames?: readonly string[];
}

/**
 * Creates an `Authenticate` that decodes the Auth.js session cookie. A missing, tampered or
 * expired cookie means anonymous (null). The user's id is the token's `sub`.
 *
 * @example
 * createGateway({ authenticate: authjsAuthenticate({ secret: process.env.AUTH_SECRET }) });
 */
export function authjsAuthenticate(options: AuthjsAuthenticateOptions = {}): Authenticate {
  const secret = options.secret ?? process.env.AUTH_SECRET;
  if (!secret || (Array.isArray(secret) && secret.length === 0)) {
    throw new Error("AUTH_SECRET is not set: the notifications gateway needs it to read Auth.js sessions.");
  }
  const cookieNames = options.cookieNames ?? AUTHJS_SESSION_COOKIES;

  return async (req): Promise<SocketUser | null> => {
    const cookies = parseCookieHeader(req.headers.cookie);
    for (const name of cookieNames) {
      const token = readChunkedCookie(cookies, name);
      if (!token) continue;
      try {
        // Auth.js derives the encryption key from the secret with the cookie name as salt.
        const payload = await decode({ token, secret, salt: name });
        if (payload && typeof payload.sub === "string" && payload.sub !== "") {
          const exp = typeof payload.exp === "number" ? payload.exp * 1000 : null;
          if (exp !== null && exp <= Date.now()) return null;
          return { id: payload.sub, expiresAt: exp };
        }
      } catch {
        // Tampered, expired or encrypted with another secret: anonymous.
      }
      return null;
    }
    return null;
  };
}

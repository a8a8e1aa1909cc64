/** Real Auth.js session cookies for tests: encoded exactly as Auth.js encodes them. */
import { encode } from "next-auth/jwt";

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
export const SESSION_COOKIE = "authjs.session-token";

/** A `Cookie` header value carrying a session for `userId`. */
export async function sessionCookie(
  userId: string,
  options: { secret?: string; maxAgeSeconds?: number; cookieName?: string; sessionId?: string } = {},
): Promise<string> {
  const cookieName = options.cookieName ?? SESSION_COOKIE;
  const token = await encode({
    token: options.sessionId === undefined ? { sub: userId, name: userId } : { sub: userId, name: userId, sid: options.sessionId },
    secret: options.secret ?? TEST_SECRET,
    salt: cookieName,
    maxAge: options.maxAgeSeconds ?? 3600,
  });
  return `${cookieName}=${token}`;
}

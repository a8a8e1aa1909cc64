/**
 * Bearer-token checks, in one place for every endpoint that takes one (the publish endpoint, the
 * metrics): the token is compared in constant time whatever its length.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** The SHA-256 digest a token is compared through (compute it once per expected token). */
export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * Whether an `Authorization` header carries `Bearer <token>` for the token whose digest is
 * `expected`. Constant time: both sides are hashed to 32 bytes first.
 *
 * @example
 * bearerMatches(req.headers.authorization, tokenDigest(settings.metricsToken)) // true or false
 */
export function bearerMatches(authorization: string | null | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match !== null && timingSafeEqual(tokenDigest(match[1]!), expected);
}

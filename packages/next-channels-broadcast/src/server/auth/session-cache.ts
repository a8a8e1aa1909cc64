/**
 * Decoded Auth.js sessions, kept for their own lifetime, so a cookie is decrypted once and not
 * once per websocket handshake.
 *
 * Why: decrypting the session cookie (HKDF key derivation plus AES-CBC/HMAC through WebCrypto)
 * was the largest share of a handshake in the connect-storm profile (bench/README.md, issue #10),
 * and the same cookie comes back again and again — ten tabs of one browser carry the same
 * cookie, and a reconnect storm replays every open tab's cookie at once.
 *
 * Rules that keep it safe:
 * - The key is a SHA-256 digest of the cookie name and its exact value: a hit needs the very
 *   ciphertext that was decrypted and verified before (a tampered cookie is a different key).
 * - An entry lives until the token's own `exp`, never beyond; a token without `exp` and a cookie
 *   that did not decode are not kept (failures are decoded again each time).
 * - Revocation is not cached here: the gateway checks every handshake's session against the
 *   revocation list after `authenticate`, cached or not.
 * - Bounded: past `capacity` entries the least recently used goes first.
 * - Handshakes carrying the same cookie at the same moment share one decryption.
 */
import * as crypto from "node:crypto";
import type { SocketUser } from "./session.js";

/**
 * The cache key of cookie `name` = `token`: a SHA-256 digest, so an entry holds 44 characters, not
 * the cookie (up to 4 KB per chunk). Every handshake computes one; Node's one-shot `hash`
 * (Node ≥ 20.12) costs about half of a `Hash` object's, which was ~3 % of a storm's busy time.
 */
const cacheKey: (name: string, token: string) => string =
  typeof crypto.hash === "function"
    ? (name, token) => crypto.hash("sha256", `${name}\n${token}`, "base64")
    : (name, token) => crypto.createHash("sha256").update(name).update("\n").update(token).digest("base64");

interface Entry {
  /** The decode in flight, or its answer. Never rejects. */
  user: Promise<SocketUser | null>;
  /** The session's end (ms); undefined while the decode runs. */
  expiresAt?: number;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param capacity most sessions kept (at least 1).
   * @param now the clock (tests).
   */
  constructor(
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sessions held (decodes in flight included). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The session of cookie `name` = `token`: the cached one while its token has not expired, else
   * `decode()`'s answer (kept when it is a session with an expiry). `decode` must not reject.
   *
   * @example
   * const cache = new SessionCache(10_000);
   * const user = await cache.get("authjs.session-token", token, () => decodeSession(token));
   */
  get(name: string, token: string, decode: () => Promise<SocketUser | null>): Promise<SocketUser | null> {
    const key = cacheKey(name, token);
    const entry = this.entries.get(key);
    if (entry && (entry.expiresAt === undefined || entry.expiresAt > this.now())) {
      // Most recently used last: eviction takes the Map's first key.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.user;
    }
    if (entry) this.entries.delete(key);
    const fresh: Entry = { user: decode() };
    this.entries.set(key, fresh);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    void fresh.user.then((user) => {
      if (this.entries.get(key) !== fresh) return;
      if (user === null || user.expiresAt === null) this.entries.delete(key);
      else fresh.expiresAt = user.expiresAt;
    });
    return fresh.user;
  }
}

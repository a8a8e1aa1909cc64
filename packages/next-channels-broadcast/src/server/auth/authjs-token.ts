/**
 * Reads the session tokens Auth.js itself writes, with `node:crypto`, synchronously.
 *
 * Why: Auth.js's `decode` goes through jose, which uses WebCrypto. Every token costs an HKDF key
 * derivation, a key thumbprint, two key imports, an HMAC and an AES job, each a round trip through
 * libuv's thread pool plus its promise glue: ~0.5 ms of CPU per cookie, ~26 % of the server's busy
 * time while a fresh process re-admits every browser after a deploy (the connect storm in
 * bench/README.md, issue #10). The same check with `node:crypto` takes ~40 µs, and the derived keys
 * depend only on the secret and the cookie name, so they are derived once.
 *
 * Scope, on purpose narrow: exactly the tokens `encode` from `next-auth/jwt` writes — compact JWE,
 * protected header `{ alg: "dir", enc: "A256CBC-HS512", kid }` and nothing else, `kid` the
 * RFC 7638 thumbprint of a key derived from one of our secrets, a claims set with a numeric `exp`
 * and no `nbf`. Anything else (another `enc`, no `kid`, a tag that does not verify, a claim jose
 * would have to judge) is answered `undefined`: "not mine", and the caller asks Auth.js's own
 * `decode`, which stays the authority on every token this module does not accept. So this module
 * can only ever accept a token whose authentication tag verifies under our key (RFC 7518 §5.2.2),
 * checked in constant time before anything is decrypted.
 */
import { createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/** The JWE "enc" Auth.js writes, and the sizes RFC 7518 §5.2.5 gives it. */
const ENC = "A256CBC-HS512";
const KEY_BYTES = 64; // 32 for HMAC-SHA-512, then 32 for AES-256-CBC
const IV_BYTES = 16;
const TAG_BYTES = 32;
const BLOCK_BYTES = 16;

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Bytes that are not UTF-8 make a token invalid, as in jose (a lenient decoder would repair them). */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

interface DerivedKey {
  /** The key's RFC 7638 thumbprint (SHA-512), which Auth.js writes as the header's `kid`. */
  readonly kid: string;
  readonly macKey: Buffer;
  readonly encKey: Buffer;
}

/** A decrypted, authenticated claims set. */
export type AuthjsClaims = Record<string, unknown> & { exp: number };

/** Auth.js's key for one secret and cookie name (`getDerivedEncryptionKey` in `@auth/core/jwt`). */
function deriveKey(secret: string, salt: string): DerivedKey {
  const key = Buffer.from(hkdfSync("sha256", secret, salt, `Auth.js Generated Encryption Key (${salt})`, KEY_BYTES));
  // RFC 7638: the required members of an "oct" JWK, in lexicographic order, no whitespace.
  const jwk = JSON.stringify({ k: key.toString("base64url"), kty: "oct" });
  return {
    kid: createHash("sha512").update(jwk).digest("base64url"),
    macKey: key.subarray(0, KEY_BYTES / 2),
    encKey: key.subarray(KEY_BYTES / 2),
  };
}

/** The JSON in `bytes`, or undefined when they are not UTF-8 JSON. */
function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
}

/** A JSON object (not an array, not null), as jose's `isObject` demands of headers and claims. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads Auth.js session tokens with `node:crypto`; see the module comment for what it accepts.
 *
 * @example
 * const reader = new AuthjsTokenReader(["the AUTH_SECRET"]);
 * const claims = reader.read(token, "authjs.session-token") ?? (await decode({ token, secret, salt }));
 */
export class AuthjsTokenReader {
  /** Keys per salt (a cookie name: the caller's fixed list, so this stays small). */
  private readonly keysBySalt = new Map<string, readonly DerivedKey[]>();

  /** @param secrets the Auth.js secret(s), the current one first, as given to Auth.js. */
  constructor(private readonly secrets: readonly string[]) {}

  /**
   * The claims of `token` when it is an Auth.js token this reader can vouch for; `undefined` when
   * it cannot (tampered, another secret, another format, a claim it leaves to jose): ask Auth.js.
   * Expiry is the caller's to check (`exp` is always a number here). Never throws.
   */
  read(token: string, salt: string): AuthjsClaims | undefined {
    const parts = token.split(".");
    if (parts.length !== 5) return undefined;
    const [encodedHeader, encryptedKey, encodedIv, encodedCiphertext, encodedTag] = parts as [string, string, string, string, string];
    // "dir" has no encrypted key; every part is strict base64url (Buffer's decoder skips junk).
    if (encryptedKey !== "") return undefined;
    for (const part of parts) if (!BASE64URL.test(part)) return undefined;

    const header = parseJson(Buffer.from(encodedHeader, "base64url"));
    if (!isPlainObject(header) || Object.keys(header).length !== 3) return undefined;
    if (header.alg !== "dir" || header.enc !== ENC || typeof header.kid !== "string") return undefined;
    const key = this.keysFor(salt).find((candidate) => candidate.kid === header.kid);
    if (!key) return undefined;

    const iv = Buffer.from(encodedIv, "base64url");
    const ciphertext = Buffer.from(encodedCiphertext, "base64url");
    const tag = Buffer.from(encodedTag, "base64url");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
    if (ciphertext.length === 0 || ciphertext.length % BLOCK_BYTES !== 0) return undefined;

    // RFC 7518 §5.2.2.1: the tag is the first half of HMAC(AAD ‖ IV ‖ ciphertext ‖ AAD length in
    // bits, 64-bit big-endian); the AAD is the header exactly as encoded in the token.
    const aad = Buffer.from(encodedHeader, "ascii");
    const aadBits = Buffer.alloc(8);
    aadBits.writeBigUInt64BE(BigInt(aad.length) * 8n);
    const expected = createHmac("sha512", key.macKey).update(aad).update(iv).update(ciphertext).update(aadBits).digest();
    // Verified before any decryption, in constant time.
    if (!timingSafeEqual(expected.subarray(0, TAG_BYTES), tag)) return undefined;

    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-cbc", key.encKey, iv);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      return undefined;
    }
    const claims = parseJson(plaintext);
    if (!isPlainObject(claims) || typeof claims.exp !== "number") return undefined;
    // jose judges these; Auth.js never writes `nbf`, and always writes a numeric `iat`.
    if (claims.nbf !== undefined || (claims.iat !== undefined && typeof claims.iat !== "number")) return undefined;
    return claims as AuthjsClaims;
  }

  private keysFor(salt: string): readonly DerivedKey[] {
    let keys = this.keysBySalt.get(salt);
    if (!keys) {
      keys = this.secrets.map((secret) => deriveKey(secret, salt));
      this.keysBySalt.set(salt, keys);
    }
    return keys;
  }
}

/**
 * The synchronous Auth.js token reader (issue #10) against Auth.js's own `decode`: it must read
 * every token Auth.js writes to the same claims, and must never accept a token Auth.js would
 * refuse — anything it cannot vouch for goes back to Auth.js ("undefined"). Real tokens from
 * `next-auth/jwt` `encode`; the odd formats Auth.js also reads are made with jose, as Auth.js does.
 */
import type { IncomingMessage } from "node:http";
import { hkdfSync } from "node:crypto";
import { base64url, calculateJwkThumbprint, CompactEncrypt, EncryptJWT } from "jose";
import { decode, encode } from "next-auth/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { authjsAuthenticate } from "../../packages/next-channels-broadcast/src/server/auth/authjs";
import { AuthjsTokenReader } from "../../packages/next-channels-broadcast/src/server/auth/authjs-token";
import { SESSION_COOKIE, TEST_SECRET } from "../helpers/sessions";

const SECURE_COOKIE = "__Secure-authjs.session-token";

/** Auth.js's verdict: the claims, or null when its `decode` refuses the token. */
async function authjsVerdict(token: string, secret: string | string[], salt: string): Promise<Record<string, unknown> | null> {
  try {
    return (await decode({ token, secret, salt })) as Record<string, unknown> | null;
  } catch {
    return null;
  }
}

/** A token Auth.js's `decode` accepts but `encode` never writes: built with jose the way Auth.js builds its own. */
async function joseToken(
  claims: Record<string, unknown>,
  options: { enc?: "A256CBC-HS512" | "A256GCM"; kid?: boolean; extraHeader?: Record<string, unknown>; salt?: string } = {},
): Promise<string> {
  const enc = options.enc ?? "A256CBC-HS512";
  const salt = options.salt ?? SESSION_COOKIE;
  const key = new Uint8Array(hkdfSync("sha256", TEST_SECRET, salt, `Auth.js Generated Encryption Key (${salt})`, enc === "A256GCM" ? 32 : 64));
  const kid = await calculateJwkThumbprint({ kty: "oct", k: base64url.encode(key) }, `sha${key.byteLength << 3}` as "sha256" | "sha512");
  return new EncryptJWT(claims)
    .setProtectedHeader({ alg: "dir", enc, ...(options.kid === false ? {} : { kid }), ...options.extraHeader })
    .setIssuedAt()
    .setExpirationTime("1h")
    .encrypt(key);
}

function request(cookie: string): IncomingMessage {
  return { headers: { cookie }, socket: {} } as unknown as IncomingMessage;
}

/** `token` with the character at `index` replaced by another base64url character. */
function withCharChanged(token: string, index: number): string {
  const replacement = token[index] === "A" ? "B" : "A";
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("AuthjsTokenReader", () => {
  it("reads every token Auth.js writes to the claims Auth.js's decode gives", async () => {
    const cases: { claims: Record<string, unknown>; secret: string | string[]; salt: string; encodeWith?: string }[] = [
      { claims: { sub: "alice", name: "alice", sid: "s-1" }, secret: TEST_SECRET, salt: SESSION_COOKIE },
      { claims: { sub: "bob" }, secret: TEST_SECRET, salt: SECURE_COOKIE },
      { claims: { sub: "zoë", name: "Zoë 🦊", picture: "https://example.com/a.png", roles: ["admin"], nested: { a: [1, 2, { b: null }] } }, secret: TEST_SECRET, salt: "custom.cookie" },
      { claims: { sub: "carol", blob: "x".repeat(5_000) }, secret: "ünïcödé-sécret-🔑-0123456789", salt: SESSION_COOKIE },
      // Key rotation: a token written with the previous secret, read with both.
      { claims: { sub: "dave" }, secret: ["new-secret-0123456789-abcdefghij", TEST_SECRET], salt: SESSION_COOKIE, encodeWith: TEST_SECRET },
    ];
    for (const { claims, secret, salt, encodeWith } of cases) {
      const token = await encode({ token: claims, secret: encodeWith ?? secret, salt });
      const reader = new AuthjsTokenReader(Array.isArray(secret) ? secret : [secret]);
      const fast = reader.read(token, salt);
      expect(fast, `${String(claims.sub)} read`).toBeDefined();
      expect(fast).toEqual(await authjsVerdict(token, secret, salt));
      expect(fast).toMatchObject(claims);
    }
  });

  it("leaves to Auth.js a token under another secret or another cookie name (Auth.js refuses those too)", async () => {
    const token = await encode({ token: { sub: "alice" }, secret: TEST_SECRET, salt: SESSION_COOKIE });
    expect(new AuthjsTokenReader(["another-secret-0123456789-abcdefgh"]).read(token, SESSION_COOKIE)).toBeUndefined();
    expect(await authjsVerdict(token, "another-secret-0123456789-abcdefgh", SESSION_COOKIE)).toBeNull();
    expect(new AuthjsTokenReader([TEST_SECRET]).read(token, SECURE_COOKIE)).toBeUndefined();
    expect(await authjsVerdict(token, TEST_SECRET, SECURE_COOKIE)).toBeNull();
  });

  it("never accepts a token Auth.js refuses: every single-character change of a token", async () => {
    const token = await encode({ token: { sub: "alice", sid: "s-1" }, secret: TEST_SECRET, salt: SESSION_COOKIE });
    const reader = new AuthjsTokenReader([TEST_SECRET]);
    let refusedByBoth = 0;
    for (let index = 0; index < token.length; index++) {
      if (token[index] === ".") continue;
      const changed = withCharChanged(token, index);
      const fast = reader.read(changed, SESSION_COOKIE);
      const verdict = await authjsVerdict(changed, TEST_SECRET, SESSION_COOKIE);
      // A change the reader accepts can only be one that decodes to the very same bytes (the
      // spare low bits of a part's last character): Auth.js then accepts it too, with equal claims.
      if (fast !== undefined) expect(fast).toEqual(verdict);
      else if (verdict === null) refusedByBoth++;
    }
    expect(refusedByBoth).toBeGreaterThan(token.length - 20);
  });

  it("refuses what is not a compact JWE without asking anything (never throws)", () => {
    const reader = new AuthjsTokenReader([TEST_SECRET]);
    for (const junk of ["", "abc", "a.b.c", "a.b.c.d", "a..c.d.e", "a.b.c.d.e.f", "....", "a+b..c.d.e", "eyJhbGciOiJkaXIifQ..AAAA.AAAA.AAAA", "%%%..%%.%%.%%"]) {
      expect(reader.read(junk, SESSION_COOKIE), JSON.stringify(junk)).toBeUndefined();
    }
  });

  it("leaves the formats Auth.js reads but does not write to Auth.js, which accepts them", async () => {
    const reader = new AuthjsTokenReader([TEST_SECRET]);
    const others = {
      gcm: await joseToken({ sub: "gcm" }, { enc: "A256GCM" }),
      noKid: await joseToken({ sub: "no-kid" }, { kid: false }),
      extraHeader: await joseToken({ sub: "typ" }, { extraHeader: { typ: "JWT" } }),
    };
    for (const [name, token] of Object.entries(others)) {
      expect(reader.read(token, SESSION_COOKIE), name).toBeUndefined();
      expect(await authjsVerdict(token, TEST_SECRET, SESSION_COOKIE), name).toMatchObject({ sub: expect.any(String) });
    }
  });

  it("leaves the claims only jose judges to Auth.js: nbf, a non-numeric iat or exp, no exp, not an object", async () => {
    const reader = new AuthjsTokenReader([TEST_SECRET]);
    const future = Math.floor(Date.now() / 1000) + 3600;
    const notYet = await joseToken({ sub: "later", nbf: future });
    expect(reader.read(notYet, SESSION_COOKIE)).toBeUndefined();
    expect(await authjsVerdict(notYet, TEST_SECRET, SESSION_COOKIE)).toBeNull();

    const key = new Uint8Array(hkdfSync("sha256", TEST_SECRET, SESSION_COOKIE, `Auth.js Generated Encryption Key (${SESSION_COOKIE})`, 64));
    const kid = await calculateJwkThumbprint({ kty: "oct", k: base64url.encode(key) }, "sha512");
    /** A token with this exact plaintext (jose's JWT builder refuses to write the odd ones). */
    const raw = (plaintext: string) =>
      new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: "dir", enc: "A256CBC-HS512", kid }).encrypt(key);
    const exp = future;

    const noExp = await raw(JSON.stringify({ sub: "forever" }));
    expect(reader.read(noExp, SESSION_COOKIE)).toBeUndefined();
    expect(await authjsVerdict(noExp, TEST_SECRET, SESSION_COOKIE)).toMatchObject({ sub: "forever" });

    for (const refused of [JSON.stringify({ sub: "x", exp, iat: "yesterday" }), JSON.stringify([{ sub: "x", exp }]), "null", "not json", JSON.stringify({ sub: "x", exp: String(exp) })]) {
      const token = await raw(refused);
      expect(reader.read(token, SESSION_COOKIE), refused).toBeUndefined();
      expect(await authjsVerdict(token, TEST_SECRET, SESSION_COOKIE), refused).toBeNull();
    }
  });
});

describe("authjsAuthenticate with the synchronous reader", () => {
  it("reads Auth.js's own cookies without WebCrypto, and still accepts the rarer formats through Auth.js", async () => {
    const decrypt = vi.spyOn(globalThis.crypto.subtle, "decrypt");
    const authenticate = authjsAuthenticate({ secret: TEST_SECRET, sessionCacheSize: 0 });

    const token = await encode({ token: { sub: "alice", sid: "s-1" }, secret: TEST_SECRET, salt: SESSION_COOKIE });
    expect(await authenticate(request(`${SESSION_COOKIE}=${token}`))).toMatchObject({ id: "alice", sessionId: "s-1" });
    expect(decrypt).not.toHaveBeenCalled();

    const gcm = await joseToken({ sub: "bob" }, { enc: "A256GCM" });
    expect(await authenticate(request(`${SESSION_COOKIE}=${gcm}`))).toMatchObject({ id: "bob" });
    expect(decrypt).toHaveBeenCalled();
  });

  it("refuses an expired Auth.js cookie that the reader decrypts (expiry is checked after it)", async () => {
    const token = await encode({ token: { sub: "alice" }, secret: TEST_SECRET, salt: SESSION_COOKIE, maxAge: 60 });
    const later = Date.now() + 61_000;
    const authenticate = authjsAuthenticate({ secret: TEST_SECRET, sessionCacheSize: 0, now: () => later });
    expect(new AuthjsTokenReader([TEST_SECRET]).read(token, SESSION_COOKIE)).toBeDefined();
    expect(await authenticate(request(`${SESSION_COOKIE}=${token}`))).toBeNull();
  });
});

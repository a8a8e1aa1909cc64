/**
 * Subscription tokens: every way a token can be wrong gives nothing, and issuing refuses what a
 * token must never carry.
 */
import { createHmac, hkdfSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  issueSubscriptionToken,
  MAX_TOKEN_CHANNELS,
  MAX_TOKEN_TTL_SECONDS,
  verifySubscriptionToken,
} from "../../packages/next-channels-broadcast/src/server/auth/tokens";
import { InvalidNotificationError } from "../../packages/next-channels-broadcast/src/shared/errors";

const SECRET = "unit-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const PURPOSE = "next-channels-broadcast/subscription-token/v1";

function issue(options: Partial<Parameters<typeof issueSubscriptionToken>[0]> = {}): string {
  return issueSubscriptionToken({ user: "alice", channels: ["articles-1"], secret: SECRET, now: NOW, ...options });
}

function verify(token: unknown, userId: string | null, options: { secret?: string; now?: number } = {}): string[] | null {
  return verifySubscriptionToken(token, userId, { secret: SECRET, now: NOW, ...options });
}

/** The token's payload, decoded (the body is readable; only its signature is secret). */
function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Signs `body` exactly as the kit does (HKDF-derived key with the purpose label). */
function signLikeTheKit(body: string, secret = SECRET): string {
  const key = Buffer.from(hkdfSync("sha256", secret, "", PURPOSE, 32));
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

const encode = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

const savedSecret = process.env.AUTH_SECRET;
afterEach(() => {
  if (savedSecret === undefined) delete process.env.AUTH_SECRET;
  else process.env.AUTH_SECRET = savedSecret;
});

describe("issue → verify", () => {
  it("grants the token's channels to the socket of its user", () => {
    const token = issue({ channels: ["articles-1", "jobs-7"] });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verify(token, "alice")).toEqual(["articles-1", "jobs-7"]);
  });

  it("binds numeric ids and user objects to the same string id", () => {
    expect(verify(issue({ user: 7 }), "7")).toEqual(["articles-1"]);
    expect(verify(issue({ user: { id: "alice" } }), "alice")).toEqual(["articles-1"]);
  });

  it("binds an anonymous token (user null or omitted) to anonymous sockets", () => {
    expect(verify(issue({ user: null }), null)).toEqual(["articles-1"]);
    expect(verify(issueSubscriptionToken({ channels: ["articles-1"], secret: SECRET, now: NOW }), null)).toEqual(["articles-1"]);
  });

  it("dedupes channels", () => {
    expect(verify(issue({ channels: ["a-1", "a-1", "b-2"] }), "alice")).toEqual(["a-1", "b-2"]);
  });

  it("uses AUTH_SECRET when no secret is given", () => {
    process.env.AUTH_SECRET = SECRET;
    const token = issueSubscriptionToken({ user: "alice", channels: ["articles-1"] });
    expect(verifySubscriptionToken(token, "alice")).toEqual(["articles-1"]);
    expect(verifySubscriptionToken(token, "alice", { secret: "another-secret" })).toBeNull();
  });

  it("without any secret, issuing throws and verifying gives nothing", () => {
    delete process.env.AUTH_SECRET;
    expect(() => issueSubscriptionToken({ user: "alice", channels: ["articles-1"] })).toThrow(/AUTH_SECRET/);
    expect(verifySubscriptionToken(issue(), "alice")).toBeNull();
  });
});

describe("tokens that give nothing", () => {
  const good = () => issue();

  it("a tampered body (another user, more channels, later expiry) with the old signature", () => {
    const [, signature] = good().split(".");
    const payload = payloadOf(good());
    for (const change of [{ u: "mallory" }, { c: ["articles-1", "admin-1"] }, { exp: (payload.exp as number) + 3600 }]) {
      const forged = `${encode({ ...payload, ...change })}.${signature}`;
      expect(verify(forged, (change as { u?: string }).u ?? "alice")).toBeNull();
    }
  });

  it("a tampered signature (a flipped byte, a truncated one, an empty one)", () => {
    const [body, signature] = good().split(".") as [string, string];
    const bytes = Buffer.from(signature, "base64url");
    bytes[0] = bytes[0]! ^ 1;
    expect(verify(`${body}.${bytes.toString("base64url")}`, "alice")).toBeNull();
    expect(verify(`${body}.${signature.slice(0, -4)}`, "alice")).toBeNull();
    expect(verify(`${body}.`, "alice")).toBeNull();
  });

  it("an expired token (and one exactly at its expiry), while it was good a second before", () => {
    const token = issue({ ttl: 60 });
    expect(verify(token, "alice", { now: NOW + 59_000 })).toEqual(["articles-1"]);
    expect(verify(token, "alice", { now: NOW + 60_000 })).toBeNull();
    expect(verify(token, "alice", { now: NOW + 3_600_000 })).toBeNull();
  });

  it("another user's token", () => {
    expect(verify(good(), "bob")).toBeNull();
    expect(verify(issue({ user: 7 }), "70")).toBeNull();
  });

  it("an anonymous token on a user's socket, and a user's token on an anonymous socket", () => {
    expect(verify(issue({ user: null }), "alice")).toBeNull();
    expect(verify(issue({ user: "alice" }), null)).toBeNull();
  });

  it("a token signed with another secret", () => {
    expect(verify(issue({ secret: "some-other-secret-value" }), "alice")).toBeNull();
    expect(verify(good(), "alice", { secret: "some-other-secret-value" })).toBeNull();
  });

  it("a token signed with the raw secret instead of the purpose-derived key", () => {
    const body = encode({ v: 1, u: "alice", c: ["articles-1"], exp: NOW / 1000 + 60 });
    const raw = `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
    expect(verify(raw, "alice")).toBeNull();
    // The same body signed with the derived key is accepted: the test above fails for the key only.
    expect(verify(signLikeTheKit(body), "alice")).toEqual(["articles-1"]);
  });

  const payload = { v: 1, u: "alice", c: ["articles-1"], exp: NOW / 1000 + 60 };
  const malformed: [string, unknown][] = [
    ["not a string", 42],
    ["null", null],
    ["empty", ""],
    ["no dot", encode(payload)],
    ["two dots", `${signLikeTheKit(encode(payload))}.x`],
    ["a leading dot", `.${signLikeTheKit(encode(payload)).split(".")[1]}`],
    ["garbage base64, signed", signLikeTheKit("%%%***!!!")],
    ["a non-JSON body, signed", signLikeTheKit(encode("not json at all"))],
    ["a JSON array body, signed", signLikeTheKit(encode([1, 2]))],
    ["a wrong version, signed", signLikeTheKit(encode({ ...payload, v: 2 }))],
    ["no version, signed", signLikeTheKit(encode({ u: "alice", c: ["articles-1"], exp: payload.exp }))],
    ["a numeric user, signed", signLikeTheKit(encode({ ...payload, u: 1 }))],
    ["no channels, signed", signLikeTheKit(encode({ ...payload, c: [] }))],
    ["too many channels, signed", signLikeTheKit(encode({ ...payload, c: Array.from({ length: MAX_TOKEN_CHANNELS + 1 }, (_, i) => `c-${i}`) }))],
    ["a string expiry, signed", signLikeTheKit(encode({ ...payload, exp: String(payload.exp) }))],
    ["only reserved or invalid channels, signed", signLikeTheKit(encode({ ...payload, c: ["all", "user:bob", "a b"] }))],
    ["longer than 8 KiB", `${"a".repeat(9_000)}.${"b".repeat(43)}`],
  ];

  it.each(malformed)("a malformed token: %s", (_name, token) => {
    expect(verify(token, "alice")).toBeNull();
  });

  it("a signed token mixing valid and reserved names grants only the valid ones", () => {
    const token = signLikeTheKit(encode({ ...payload, c: ["articles-1", "all", "user:bob", "anonymous"] }));
    expect(verify(token, "alice")).toEqual(["articles-1"]);
  });
});

describe("issuing", () => {
  it("ttl defaults to 300 seconds", () => {
    expect(DEFAULT_TOKEN_TTL_SECONDS).toBe(300);
    expect(payloadOf(issue()).exp).toBe(NOW / 1000 + 300);
    expect(verify(issue(), "alice", { now: NOW + 299_000 })).toEqual(["articles-1"]);
    expect(verify(issue(), "alice", { now: NOW + 300_000 })).toBeNull();
  });

  it("accepts the maximum ttl and refuses more, zero, negative and fractional ones", () => {
    expect(payloadOf(issue({ ttl: MAX_TOKEN_TTL_SECONDS })).exp).toBe(NOW / 1000 + MAX_TOKEN_TTL_SECONDS);
    for (const ttl of [MAX_TOKEN_TTL_SECONDS + 1, 0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => issue({ ttl }), `ttl ${ttl}`).toThrow(InvalidNotificationError);
    }
  });

  it.each([
    ["all"],
    ["authenticated"],
    ["anonymous"],
    ["user:1"],
    [""],
    ["has space"],
    ["-leading-dash"],
    ["ünïcode"],
    ["x".repeat(129)],
  ])("refuses the channel %j", (name) => {
    expect(() => issue({ channels: ["articles-1", name] })).toThrow(InvalidNotificationError);
  });

  it("refuses no channels and more than the maximum", () => {
    expect(() => issue({ channels: [] })).toThrow(InvalidNotificationError);
    expect(() => issue({ channels: Array.from({ length: MAX_TOKEN_CHANNELS + 1 }, (_, i) => `c-${i}`) })).toThrow(InvalidNotificationError);
    expect(verify(issue({ channels: Array.from({ length: MAX_TOKEN_CHANNELS }, (_, i) => `c-${i}`) }), "alice")).toHaveLength(MAX_TOKEN_CHANNELS);
  });

  it("refuses an invalid user id", () => {
    expect(() => issue({ user: "" })).toThrow(InvalidNotificationError);
    expect(() => issue({ user: { id: "" } })).toThrow(InvalidNotificationError);
  });
});

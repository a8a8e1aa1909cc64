/**
 * The Auth.js session cache (issue #10): a cookie is decrypted once and its session kept until
 * the token's own expiry, never beyond; simultaneous handshakes with one cookie share one
 * decryption; the cache is bounded; bad cookies are never kept; a bad capacity stops start-up.
 * Real Auth.js cookies (next-auth/jwt encode), the real `authjsAuthenticate`.
 */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { authjsAuthenticate } from "../../packages/next-channels-broadcast/src/server/auth/authjs";
import { InvalidSettingError } from "../../packages/next-channels-broadcast/src/shared/errors";
import { sessionCookie, TEST_SECRET } from "../helpers/sessions";

function request(cookie: string): IncomingMessage {
  return { headers: { cookie }, socket: {} } as unknown as IncomingMessage;
}

describe("authjsAuthenticate's session cache", () => {
  it("answers a cookie seen before from the cache (the same frozen session), and an equal fresh one without it", async () => {
    const cookie = await sessionCookie("alice", { sessionId: "s-1" });
    const cached = authjsAuthenticate({ secret: TEST_SECRET });
    const first = await cached(request(cookie));
    expect(first).toMatchObject({ id: "alice", sessionId: "s-1" });
    expect(Object.isFrozen(first)).toBe(true);
    expect(await cached(request(cookie))).toBe(first);

    const uncached = authjsAuthenticate({ secret: TEST_SECRET, sessionCacheSize: 0 });
    const a = await uncached(request(cookie));
    const b = await uncached(request(cookie));
    expect(a).toEqual(first);
    expect(b).not.toBe(a);
  });

  it("handshakes carrying one cookie at the same moment share one decryption", async () => {
    const cookie = await sessionCookie("bob");
    const authenticate = authjsAuthenticate({ secret: TEST_SECRET });
    const tabs = await Promise.all(Array.from({ length: 10 }, () => authenticate(request(cookie))));
    expect(tabs[0]).toMatchObject({ id: "bob" });
    for (const tab of tabs) expect(tab).toBe(tabs[0]);
  });

  it("keeps a session until its token expires and never beyond", async () => {
    const cookie = await sessionCookie("carol", { maxAgeSeconds: 60 });
    let clock = Date.now();
    const authenticate = authjsAuthenticate({ secret: TEST_SECRET, now: () => clock });
    const first = await authenticate(request(cookie));
    expect(first).not.toBeNull();
    clock = first!.expiresAt! - 1;
    expect(await authenticate(request(cookie))).toBe(first);
    clock = first!.expiresAt!;
    expect(await authenticate(request(cookie))).toBeNull();
    clock = first!.expiresAt! + 3_600_000;
    expect(await authenticate(request(cookie))).toBeNull();
  });

  it("holds at most sessionCacheSize sessions, dropping the least recently used", async () => {
    const [a, b, c] = await Promise.all(["u-a", "u-b", "u-c"].map((user) => sessionCookie(user)));
    const authenticate = authjsAuthenticate({ secret: TEST_SECRET, sessionCacheSize: 2 });
    const firstA = await authenticate(request(a!));
    const firstB = await authenticate(request(b!));
    expect(await authenticate(request(a!))).toBe(firstA); // a is now the most recently used
    const firstC = await authenticate(request(c!)); // b goes
    expect(await authenticate(request(a!))).toBe(firstA);
    expect(await authenticate(request(c!))).toBe(firstC);
    const againB = await authenticate(request(b!));
    expect(againB).toEqual(firstB);
    expect(againB).not.toBe(firstB);
  });

  it("never keeps a cookie that does not decode: a tampered or foreign cookie stays anonymous, a good one next to it still counts", async () => {
    const good = await sessionCookie("dave");
    const foreign = await sessionCookie("mallory", { secret: "another-secret-0123456789-abcdefghijklmnopqrstuv" });
    const authenticate = authjsAuthenticate({ secret: TEST_SECRET });
    const tampered = `${good.slice(0, -4)}AAAA`;
    expect(await authenticate(request(tampered))).toBeNull();
    expect(await authenticate(request(foreign))).toBeNull();
    expect(await authenticate(request(foreign))).toBeNull();
    expect(await authenticate(request(good))).toMatchObject({ id: "dave" });
  });

  it("refuses a capacity that is not a whole number of 0 or more, naming the option", () => {
    for (const sessionCacheSize of [-1, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        authjsAuthenticate({ secret: TEST_SECRET, sessionCacheSize });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidSettingError);
      expect(caught).toMatchObject({ code: "INVALID_SETTING", setting: "sessionCacheSize" });
    }
  });
});

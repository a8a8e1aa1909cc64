/**
 * The session cache never lets a revoked session in (issue #10): revocation is checked at every
 * handshake after `authenticate`, whether the session came from the cache or a fresh decryption.
 * Real gateway, real sockets, real Auth.js cookies, the real revocation list.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { authjsAuthenticate } from "../../packages/next-channels-broadcast/src/server/auth/authjs";
import { createRevocationList, type RevocationList } from "../../packages/next-channels-broadcast/src/server/auth/revocation";
import type { SocketUser } from "../../packages/next-channels-broadcast/src/server/auth/session";
import { createGateway } from "../../packages/next-channels-broadcast/src/server/gateway";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { HandshakeRefused, TestClient } from "../helpers/gateway-server";
import { sessionCookie, TEST_SECRET } from "../helpers/sessions";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

/** A gateway with a revocation list and the cached Auth.js authenticate; records every session it was given. */
async function start(): Promise<{ url: string; revocations: RevocationList; sessions: (SocketUser | null)[] }> {
  const settings = readSettings({}, {});
  const layer = createMemoryLayer();
  const revocations = createRevocationList();
  const cached = authjsAuthenticate({ secret: TEST_SECRET, sessionCacheSize: 100 });
  const sessions: (SocketUser | null)[] = [];
  const gateway = createGateway({
    settings,
    layer,
    revocations,
    logger: { warn: () => undefined, error: console.error },
    authenticate: async (req) => {
      const user = await cached(req);
      sessions.push(user);
      return user;
    },
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    await gateway.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await layer.close();
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}${settings.path}`, revocations, sessions };
}

describe("the session cache and revocation", () => {
  it("a session revoked after its cookie was cached is refused (401) though the cache answers it", async () => {
    const { url, revocations, sessions } = await start();
    const cookie = await sessionCookie("erin", { sessionId: "s-erin" });
    const first = await TestClient.connect(url, { cookie });
    const second = await TestClient.connect(url, { cookie });
    cleanups.push(() => first.ws.terminate(), () => second.ws.terminate());
    expect(sessions[1]).toBe(sessions[0]); // the second tab was answered from the cache

    // Signed out in another process: recorded here as its revocation would be.
    revocations.remember({ sessionId: "s-erin" }, Date.now());
    const refused = await TestClient.connect(url, { cookie }).then(
      (client) => {
        client.ws.terminate();
        return null;
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(HandshakeRefused);
    expect((refused as HandshakeRefused).status).toBe(401);
    expect(sessions[2]).toBe(sessions[0]); // still cached: the revocation check is what refused it
  });

  it("a user's other sessions are not touched by one session's revocation", async () => {
    const { url, revocations } = await start();
    const laptop = await sessionCookie("fay", { sessionId: "s-laptop" });
    const phone = await sessionCookie("fay", { sessionId: "s-phone" });
    (await TestClient.connect(url, { cookie: laptop })).ws.terminate();
    revocations.remember({ sessionId: "s-laptop" }, Date.now());
    const tab = await TestClient.connect(url, { cookie: phone });
    cleanups.push(() => tab.ws.terminate());
    expect(tab.frames.some((frame) => frame.type === "hello" && frame.userId === "fay")).toBe(true);
  });
});

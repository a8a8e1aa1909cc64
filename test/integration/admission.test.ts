/**
 * Who gets in, and how the gate behaves under pressure (issue #13 finding 7 and 8, issue #8
 * items 2, 3, 4 and 6): time limits on `authenticate`, a shutdown that lets nothing in behind it,
 * caps per user / address / process, forwarded headers trusted only from configured proxies,
 * the Origin's scheme, per-user frame budgets, the cap on subscription refs, and revoked
 * sessions — at the handshake, by the periodic sweep, and at once through the layer.
 * Real sockets, real Auth.js cookies.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as api from "../../src/notifications/server";
import { authjsAuthenticate } from "../../src/notifications/server/auth/authjs";
import { createRevocationList } from "../../src/notifications/server/auth/revocation";
import type { Authenticate } from "../../src/notifications/server/auth/session";
import { createGateway, type Gateway } from "../../src/notifications/server/gateway";
import { clientAddress } from "../../src/notifications/server/gateway/admission";
import { createMemoryLayer } from "../../src/notifications/server/layer/memory";
import { installRuntime, peekRuntime, uninstallRuntime } from "../../src/notifications/server/runtime";
import { readSettings } from "../../src/notifications/server/settings";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import { gatewayPerTest, HandshakeRefused, TestClient } from "../helpers/gateway-server";
import { sessionCookie, TEST_SECRET } from "../helpers/sessions";

const gw = gatewayPerTest();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

async function refusedWith(url: string, options: Parameters<typeof TestClient.connect>[1] = {}): Promise<number> {
  const error = await TestClient.connect(url, options).then(
    (client) => {
      client.ws.terminate();
      return null;
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HandshakeRefused);
  return (error as HandshakeRefused).status;
}

/** A bystander still receives, and a new socket can still connect: the gateway is unharmed. */
async function gatewayStillServes(bystander: TestClient, userId = "bystander-2"): Promise<void> {
  await api.sendToAll(`still serving ${userId}`);
  await bystander.next((frame) => frame.type === "message" && frame.text === `still serving ${userId}`);
  const fresh = await gw.connect({ userId });
  expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
}

describe("authenticate", () => {
  it("slower than the limit: 503, and the socket is not pinned; the gateway keeps serving", async () => {
    const never: Authenticate = (req) => (req.headers.cookie?.includes("hang") ? new Promise(() => {}) : authjsAuthenticate({ secret: TEST_SECRET })(req));
    const warnings: string[] = [];
    await gw.start({ authenticateTimeoutMs: 100 }, { authenticate: never, logger: { warn: (message: string) => void warnings.push(message), error: () => undefined } });
    const bystander = await gw.connect({ userId: "bob" });
    expect(await refusedWith(gw.server.url, { cookie: "hang=1" })).toBe(503);
    expect(warnings.some((message) => message.includes("authenticate took longer than 100 ms"))).toBe(true);
    await gatewayStillServes(bystander);
  });

  it("that throws refuses with 503 — a signed-in user never becomes anonymous by accident", async () => {
    const failing: Authenticate = async () => {
      throw new Error("session store down");
    };
    await gw.start({ enableAnonymous: true }, { authenticate: failing, logger: { warn: () => undefined, error: () => undefined } });
    expect(await refusedWith(gw.server.url, { userId: "alice" })).toBe(503);
    expect(gw.server.gateway.groupSize("anonymous")).toBe(0);
  });
});

describe("shutdown", () => {
  it("an upgrade in flight when close() starts is refused, and close() does not wait for it", async () => {
    let entered: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    let finish: () => void = () => undefined;
    const slow: Authenticate = async (req) => {
      entered();
      await new Promise<void>((resolve) => (finish = resolve));
      return authjsAuthenticate({ secret: TEST_SECRET })(req);
    };
    const server = await gw.start({}, { authenticate: slow });
    const pending = TestClient.connect(server.url, { userId: "late" }).catch((error: unknown) => error);
    await inFlight;
    const closing = server.gateway.close();
    finish();
    await closing;
    const outcome = await pending;
    expect(outcome).toBeInstanceOf(HandshakeRefused);
    expect((outcome as HandshakeRefused).status).toBe(503);
    expect(server.gateway.connectionCount()).toBe(0);
  });
});

describe("caps", () => {
  it("per user, per address and per process, refused at the handshake; closing a socket frees its place", async () => {
    await gw.start({ maxSocketsPerUser: 2, maxSocketsPerIp: 4, maxSockets: 5, enableAnonymous: true });
    const first = await gw.connect({ userId: "alice" });
    await gw.connect({ userId: "alice" });
    expect(await refusedWith(gw.server.url, { userId: "alice" })).toBe(429);
    await gw.connect({ userId: "bob" });
    await gw.connect(); // anonymous: counts against the address only
    expect(await refusedWith(gw.server.url, { userId: "carol" })).toBe(429); // 4 from 127.0.0.1
    await first.close();
    gw.forget(first);
    await expect.poll(() => gw.server.gateway.connectionCount()).toBe(3);
    const again = await gw.connect({ userId: "alice" });
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("the process-wide cap answers 503", async () => {
    await gw.start({ maxSockets: 1 });
    await gw.connect({ userId: "alice" });
    expect(await refusedWith(gw.server.url, { userId: "bob" })).toBe(503);
  });

  it("a burst of simultaneous handshakes cannot slip past a cap", async () => {
    await gw.start({ maxSocketsPerUser: 3 });
    const cookie = await sessionCookie("alice");
    const results = await Promise.all(Array.from({ length: 12 }, () => TestClient.connect(gw.server.url, { cookie }).then((client) => client, (error: unknown) => error)));
    const opened = results.filter((result): result is TestClient => result instanceof TestClient);
    expect(opened).toHaveLength(3);
    expect(results.filter((result) => result instanceof HandshakeRefused && result.status === 429)).toHaveLength(9);
    for (const client of opened) client.ws.terminate();
  });
});

describe("forwarded headers and origins", () => {
  const req = (headers: Record<string, string>, remoteAddress = "10.0.0.2") => ({ headers, socket: { remoteAddress } });

  it("the client's address: the peer unless proxies are trusted, and never an entry the client added", () => {
    expect(clientAddress(req({ "x-forwarded-for": "1.2.3.4" }), 0)).toBe("10.0.0.2");
    expect(clientAddress(req({ "x-forwarded-for": "203.0.113.7" }), 1)).toBe("203.0.113.7");
    expect(clientAddress(req({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }), 1)).toBe("203.0.113.7");
    expect(clientAddress(req({ "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.1" }), 2)).toBe("203.0.113.7");
    expect(clientAddress(req({}), 1)).toBe("10.0.0.2");
  });

  it("per-address caps follow X-Forwarded-For only behind a configured proxy", async () => {
    await gw.start({ maxSocketsPerIp: 1, trustedProxies: 1 });
    const open = (ip: string) =>
      new Promise<number>((resolve) => {
        void sessionCookie(`user-${ip}-${Math.random()}`).then((cookie) => {
          const ws = new WebSocket(gw.server.url, { headers: { cookie, "x-forwarded-for": ip } });
          ws.once("open", () => {
            cleanups.push(() => ws.terminate());
            resolve(101);
          });
          ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        });
      });
    expect(await open("203.0.113.7")).toBe(101);
    expect(await open("203.0.113.8")).toBe(101);
    expect(await open("203.0.113.7")).toBe(429);
  });

  it("the Origin must match the request's scheme too, and X-Forwarded-Host counts only behind a proxy", async () => {
    const server = await gw.start();
    const host = new URL(server.url).host;
    expect(await refusedWith(server.url, { userId: "a", origin: `https://${host}` })).toBe(403); // plain http request
    expect((await gw.connect({ userId: "b", origin: `http://${host}` })).ws.readyState).toBe(WebSocket.OPEN);
    const spoofed = await new Promise<number>((resolve) => {
      void sessionCookie("c").then((cookie) => {
        const ws = new WebSocket(server.url, { headers: { cookie, origin: "http://evil.example", "x-forwarded-host": "evil.example" } });
        ws.once("open", () => {
          ws.terminate();
          resolve(101);
        });
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      });
    });
    expect(spoofed).toBe(403);
  });

  it("behind a trusted TLS proxy the forwarded scheme and host are the app's own", async () => {
    const server = await gw.start({ trustedProxies: 1 });
    const status = await new Promise<number>((resolve) => {
      void sessionCookie("d").then((cookie) => {
        const ws = new WebSocket(server.url, {
          headers: { cookie, origin: "https://app.example", "x-forwarded-host": "app.example", "x-forwarded-proto": "https" },
        });
        ws.once("open", () => {
          ws.terminate();
          resolve(101);
        });
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      });
    });
    expect(status).toBe(101);
  });
});

describe("budgets", () => {
  it("a user's many sockets share one frame budget: over it, frames are dropped with rate_limited, nobody is cut", async () => {
    await gw.start({ clientFramesPerSecondPerUser: 5, clientFramesPerSecond: 1_000 }, { authorizer: () => true });
    const tabs = await Promise.all(Array.from({ length: 4 }, () => gw.connect({ userId: "mallory" })));
    const bystander = await gw.connect({ userId: "bob" });
    for (const tab of tabs) for (let index = 0; index < 10; index++) tab.send(JSON.stringify({ type: "subscribe", ref: `r${index}`, channels: [`c-${index}`] }));
    const limited = () => tabs.filter((tab) => tab.frames.some((frame) => frame.type === "error" && frame.code === "rate_limited")).length;
    // 40 frames against a budget of 5/s with bursts of 10: most tabs are throttled.
    await expect.poll(limited).toBeGreaterThanOrEqual(3);
    const answered = tabs.reduce((sum, tab) => sum + tab.frames.filter((frame) => frame.type === "subscribed").length, 0);
    expect(answered).toBeLessThanOrEqual(10 + 2); // the burst (2 × 5) and what refilled meanwhile
    expect(tabs.every((tab) => tab.ws.readyState === WebSocket.OPEN)).toBe(true);
    // Bob's own budget is untouched.
    bystander.send(JSON.stringify({ type: "subscribe", ref: "mine", channels: ["c-1"] }));
    await bystander.next((frame) => frame.type === "subscribed" && frame.ref === "mine");
    await gatewayStillServes(bystander);
  });

  it("subscription refs per socket are capped", async () => {
    await gw.start({ maxSubscriptionsPerSocket: 3, clientFramesPerSecond: 1_000 }, { authorizer: () => true });
    const alice = await gw.connect({ userId: "alice" });
    for (let index = 0; index < 4; index++) alice.send(JSON.stringify({ type: "subscribe", ref: `r${index}`, channels: [`c-${index}`] }));
    const last = await alice.next((frame) => frame.type === "subscribed" && frame.ref === "r3");
    expect(last).toMatchObject({ granted: [], refused: [{ reason: "limit" }] });
    // A ref it already holds may still add to itself.
    alice.send(JSON.stringify({ type: "subscribe", ref: "r0", channels: ["c-9"] }));
    expect(await alice.next((frame) => frame.type === "subscribed" && frame.ref === "r0" && frame.granted.length === 2)).toMatchObject({ granted: ["c-0", "c-9"] });
  });
});

describe("revoked sessions", () => {
  /** A gateway on its own runtime with a revocation list (no store: this process's memory). */
  async function startWithRevocations(settings: Parameters<typeof readSettings>[1] = {}): Promise<{ gateway: Gateway; url: string }> {
    const resolved = readSettings({}, settings);
    const layer = createMemoryLayer();
    const revocations = createRevocationList();
    const runtime = installRuntime({ settings: resolved, layer, revocations });
    const gateway = createGateway({ settings: resolved, layer, revocations, authenticate: authjsAuthenticate({ secret: TEST_SECRET }) });
    const server: Server = createServer((_req, res) => res.writeHead(404).end());
    server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await layer.close();
      uninstallRuntime(runtime);
    });
    return { gateway, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}${resolved.path}` };
  }

  it("revokeSession closes that session's sockets at once (4001) and its cookie is refused from then on; other sessions stay", async () => {
    const { url } = await startWithRevocations();
    const signedOut = await sessionCookie("alice", { sessionId: "s-laptop" });
    const phone = await TestClient.connect(url, { cookie: await sessionCookie("alice", { sessionId: "s-phone" }) });
    const laptop = await TestClient.connect(url, { cookie: signedOut });
    cleanups.push(() => phone.ws.terminate());

    await api.revokeSession({ userId: "alice", sessionId: "s-laptop" });
    expect((await laptop.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect(await refusedWith(url, { cookie: signedOut })).toBe(401);
    await api.sendToUser("alice", "still on the phone");
    await phone.next((frame) => frame.type === "message" && frame.text === "still on the phone");
  });

  it("revokeUserSessions (a deleted user): every socket closes, every older cookie is refused, a new sign-in works", async () => {
    const { url } = await startWithRevocations();
    const old = await sessionCookie("carol", { sessionId: "s-1" });
    const tab = await TestClient.connect(url, { cookie: old });
    await api.revokeUserSessions("carol");
    expect((await tab.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect(await refusedWith(url, { cookie: old })).toBe(401);
    expect(await refusedWith(url, { cookie: await sessionCookie("carol") })).toBe(401); // issued in the same second: counts as before
  });

  it("the periodic sweep closes an open socket whose session was revoked elsewhere (no message reached it)", async () => {
    const { gateway, url } = await startWithRevocations({ revocationCheckMs: 0 });
    const cookie = await sessionCookie("dave", { sessionId: "s-d" });
    const tab = await TestClient.connect(url, { cookie });
    // Recorded as another process would have (its control message never reached this one).
    peekRuntime()!.revocations!.remember({ sessionId: "s-d" }, Date.now());
    expect(await gateway.sweepRevoked()).toBe(1);
    expect((await tab.closed).code).toBe(CloseCode.SESSION_ENDED);
  });
});

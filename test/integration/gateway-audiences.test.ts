/**
 * Who receives what: real `ws` clients against a real gateway, for every audience and gate.
 * Absence is proven without sleeping: after the send under test, a marker is sent to a group
 * the client is in, and the frames that arrived before the marker are checked.
 */
import { describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import type { NotificationSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { gatewayPerTest, HandshakeRefused, TestClient } from "../helpers/gateway-server";
import { sessionCookie } from "../helpers/sessions";

const gw = gatewayPerTest();

interface Cast {
  alice1: TestClient;
  alice2: TestClient;
  bob: TestClient;
  anon?: TestClient;
}

async function cast(settings: Partial<NotificationSettings>): Promise<Cast> {
  await gw.start(settings);
  return {
    alice1: await gw.connect({ userId: "alice" }),
    alice2: await gw.connect({ userId: "alice" }),
    bob: await gw.connect({ userId: "bob" }),
    anon: settings.enableAnonymous ? await gw.connect() : undefined,
  };
}

/** Sends a marker to each client's own route and waits until all have it. */
async function settle(everyone: TestClient[], marker: string): Promise<void> {
  for (const client of everyone) {
    const hello = client.frames.find((frame) => frame.type === "hello");
    const userId = hello?.type === "hello" ? hello.userId : null;
    if (userId) await api.notify({ user: userId }, { message: marker });
    else await api.notify("anonymous", { message: marker });
  }
  await Promise.all(everyone.map((client) => client.next((frame) => frame.type === "message" && frame.text === marker)));
}

describe("audiences, with anonymous on", () => {
  const who = (c: Cast) => ({ alice1: c.alice1, alice2: c.alice2, bob: c.bob, anon: c.anon! });
  const matrix: [string, () => Promise<boolean>, ("alice1" | "alice2" | "bob" | "anon")[]][] = [
    ["all", () => api.sendToAll("T"), ["alice1", "alice2", "bob", "anon"]],
    ["authenticated", () => api.sendToAuthenticated("T"), ["alice1", "alice2", "bob"]],
    ["anonymous", () => api.sendToAnonymous("T"), ["anon"]],
    ["user alice", () => api.sendToUser("alice", "T"), ["alice1", "alice2"]],
    ["user bob", () => api.sendToUser({ id: "bob" }, "T"), ["bob"]],
    ["a channel nobody joined", () => api.sendToChannel("job-1", "T"), []],
    ["an object page nobody is on", () => api.sendToObject("articles-1", "T"), []],
  ];

  it.each(matrix)("%s reaches exactly the right sockets", async (_name, send, expected) => {
    const c = await cast({ enableAnonymous: true });
    await expect(send()).resolves.toBe(true);
    const everyone = who(c);
    await settle(Object.values(everyone), "marker");
    for (const [name, client] of Object.entries(everyone)) {
      expect({ name, got: client.texts().includes("T") }).toEqual({ name, got: expected.includes(name as never) });
    }
  });

  it("delivers redirect and progress frames in the wire format", async () => {
    const c = await cast({ enableAnonymous: true });
    await api.redirectUser("alice", "/reports/42");
    await api.progressUser("alice", 42);
    expect(await c.alice1.next((frame) => frame.type === "redirect")).toEqual({ type: "redirect", url: "/reports/42", channel: "user:alice" });
    expect(await c.alice2.next((frame) => frame.type === "progress")).toEqual({ type: "progress", progress: true, percent: "42%", channel: "user:alice" });
    await settle([c.bob, c.anon!], "marker");
    expect(c.bob.frames.filter((frame) => frame.type === "redirect" || frame.type === "progress")).toEqual([]);
  });

  // The original client reads type, text, cssClass, clickURL, closeURL and hideCloseOption and
  // ignores other keys; `channel` (last, as on progress frames) lets tabs sharing a socket route it.
  it("sends the exact bytes the original client expects", async () => {
    const c = await cast({ enableAnonymous: true });
    await api.sendToUser("alice", "Your import finished!", { level: "success" });
    await c.alice1.next((frame) => frame.type === "message");
    expect(c.alice1.raw.at(-1)).toBe(
      '{"type":"message","text":"Your import finished!","cssClass":"success","clickURL":null,"closeURL":null,"hideCloseOption":false,"channel":"user:alice"}',
    );
  });

  it("hello tells the socket who it is", async () => {
    const c = await cast({ enableAnonymous: true });
    expect(c.alice1.frames[0]).toMatchObject({ type: "hello", userId: "alice", channels: [] });
    expect(c.anon!.frames[0]).toMatchObject({ type: "hello", userId: null });
  });
});

describe("gates at the gateway", () => {
  it("anonymous off (the default): an anonymous handshake is refused before the upgrade", async () => {
    await gw.start();
    const error = await TestClient.connect(gw.server.url).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HandshakeRefused);
    expect((error as HandshakeRefused).status).toBe(403);
    expect(gw.server.gateway.connectionCount()).toBe(0);
    // Signed-in sockets are still accepted.
    await gw.connect({ userId: "alice" });
    expect(gw.server.gateway.connectionCount()).toBe(1);
  });

  it("a tampered, foreign-secret or expired session cookie counts as anonymous", async () => {
    await gw.start();
    const valid = await sessionCookie("alice");
    const tampered = valid.slice(0, -4) + (valid.endsWith("AAAA") ? "BBBB" : "AAAA");
    const foreign = await sessionCookie("alice", { secret: "another-secret-another-secret-another-secret" });
    const expired = await sessionCookie("alice", { maxAgeSeconds: -60 });
    for (const cookie of [tampered, foreign, expired]) {
      const error = await TestClient.connect(gw.server.url, { cookie }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HandshakeRefused);
    }
  });

  it("reads the __Secure- cookie and chunked cookies", async () => {
    await gw.start();
    const secure = await sessionCookie("alice", { cookieName: "__Secure-authjs.session-token" });
    const client = await gw.connect({ cookie: secure });
    expect(client.frames[0]).toMatchObject({ type: "hello", userId: "alice" });

    const whole = await sessionCookie("bob");
    const token = whole.slice(whole.indexOf("=") + 1);
    const half = Math.floor(token.length / 2);
    const chunked = `authjs.session-token.0=${token.slice(0, half)}; authjs.session-token.1=${token.slice(half)}`;
    const bob = await gw.connect({ cookie: chunked });
    expect(bob.frames[0]).toMatchObject({ type: "hello", userId: "bob" });
  });

  it("ENABLE_ALL off: the gateway never joins 'all'", async () => {
    await cast({ enableAll: false });
    expect(gw.server.gateway.groupSize("all")).toBe(0);
    expect(gw.server.gateway.groupSize("user:alice")).toBe(2);
    await expect(api.sendToAll("T")).resolves.toBe(false);
  });

  it("ENABLE_AUTHENTICATED off: no authenticated or user groups, sends are no-ops", async () => {
    const c = await cast({ enableAuthenticated: false });
    expect(gw.server.gateway.groupSize("authenticated")).toBe(0);
    expect(gw.server.gateway.groupSize("user:alice")).toBe(0);
    expect(gw.server.gateway.groupSize("all")).toBe(3);
    await expect(api.sendToUser("alice", "T")).resolves.toBe(false);
    await api.sendToAll("marker");
    await c.alice1.next((frame) => frame.type === "message" && frame.text === "marker");
    expect(c.alice1.texts()).toEqual(["marker"]);
  });

  it("a layer publish reaches a group only while it has local members", async () => {
    const c = await cast({});
    expect(gw.server.gateway.groupSize("user:bob")).toBe(1);
    await c.bob.close();
    gw.forget(c.bob);
    await expect.poll(() => gw.server.gateway.groupSize("user:bob")).toBe(0);
  });
});

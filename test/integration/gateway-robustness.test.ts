/**
 * Bad client input, dead peers, foreign origins and shutdown: the gateway keeps serving.
 */
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as api from "../../src/notifications/server";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import { gatewayPerTest, HandshakeRefused, TestClient } from "../helpers/gateway-server";
import { sessionCookie } from "../helpers/sessions";

const gw = gatewayPerTest();

describe("malformed client frames", () => {
  const hostile: [string, string | Buffer, boolean, string][] = [
    ["invalid JSON", "{nope", false, "invalid_frame"],
    ["a JSON number", "42", false, "invalid_frame"],
    ["a JSON array", "[1,2]", false, "invalid_frame"],
    ["null", "null", false, "invalid_frame"],
    ["an ack without id", '{"type":"ack_message"}', false, "invalid_frame"],
    ["an ack with a string id", '{"type":"ack_message","id":"7"}', false, "invalid_frame"],
    ["an unknown type", '{"type":"drop_table"}', false, "unknown_type"],
    ["a binary frame", Buffer.from([0, 1, 2, 255]), true, "binary_frame"],
  ];

  it.each(hostile)("%s is refused with an error frame and the socket keeps receiving", async (_name, data, binary, code) => {
    await gw.start();
    const alice = await gw.connect({ userId: "alice" });
    const bob = await gw.connect({ userId: "bob" });
    alice.send(data, { binary });
    expect(await alice.next((frame) => frame.type === "error")).toEqual({ type: "error", code });
    await api.sendToUser("alice", "still here");
    await alice.next((frame) => frame.type === "message" && frame.text === "still here");
    await api.sendToUser("bob", "bob too");
    await bob.next((frame) => frame.type === "message" && frame.text === "bob too");
  });

  it("counts acks only for inbox frames the socket was sent, in both forms, and reports them with the socket's user and groups", async () => {
    const acks: { id: number; user: string | undefined; groups: string[] }[] = [];
    const server = await gw.start({}, { onAck: (ack) => void acks.push({ id: ack.id, user: ack.user?.id, groups: [...ack.groups].sort() }) });
    const alice = await gw.connect({ userId: "alice" });
    // Stored inbox frames as a process with a store publishes them (ids 0 and 17 ask for an ack).
    for (const id of [0, 17]) {
      await server.runtime.layer.publish("user:alice", `{"type":"message","id":${id},"ack":true,"text":"m${id}","cssClass":"info","clickURL":null,"closeURL":null,"hideCloseOption":false}`);
      await alice.next((frame) => frame.type === "message" && frame.id === id);
    }
    alice.send('{"type":"ack_message","id":0}');
    alice.send('{"type":"ack","ids":[17,18,99]}'); // 18 and 99 were never sent: ignored, free
    alice.send('{"type":"ack_message","id":17}'); // already acked: ignored
    await expect.poll(() => acks.length).toBe(2);
    expect(acks).toEqual([
      { id: 0, user: "alice", groups: ["all", "authenticated", "user:alice"] },
      { id: 17, user: "alice", groups: ["all", "authenticated", "user:alice"] },
    ]);
    expect(alice.frames.filter((frame) => frame.type === "error")).toEqual([]);
  });

  it("an oversized frame closes that socket with 1009 and nobody else is affected", async () => {
    await gw.start({ maxFrameBytes: 1024 });
    const alice = await gw.connect({ userId: "alice" });
    const bob = await gw.connect({ userId: "bob" });
    alice.send("x".repeat(5000));
    expect((await alice.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    gw.forget(alice);
    await api.sendToUser("bob", "fine");
    await bob.next((frame) => frame.type === "message" && frame.text === "fine");
  });

  it("a frame flood closes that socket with 1008 and nobody else is affected", async () => {
    await gw.start({ clientFramesPerSecond: 5 });
    const alice = await gw.connect({ userId: "alice" });
    const bob = await gw.connect({ userId: "bob" });
    for (let index = 0; index < 200; index++) alice.send('{"type":"ack_message","id":1}');
    expect((await alice.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    gw.forget(alice);
    await api.sendToUser("bob", "fine");
    await bob.next((frame) => frame.type === "message" && frame.text === "fine");
  });
});

describe("heartbeat", () => {
  it("sends every socket a text ping each beat, which the original client ignores", async () => {
    await gw.start({ heartbeatMs: 100 });
    const alice = await gw.connect({ userId: "alice" });
    await alice.next((frame) => frame.type === "ping");
    const pings = alice.raw.filter((text) => JSON.parse(text).type === "ping");
    expect(pings[0]).toBe('{"type":"ping"}'); // no text, url or progress field
    await alice.next((frame) => frame.type === "ping" && alice.raw.filter((text) => text === '{"type":"ping"}').length >= 2);
  });

  it("drops a socket that stops answering pings", async () => {
    await gw.start({ heartbeatMs: 100 });
    const cookie = await sessionCookie("alice");
    // autoPong off: this client behaves like a peer whose network vanished.
    const dead = new WebSocket(gw.server.url, { headers: { cookie }, autoPong: false });
    await once(dead, "message");
    const live = await gw.connect({ userId: "bob" });
    expect(gw.server.gateway.connectionCount()).toBe(2);
    const [code] = (await once(dead, "close")) as [number];
    expect(code).toBe(1006); // terminated: no close frame is sent to a dead peer
    await expect.poll(() => gw.server.gateway.connectionCount()).toBe(1);
    expect(gw.server.gateway.groupSize("user:alice")).toBe(0);
    await api.sendToUser("bob", "alive");
    await live.next((frame) => frame.type === "message" && frame.text === "alive");
  });
});

describe("origin check", () => {
  it("refuses a foreign Origin and accepts the app's own", async () => {
    await gw.start();
    const host = new URL(gw.server.url).host;
    const refused = await TestClient.connect(gw.server.url, { userId: "alice", origin: "https://evil.example" }).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(HandshakeRefused);
    expect((refused as HandshakeRefused).status).toBe(403);
    await gw.connect({ userId: "alice", origin: `http://${host}` });
  });

  it("follows a configured allow-list", async () => {
    await gw.start({ allowedOrigins: ["https://app.example"] });
    await gw.connect({ userId: "alice", origin: "https://app.example" });
    const host = new URL(gw.server.url).host;
    await expect(TestClient.connect(gw.server.url, { userId: "alice", origin: `http://${host}` })).rejects.toBeInstanceOf(HandshakeRefused);
  });
});

describe("paths and shutdown", () => {
  it("closes every socket with 1012 on shutdown", async () => {
    await gw.start();
    const alice = await gw.connect({ userId: "alice" });
    const closing = alice.closed;
    await gw.server.gateway.close();
    expect((await closing).code).toBe(CloseCode.SERVICE_RESTART);
    gw.forgetAll();
  });

  it("closes a socket when its session expires", async () => {
    await gw.start();
    const cookie = await sessionCookie("alice", { maxAgeSeconds: 1 });
    const alice = await gw.connect({ cookie });
    expect((await alice.closed).code).toBe(CloseCode.SESSION_ENDED);
    gw.forgetAll();
  });
});

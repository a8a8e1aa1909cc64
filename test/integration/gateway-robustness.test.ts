/**
 * Bad client input, dead peers, foreign origins and shutdown: the gateway keeps serving.
 */
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as api from "../../src/notifications/server";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import { HandshakeRefused, startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { sessionCookie } from "../helpers/sessions";

let server: TestGateway | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await server?.close();
  server = undefined;
});

async function connect(options: Parameters<typeof TestClient.connect>[1] = {}): Promise<TestClient> {
  const client = await TestClient.connect(server!.url, options);
  clients.push(client);
  return client;
}

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
    server = await startTestGateway();
    const alice = await connect({ userId: "alice" });
    const bob = await connect({ userId: "bob" });
    alice.send(data, { binary });
    expect(await alice.next((frame) => frame.type === "error")).toEqual({ type: "error", code });
    await api.sendToUser("alice", "still here");
    await alice.next((frame) => frame.type === "message" && frame.text === "still here");
    await api.sendToUser("bob", "bob too");
    await bob.next((frame) => frame.type === "message" && frame.text === "bob too");
  });

  it("accepts ack_message frames and reports them with the socket's user and groups", async () => {
    const acks: { id: number; user: string | undefined; groups: string[] }[] = [];
    server = await startTestGateway({}, { onAck: (ack) => void acks.push({ id: ack.id, user: ack.user?.id, groups: [...ack.groups].sort() }) });
    const alice = await connect({ userId: "alice" });
    alice.send('{"type":"ack_message","id":0}');
    alice.send('{"type":"ack_message","id":17}');
    await expect.poll(() => acks.length).toBe(2);
    expect(acks).toEqual([
      { id: 0, user: "alice", groups: ["all", "authenticated", "user:alice"] },
      { id: 17, user: "alice", groups: ["all", "authenticated", "user:alice"] },
    ]);
    expect(alice.frames.filter((frame) => frame.type === "error")).toEqual([]);
  });

  it("an oversized frame closes that socket with 1009 and nobody else is affected", async () => {
    server = await startTestGateway({ maxFrameBytes: 1024 });
    const alice = await connect({ userId: "alice" });
    const bob = await connect({ userId: "bob" });
    alice.send("x".repeat(5000));
    expect((await alice.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    clients.splice(clients.indexOf(alice), 1);
    await api.sendToUser("bob", "fine");
    await bob.next((frame) => frame.type === "message" && frame.text === "fine");
  });

  it("a frame flood closes that socket with 1008 and nobody else is affected", async () => {
    server = await startTestGateway({ clientFramesPerSecond: 5 });
    const alice = await connect({ userId: "alice" });
    const bob = await connect({ userId: "bob" });
    for (let index = 0; index < 200; index++) alice.send('{"type":"ack_message","id":1}');
    expect((await alice.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    clients.splice(clients.indexOf(alice), 1);
    await api.sendToUser("bob", "fine");
    await bob.next((frame) => frame.type === "message" && frame.text === "fine");
  });
});

describe("heartbeat", () => {
  it("drops a socket that stops answering pings", async () => {
    server = await startTestGateway({ heartbeatMs: 100 });
    const cookie = await sessionCookie("alice");
    // autoPong off: this client behaves like a peer whose network vanished.
    const dead = new WebSocket(server.url, { headers: { cookie }, autoPong: false });
    await once(dead, "message");
    const live = await connect({ userId: "bob" });
    expect(server.gateway.connectionCount()).toBe(2);
    const [code] = (await once(dead, "close")) as [number];
    expect(code).toBe(1006); // terminated: no close frame is sent to a dead peer
    await expect.poll(() => server!.gateway.connectionCount()).toBe(1);
    expect(server.gateway.groupSize("user:alice")).toBe(0);
    await api.sendToUser("bob", "alive");
    await live.next((frame) => frame.type === "message" && frame.text === "alive");
  });
});

describe("origin check", () => {
  it("refuses a foreign Origin and accepts the app's own", async () => {
    server = await startTestGateway();
    const host = new URL(server.url).host;
    const refused = await TestClient.connect(server.url, { userId: "alice", origin: "https://evil.example" }).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(HandshakeRefused);
    expect((refused as HandshakeRefused).status).toBe(403);
    await connect({ userId: "alice", origin: `http://${host}` });
  });

  it("follows a configured allow-list", async () => {
    server = await startTestGateway({ allowedOrigins: ["https://app.example"] });
    await connect({ userId: "alice", origin: "https://app.example" });
    const host = new URL(server.url).host;
    await expect(TestClient.connect(server.url, { userId: "alice", origin: `http://${host}` })).rejects.toBeInstanceOf(HandshakeRefused);
  });
});

describe("paths and shutdown", () => {
  it("closes every socket with 1012 on shutdown", async () => {
    server = await startTestGateway();
    const alice = await connect({ userId: "alice" });
    const closing = alice.closed;
    await server.gateway.close();
    expect((await closing).code).toBe(CloseCode.SERVICE_RESTART);
    clients.splice(0);
  });

  it("closes a socket when its session expires", async () => {
    server = await startTestGateway();
    const cookie = await sessionCookie("alice", { maxAgeSeconds: 1 });
    const alice = await connect({ cookie });
    expect((await alice.closed).code).toBe(CloseCode.SESSION_ENDED);
    clients.splice(0);
  });
});

/**
 * "Frame once per message": the gateway frames a broadcast once and writes that buffer to each
 * socket. The frame must be byte-identical to ws's own, and the direct write must only happen
 * when ws's sender is idle, so ordering and `bufferedAmount` stay what `ws.send` gives.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import * as wsModule from "ws";
import { WebSocket, WebSocketServer } from "ws";
import { Connection } from "../../packages/next-channels-broadcast/src/server/gateway/connection";
import { prepareTextFrame, supportsPreparedFrames, writePreparedFrame } from "../../packages/next-channels-broadcast/src/server/gateway/frame";
import { RateLimit } from "../../packages/next-channels-broadcast/src/server/rate-limit";

type FrameFunction = (data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }) => Buffer[];
const Sender = (wsModule as unknown as { Sender: { frame: FrameFunction } }).Sender;

function wsFrame(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text, "utf8"), { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

/** A ws server (permessage-deflate off, as in the gateway) and one client connected to it. */
async function pair(): Promise<{ server: WebSocket; client: WebSocket; received: string[] }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  await once(wss, "listening");
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on("message", (data) => received.push(data.toString()));
  const [server] = (await once(wss, "connection")) as [WebSocket];
  await once(client, "open");
  cleanup.push(() => {
    client.terminate();
    wss.close();
  });
  return { server, client, received };
}

async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("prepareTextFrame", () => {
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 70_000])("matches ws's Sender.frame for a %i-byte payload", (size) => {
    const text = "x".repeat(size);
    const { payload, wire } = prepareTextFrame(text);
    expect(wire.equals(wsFrame(text))).toBe(true);
    expect(payload.toString("utf8")).toBe(text);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const text = `{"text":"${"é🎉".repeat(40)}"}`;
    expect(prepareTextFrame(text).wire.equals(wsFrame(text))).toBe(true);
  });
});

describe("writing prepared frames", () => {
  it("is allowed on server sockets only", async () => {
    const { server, client } = await pair();
    expect(supportsPreparedFrames(server)).toBe(true);
    expect(supportsPreparedFrames(client)).toBe(false);
  });

  it("keeps order with ws.send and control frames", async () => {
    const { server, client, received } = await pair();
    let pongs = 0;
    client.on("ping", () => pongs++);
    for (let i = 0; i < 20; i++) {
      if (i % 3 === 0) server.send(`send ${i}`);
      else expect(writePreparedFrame(server, prepareTextFrame(`prepared ${i}`).wire)).toBe(true);
      if (i % 5 === 0) server.ping();
    }
    await until(() => received.length === 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? `send ${i}` : `prepared ${i}`)));
    await until(() => pongs === 4);
  });

  it("steps aside while ws's sender has queued work, so the caller falls back to ws.send", async () => {
    const { server, received } = await pair();
    const sender = (server as unknown as { _sender: { _queue: unknown[] } })._sender;
    sender._queue.push([() => undefined, Buffer.alloc(0), false, {}, undefined]);
    expect(writePreparedFrame(server, prepareTextFrame("not now").wire)).toBe(false);
    sender._queue.pop();
    expect(writePreparedFrame(server, prepareTextFrame("now").wire)).toBe(true);
    await until(() => received.length === 1);
    expect(received).toEqual(["now"]);
  });

  it("counts what it queues in bufferedAmount, so the slow-consumer cut still applies", async () => {
    const { server, client } = await pair();
    client.pause(); // stop reading: the server's queue for this socket grows
    const cut: Connection[] = [];
    const connection = new Connection(server, null, { maxBufferedBytes: 512 * 1024, frameRate: new RateLimit(20), onSlowConsumer: (c) => void cut.push(c) });
    const { payload, wire } = prepareTextFrame("y".repeat(64 * 1024));
    for (let i = 0; i < 4_000 && cut.length === 0; i++) {
      connection.deliver(payload, wire);
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(cut).toEqual([connection]);
    expect(server.bufferedAmount).toBeLessThanOrEqual(512 * 1024);
    // Unread bytes (user space and kernel alike) were bounded too: the client never answered a ping.
    expect(connection.unreadBytes).toBeGreaterThan(512 * 1024 - 64 * 1024);
    expect(connection.unreadBytes).toBeLessThanOrEqual(2 * 512 * 1024);
  });

  it("cork() holds a join's frames back and uncork() sends them in order in one write", async () => {
    const { server, received } = await pair();
    const connection = new Connection(server, null, { maxBufferedBytes: 512 * 1024, frameRate: new RateLimit(20), onSlowConsumer: () => undefined });
    const socket = (server as unknown as { _socket: { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void } })._socket;
    const writes: number[] = [];
    const write = socket._write.bind(socket);
    const writev = socket._writev.bind(socket);
    socket._write = (...args) => void (writes.push(1), write(...args));
    socket._writev = (chunks, ...rest) => void (writes.push((chunks as unknown[]).length), writev(chunks, ...rest));

    expect(connection.cork()).toBe(true);
    connection.sendStored('{"type":"message","id":1}', 1, false);
    connection.sendStored('{"type":"message","id":2}', 2, false);
    connection.sendFrame({ type: "hello", protocol: 1, userId: null, channels: [], heartbeatMs: 30_000 });
    const live = prepareTextFrame('{"type":"message","id":3}');
    connection.deliver(live.payload, live.wire, 3, false);
    expect(writes).toEqual([]);
    connection.uncork();
    // One writev: ws frames each send as header + payload (two chunks: 3 × 2); the prepared frame is one.
    expect(writes).toEqual([7]);
    await until(() => received.length === 4);
    expect(received.map((text) => (JSON.parse(text) as { id?: number; type: string }).id ?? "hello")).toEqual([1, 2, "hello", 3]);
  });

  it("cork() refuses on a closing socket, so nothing is held back there", async () => {
    const { server } = await pair();
    const connection = new Connection(server, null, { maxBufferedBytes: 512 * 1024, frameRate: new RateLimit(20), onSlowConsumer: () => undefined });
    connection.dispose();
    expect(connection.cork()).toBe(false);
  });
});

/**
 * A handshake's answer leaves in one write: the 101, the replayed inbox rows and `hello` (issue #10:
 * one system call per handshake instead of two, measured in bench/README.md "Connect storm").
 * The socket stays corked from the upgrade until the handshake's join has written its frames; every
 * other way out of the upgrade must uncork it, or the client would wait for an answer forever.
 */
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CloseCode } from "../../packages/next-channels-broadcast/src/shared/close-codes";
import * as api from "../../packages/next-channels-broadcast/src/server";
import type { StoredNotification } from "../../packages/next-channels-broadcast/src/server/store";
import { sessionCookie } from "../helpers/sessions";
import { replayServerPerTest, type ReplayServer } from "../replay/harness";

const replay = replayServerPerTest();

/** Records every write the server makes to each upgraded TCP socket: one entry per system-call-level write, its bytes. */
function recordWrites(target: ReplayServer): Buffer[][] {
  const sockets: Buffer[][] = [];
  target.server.prependListener("upgrade", (_req, socket: Duplex) => {
    const writes: Buffer[] = [];
    sockets.push(writes);
    const internals = socket as unknown as { _write: (chunk: unknown, encoding: BufferEncoding, callback: () => void) => void; _writev: (chunks: { chunk: unknown; encoding: BufferEncoding }[], callback: () => void) => void };
    const bytes = (chunk: unknown, encoding: BufferEncoding) => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, encoding));
    const write = internals._write.bind(socket);
    const writev = internals._writev.bind(socket);
    internals._write = (chunk, encoding, callback) => {
      writes.push(bytes(chunk, encoding));
      write(chunk, encoding, callback);
    };
    internals._writev = (chunks, callback) => {
      writes.push(Buffer.concat(chunks.map(({ chunk, encoding }) => bytes(chunk, encoding))));
      writev(chunks, callback);
    };
  });
  return sockets;
}

/** Sends a raw HTTP request on a new TCP connection; resolves with everything the server answered before closing. */
async function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.write(request);
  await new Promise<void>((resolve, reject) => {
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
  return Buffer.concat(chunks).toString("latin1");
}

describe("a handshake's answer", () => {
  it("is one write carrying the 101, the replayed inbox row and then hello", async () => {
    const server = await replay.start();
    await api.sendToUser("alice", "while you were away");
    const writes = recordWrites(server);

    const client = await server.connect({ userId: "alice" });
    expect(client.frames.map((frame) => frame.type)).toEqual(["message", "hello"]);
    expect(writes).toHaveLength(1);
    const [socketWrites] = writes;
    expect(socketWrites).toHaveLength(1);
    const text = socketWrites![0]!.toString("latin1");
    const statusLine = text.indexOf("HTTP/1.1 101 Switching Protocols");
    const row = text.indexOf("while you were away");
    const hello = text.indexOf('"type":"hello"');
    expect(statusLine).toBe(0);
    expect(row).toBeGreaterThan(statusLine);
    expect(hello).toBeGreaterThan(row);

    // Live frames after the handshake are written as they come, not held back.
    await api.sendToUser("alice", "live");
    await client.next((frame) => frame.type === "message" && frame.text === "live");
    expect(socketWrites!.length).toBeGreaterThan(1);
  });

  it("is not held back when ws itself refuses a malformed upgrade (400)", async () => {
    const server = await replay.start();
    const cookie = await sessionCookie("alice");
    const answer = await rawExchange(
      server.url,
      [
        `GET ${new URL(server.url).pathname} HTTP/1.1`,
        `Host: ${new URL(server.url).host}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 99",
        `Cookie: ${cookie}`,
        "",
        "",
      ].join("\r\n"),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    // Its place was given back: a well-formed handshake of the same user still gets in.
    const client = await server.connect({ userId: "alice" });
    expect(client.frames.at(-1)?.type).toBe("hello");
  });

  it("goes out with the close frame at once when the gateway shuts down while the handshake's join waits", async () => {
    let enterJoin: () => void = () => undefined;
    const joining = new Promise<void>((resolve) => (enterJoin = resolve));
    let finishJoin: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (finishJoin = resolve));
    let read: Promise<StoredNotification[]> = Promise.resolve([]);
    const server = await replay.start({
      // The handshake's inbox read waits until the test lets it go: the socket stays corked meanwhile.
      wrapStore: (store) => ({
        ...store,
        pendingInbox: (...args: Parameters<typeof store.pendingInbox>) => {
          enterJoin();
          read = held.then(() => store.pendingInbox(...args));
          return read;
        },
      }),
    });
    const writes = recordWrites(server);
    const ws = new WebSocket(server.url, { headers: { cookie: await sessionCookie("alice") } });
    const opened = new Promise<boolean>((resolve) => {
      ws.once("open", () => resolve(true));
      ws.once("error", () => resolve(false));
    });
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    await joining;
    expect(writes[0]).toEqual([]); // the 101 waits for the join

    // The join is still waiting: the close must not wait for it (nor for the 1 s grace).
    const closing = server.gateway.close();
    expect(await opened).toBe(true);
    expect(await closed).toBe(CloseCode.SERVICE_RESTART);
    expect(Buffer.concat(writes[0]!).toString("latin1")).toMatch(/^HTTP\/1\.1 101 /);
    finishJoin();
    await read;
    await closing;
  });
});

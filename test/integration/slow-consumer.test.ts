/**
 * A client that stops reading while the server broadcasts large frames is cut off once its
 * queue passes `maxBufferedBytes`; the bytes the server holds for it stay bounded, and a
 * bystander that reads keeps receiving.
 */
import { once } from "node:events";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as api from "../../src/notifications/server";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { sessionCookie } from "../helpers/sessions";

let server: TestGateway | undefined;
const cleanup: (() => void)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0)) step();
  await server?.close();
  server = undefined;
});

const MAX_BUFFERED = 256 * 1024;
const FRAME_TEXT_BYTES = 64 * 1024;
/** Far more than any loopback TCP buffering: if the cut never comes, the test fails instead of looping. */
const MAX_FRAMES = 4_000;

/** A large message frame, as `sendToAll` would publish it (built directly: message text is capped at 10,000 chars). */
function bigFrame(index: number): string {
  return JSON.stringify({ type: "message", text: `${index}:${"x".repeat(FRAME_TEXT_BYTES)}`, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
}

/** A reading client that only counts frames (it must not hoard hundreds of large strings). */
async function countingClient(url: string, userId: string): Promise<{ ws: WebSocket; count: () => number; until: (count: number) => Promise<void>; texts: string[] }> {
  const ws = new WebSocket(url, { headers: { cookie: await sessionCookie(userId) } });
  let count = 0;
  const texts: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  ws.on("message", (data) => {
    const text = data.toString();
    if (text.length < 1_000) texts.push(text);
    if (!text.startsWith('{"type":"message"')) return;
    count += 1;
    for (const waiter of waiters.filter((w) => count >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  await once(ws, "message"); // hello
  cleanup.push(() => ws.terminate());
  return {
    ws,
    texts,
    count: () => count,
    until: (target) => (count >= target ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count: target, resolve }))),
  };
}

describe("slow consumers", () => {
  it("a client that stops reading is cut off, the server's queue for it stays bounded, and a bystander keeps receiving", async () => {
    const warnings: string[] = [];
    server = await startTestGateway({ maxBufferedBytes: MAX_BUFFERED }, { logger: { warn: (message: string) => void warnings.push(message), error: () => undefined } });
    // Capture the server side of the slow client's TCP connection to watch what the gateway queues for it.
    let slowServerSide: Socket | undefined;
    server.server.on("upgrade", (req, socket: Socket) => {
      if (req.url?.includes("who=slow")) slowServerSide = socket;
    });

    const bystander = await countingClient(server.url, "bob");
    const slow = await TestClient.connect(server.url, { userId: "mallory", query: "who=slow" });
    cleanup.push(() => slow.ws.terminate());
    expect(slowServerSide).toBeDefined();
    const serverSide = slowServerSide!;
    const serverSideClosed = once(serverSide, "close");
    let cut = false;
    void serverSideClosed.then(() => (cut = true));

    // Stop reading: the kernel buffers fill, then the gateway's own queue grows.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();

    let sent = 0;
    let peakQueued = 0;
    while (!cut && sent < MAX_FRAMES) {
      await server.runtime.layer.publish("all", bigFrame(sent));
      sent += 1;
      peakQueued = Math.max(peakQueued, serverSide.writableLength);
      // Pace by the reading bystander: it never falls behind, so only the slow client's queue grows.
      await bystander.until(sent);
      if (serverSide.destroyed || serverSide.writableEnded) cut = true;
    }

    expect(cut, `still connected after ${sent} frames of ${FRAME_TEXT_BYTES} bytes`).toBe(true);
    await serverSideClosed;
    // The gateway refuses a frame that would pass the limit: what it queued in user space never
    // exceeds the limit plus framing overhead (and the close frame it may add)…
    expect(peakQueued).toBeLessThanOrEqual(MAX_BUFFERED + 1_024);
    // …and what it wrote in all — kernel send buffer included, which `writableLength` does not
    // see — stays within twice the limit (the unread count: the client never answered a ping).
    const frameBytes = FRAME_TEXT_BYTES + 200;
    expect(serverSide.bytesWritten).toBeLessThanOrEqual(2 * MAX_BUFFERED + frameBytes + 1_024);
    // The cut came from the limit, not from something else.
    expect(serverSide.bytesWritten).toBeGreaterThan(MAX_BUFFERED);
    expect(warnings.some((message) => message.includes("slow client"))).toBe(true);
    expect(server.gateway.groupSize("user:mallory")).toBe(0);
    expect(server.gateway.groupSize("all")).toBe(1);
    expect(server.gateway.connectionCount()).toBe(1);

    // The slow client learns it was cut once it reads again: 4008, or terminated (1006) when the
    // close frame could not get through its full buffers.
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    expect([CloseCode.SLOW_CONSUMER, 1006]).toContain((await slow.closed).code);

    // Frames published after the cut go to the bystander only, and it is still served.
    await api.sendToAll("after the cut");
    await bystander.until(sent + 1);
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("a client within the limit is not cut off, even when it reads slowly", async () => {
    server = await startTestGateway({ maxBufferedBytes: MAX_BUFFERED });
    const reader = await countingClient(server.url, "alice");
    const socket = (reader.ws as unknown as { _socket: Socket })._socket;
    // Paused while a burst that fits the limit (plus the kernel's buffers) is sent, then resumed.
    socket.pause();
    const burst = Math.floor(MAX_BUFFERED / (FRAME_TEXT_BYTES + 200));
    for (let index = 0; index < burst; index += 1) await server.runtime.layer.publish("all", bigFrame(index));
    socket.resume();
    await reader.until(burst);
    await api.sendToAll("still here");
    await reader.until(burst + 1);
    expect(reader.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.gateway.connectionCount()).toBe(1);
  });
});

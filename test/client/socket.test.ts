import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createNotificationSocket } from "../../src/notifications/client/socket";
import type { NotificationSocket, NotificationSocketOptions } from "../../src/notifications/client/socket";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import { MAX_ACK_BATCH } from "../../src/notifications/shared/protocol";
import { CountingTarget, NodeWebSocket, Recorder, pageShow, startServer } from "./helpers";
import type { TestServer } from "./helpers";

const message = (fields: Record<string, unknown> = {}) => ({
  type: "message",
  text: "hello",
  cssClass: "info",
  clickURL: null,
  closeURL: null,
  hideCloseOption: false,
  ...fields,
});
const progress = (percent: string) => ({ type: "progress", progress: true, percent, channel: "jobs-1" });

let server: TestServer;
let socket: NotificationSocket | undefined;
let recorder: Recorder;

beforeEach(async () => {
  server = await startServer();
  recorder = new Recorder();
});

afterEach(async () => {
  socket?.dispose();
  socket = undefined;
  await server.close();
});

function create(overrides: Partial<NotificationSocketOptions> = {}): NotificationSocket {
  socket = createNotificationSocket({
    url: server.url,
    WebSocket: NodeWebSocket,
    backoff: { initialMs: 10, jitter: 0 },
    lifecycle: false,
    onFrame: recorder.onFrame,
    onStateChange: recorder.onStateChange,
    onChannelsChange: recorder.onChannelsChange,
    ...overrides,
  });
  return socket;
}

async function openSocket(overrides: Partial<NotificationSocketOptions> = {}) {
  const controller = create(overrides);
  controller.connect();
  await recorder.next("open");
  return { controller, connection: await server.connection(server.connections.length - 1) };
}

describe("receiving and acknowledging", () => {
  it("delivers messages and redirects; acks only the ids that ask for it, several per frame, 0 included", async () => {
    const { connection } = await openSocket();
    connection.send(message({ id: 0, ack: true, text: "zero" }));
    connection.send({ type: "redirect", id: 5, ack: true, url: "/reports/5" });
    connection.send(message({ id: 6, text: "a broadcast: recovered by position, never acked" }));
    await recorder.frameCount(3);
    await connection.receivedCount(1);

    expect(recorder.frames[0]).toMatchObject({ type: "message", id: 0, text: "zero" });
    expect(recorder.frames[1]).toMatchObject({ type: "redirect", id: 5 });
    expect(recorder.frames[2]).toMatchObject({ type: "message", id: 6 });
    // A round trip after the batch: had id 6 (or anything else) been acked, it would come first.
    connection.send(message({ id: 7, ack: true }));
    await connection.receivedCount(2);
    expect(connection.received).toEqual([
      { type: "ack", ids: [0, 5] },
      { type: "ack", ids: [7] },
    ]);
  });

  it("does not ack frames without an id, even when they say ack", async () => {
    const { connection } = await openSocket();
    connection.send(message({ text: "no id", ack: true }));
    connection.send(progress("10%"));
    connection.send(message({ id: 7, ack: true }));
    await recorder.frameCount(3);
    await connection.receivedCount(1);
    expect(connection.received).toEqual([{ type: "ack", ids: [7] }]);
  });

  it("a replay of 150 inbox rows is acked in two frames of at most MAX_ACK_BATCH ids, each id once", async () => {
    const { connection } = await openSocket({ ackDelayMs: 60_000 });
    for (let id = 1; id <= 150; id += 1) connection.send(message({ id, ack: true }));
    await recorder.frameCount(150);
    // The first 100 leave at once (a full batch); the other 50 would wait a minute, so flush them
    // by reaching a full batch again.
    for (let id = 151; id <= 200; id += 1) connection.send(message({ id, ack: true }));
    await connection.receivedCount(2);
    const batches = connection.received as { type: string; ids: number[] }[];
    expect(batches.map((batch) => [batch.type, batch.ids.length])).toEqual([
      ["ack", MAX_ACK_BATCH],
      ["ack", MAX_ACK_BATCH],
    ]);
    expect(batches.flatMap((batch) => batch.ids)).toEqual(Array.from({ length: 200 }, (_, index) => index + 1));
  });

  it("ignores binary, malformed and unknown frames and keeps receiving", async () => {
    const { connection, controller } = await openSocket();
    connection.send(Buffer.from(JSON.stringify(message({ id: 1, ack: true }))));
    connection.send("not json {");
    connection.send('{"type":"nope","text":"x"}');
    connection.send('{"type":"message","text":"missing fields"}');
    connection.send("[1,2,3]");
    connection.send("null");
    connection.send(progress("42%"));
    await recorder.frameCount(1);

    expect(recorder.frames).toEqual([progress("42%")]);
    expect(controller.getState()).toEqual({ status: "open" });
    // The binary copy of id 1 was not acked, and not remembered: a text copy is still delivered.
    connection.send(message({ id: 1, ack: true }));
    await recorder.frameCount(2);
    await connection.receivedCount(1);
    expect(connection.received).toEqual([{ type: "ack", ids: [1] }]);
  });

  it("delivers a frame with a given id once but acks every copy that asks; frames without id are never deduped", async () => {
    const { connection } = await openSocket();
    connection.send(message({ id: 3, ack: true, text: "first" }));
    connection.send(message({ id: 3, ack: true, text: "replayed copy" }));
    connection.send(message({ text: "same text" }));
    connection.send(message({ text: "same text" }));
    connection.send(message({ id: 4, ack: true }));
    await recorder.frameCount(4);
    await connection.receivedCount(1);
    // A copy arriving after the first batch left is acked again: the first ack may have been lost.
    connection.send(message({ id: 3, ack: true, text: "late copy" }));
    await connection.receivedCount(2);

    expect(recorder.frames.map((f) => ("text" in f ? f.text : f.type))).toEqual(["first", "same text", "same text", "hello"]);
    expect(connection.received).toEqual([
      { type: "ack", ids: [3, 4] },
      { type: "ack", ids: [3] },
    ]);
  });

  it("an ack not yet sent when the socket closes is dropped; the replayed copy is acked on the next socket", async () => {
    const { connection, controller } = await openSocket({ ackDelayMs: 300 });
    connection.send(message({ id: 9, ack: true, text: "live" }));
    await recorder.frameCount(1);
    const from = recorder.states.length;
    connection.ws.close(CloseCode.SERVICE_RESTART);
    await recorder.state((s) => s.status === "open", from);
    const second = await server.connection(1);
    second.send(message({ id: 9, ack: true, text: "replayed" }));
    second.send(message({ id: 10, ack: true, text: "new" }));
    await recorder.frameCount(2);
    await second.receivedCount(1);

    expect(recorder.frames.map((f) => (f.type === "message" ? f.text : f.type))).toEqual(["live", "new"]);
    expect(connection.received).toEqual([]);
    expect(second.received).toEqual([{ type: "ack", ids: [9, 10] }]);
    expect(controller.getLastSeenId()).toBe(10);
  });

  it("tracks granted channels from hello and subscribed, and forgets them on close", async () => {
    const { connection, controller } = await openSocket();
    connection.send({ type: "hello", protocol: 1, userId: "7", channels: ["articles-1"], heartbeatMs: 30000 });
    await recorder.frameCount(1);
    expect(controller.getChannels()).toEqual(["articles-1"]);
    connection.send({ type: "subscribed", channels: ["articles-1", "jobs-2"], granted: ["jobs-2"] });
    await recorder.frameCount(2);
    expect(controller.getChannels()).toEqual(["articles-1", "jobs-2"]);
    controller.close();
    expect(controller.getChannels()).toEqual([]);
    expect(recorder.channels).toEqual([["articles-1"], ["articles-1", "jobs-2"], []]);
  });

  it("keeps the connection when a frame handler throws", async () => {
    let calls = 0;
    const { connection, controller } = await openSocket({
      onFrame: (frame) => {
        calls += 1;
        recorder.onFrame(frame);
        if (calls === 1) throw new Error("consumer bug");
      },
    });
    const originalError = console.error;
    console.error = () => {};
    try {
      connection.send(message({ id: 1 }));
      connection.send(message({ id: 2 }));
      await recorder.frameCount(2);
    } finally {
      console.error = originalError;
    }
    expect(controller.getState().status).toBe("open");
  });
});

describe("sending", () => {
  it("sends only while open and refuses invalid frames", async () => {
    const controller = create();
    expect(controller.send({ type: "ack_message", id: 1 })).toBe(false);
    controller.connect();
    expect(controller.send({ type: "ack_message", id: 1 })).toBe(false); // still connecting
    await recorder.next("open");
    const connection = await server.connection(0);
    expect(controller.send({ type: "ack_message", id: -1 })).toBe(false);
    expect(controller.send({ type: "ack_message", id: 2 })).toBe(true);
    await connection.receivedCount(1);
    expect(connection.received).toEqual([{ type: "ack_message", id: 2 }]);
    controller.close();
    expect(controller.send({ type: "ack_message", id: 3 })).toBe(false);
  });
});

describe("reconnecting", () => {
  it("backs off 1×, 2×, 4× while the server refuses, and a successful open resets it", async () => {
    server.refuse = true;
    const controller = create({ backoff: { initialMs: 20, factor: 2, jitter: 0 } });
    controller.connect();
    await recorder.state((s) => s.status === "reconnecting" && s.attempt === 3);
    const reconnects = () => recorder.states.filter((s) => s.status === "reconnecting");
    expect(reconnects()).toEqual([
      { status: "reconnecting", attempt: 1, delayMs: 20 },
      { status: "reconnecting", attempt: 2, delayMs: 40 },
      { status: "reconnecting", attempt: 3, delayMs: 80 },
    ]);
    // Each retry is announced as reconnecting, then connecting.
    expect(recorder.states.slice(0, 4).map((s) => s.status)).toEqual(["connecting", "reconnecting", "connecting", "reconnecting"]);

    server.refuse = false;
    await recorder.next("open");
    const connection = await server.connection(0);
    const before = recorder.states.length;
    connection.ws.close(4000, "go away");
    await recorder.state((s) => s.status === "open", before);
    expect(recorder.states[before]).toEqual({ status: "reconnecting", attempt: 1, delayMs: 20 });
    expect(server.openCount()).toBe(1);
  });

  it("caps delays at maxMs", async () => {
    server.refuse = true;
    const controller = create({ backoff: { initialMs: 10, maxMs: 25, factor: 3, jitter: 0 } });
    controller.connect();
    await recorder.state((s) => s.status === "reconnecting" && s.attempt === 3);
    expect(recorder.states.filter((s) => s.status === "reconnecting").map((s) => (s.status === "reconnecting" ? s.delayMs : 0))).toEqual([10, 25, 25]);
  });

  it("goes to failed after maxAttempts and stops retrying", async () => {
    server.refuse = true;
    const controller = create({ backoff: { initialMs: 5, jitter: 0, maxAttempts: 2 } });
    controller.connect();
    await recorder.next("failed");
    expect(recorder.states.map((s) => s.status)).toEqual([
      "connecting",
      "reconnecting",
      "connecting",
      "reconnecting",
      "connecting",
      "failed",
    ]);
    expect(server.upgrades).toBe(3); // the first try plus two retries
    expect(controller.getState()).toEqual({ status: "failed" });
    // connect() is the way out of failed, with a fresh attempt budget.
    server.refuse = false;
    controller.connect();
    await recorder.next("open");
  });

  it("stays closed when reconnecting is disabled", async () => {
    const { connection } = await openSocket({ backoff: { enabled: false } });
    connection.ws.close(4000, "bye");
    await recorder.next("closed");
    expect(recorder.states.at(-1)).toEqual({ status: "closed", code: 4000, reason: "bye", intentional: false });
  });

  it.each([
    ["SERVICE_RESTART", CloseCode.SERVICE_RESTART],
    ["SESSION_ENDED", CloseCode.SESSION_ENDED],
    ["POLICY_VIOLATION", CloseCode.POLICY_VIOLATION],
  ])("reconnects after the server closes with %s, starting from the first delay", async (_name, code) => {
    const { connection } = await openSocket({ backoff: { initialMs: 15, jitter: 0 } });
    const before = recorder.states.length;
    connection.ws.close(code);
    await recorder.state((s) => s.status === "open", before);
    expect(recorder.states[before]).toEqual({ status: "reconnecting", attempt: 1, delayMs: 15 });
    expect(server.connections).toHaveLength(2);
    expect(server.openCount()).toBe(1);
  });

  it("a new handshake rebuilds the URL from the url function", async () => {
    let n = 0;
    const { connection } = await openSocket({ url: () => `${server.url}?n=${++n}` });
    connection.ws.close(CloseCode.SESSION_ENDED);
    const second = await server.connection(1);
    expect([connection.url, second.url]).toEqual(["/ws/notifications?n=1", "/ws/notifications?n=2"]);
  });
});

describe("one socket per controller", () => {
  it("re-entrant connect() while connecting keeps exactly one server-side connection", async () => {
    const controller = create();
    controller.connect();
    controller.connect();
    controller.connect();
    await recorder.next("open");
    await server.until(() => server.openCount() === 1 && server.connections.every((c, i, all) => c.closeCode !== null || i === all.length - 1), "one open connection");
    expect(server.openCount()).toBe(1);

    // Frames reach the controller once: no detached socket leaks events.
    server.connections.at(-1)!.send(progress("5%"));
    await recorder.frameCount(1);
    expect(recorder.frames).toHaveLength(1);
    expect(recorder.states.filter((s) => s.status === "open")).toHaveLength(1);
  });

  it("re-entrant connect() while open replaces the old socket", async () => {
    const { controller, connection: first } = await openSocket();
    const from = recorder.states.length;
    controller.connect();
    expect(await first.closed()).toBe(CloseCode.NORMAL);
    await recorder.state((s) => s.status === "open", from);
    const second = await server.connection(1);
    expect(server.openCount()).toBe(1);
    // The old socket's close was not mistaken for a drop.
    expect(recorder.states.some((s) => s.status === "reconnecting")).toBe(false);
    second.send(progress("1%"));
    await recorder.frameCount(1);
  });

  it("close() is intentional: the server sees 1000 and no reconnect is scheduled", async () => {
    const { controller, connection } = await openSocket({ backoff: { initialMs: 1, jitter: 0 } });
    controller.close();
    expect(controller.getState()).toEqual({ status: "closed", code: 1000, intentional: true });
    expect(await connection.closed()).toBe(1000);
    // With a 1 ms backoff a reconnect would have been made within this window.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.connections).toHaveLength(1);
    expect(recorder.states.map((s) => s.status)).toEqual(["connecting", "open", "closed"]);
  });

  it("close() during a backoff wait cancels the pending retry", async () => {
    server.refuse = true;
    const controller = create({ backoff: { initialMs: 50, jitter: 0 } });
    controller.connect();
    await recorder.next("reconnecting");
    controller.close();
    const upgrades = server.upgrades;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.upgrades).toBe(upgrades);
    expect(controller.getState()).toMatchObject({ status: "closed", intentional: true });
  });

  it("dispose() makes later connect() calls do nothing", async () => {
    const { controller, connection } = await openSocket();
    controller.dispose();
    await connection.closed();
    controller.connect();
    expect(controller.getState()).toMatchObject({ status: "closed", intentional: true });
    expect(server.connections).toHaveLength(1);
  });

  it("fails instead of spinning when the URL cannot be built", async () => {
    const originalError = console.error;
    console.error = () => {};
    try {
      const controller = create({
        url: () => {
          throw new Error("no location");
        },
      });
      controller.connect();
      expect(controller.getState()).toEqual({ status: "failed" });
    } finally {
      console.error = originalError;
    }
  });
});

describe("live subscriptions", () => {
  it("sends subscribe frames after open and re-sends the current set after every reconnect", async () => {
    const controller = create();
    controller.subscribe({ channels: ["articles-42", "jobs-1"] });
    controller.subscribe({ token: "signed.token" });
    controller.connect();
    await recorder.next("open");
    const first = await server.connection(0);
    await first.receivedCount(2);
    expect(first.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["articles-42", "jobs-1"] },
      { type: "subscribe", ref: "s2", token: "signed.token" },
    ]);

    controller.unsubscribe(["jobs-1"]);
    await first.receivedCount(3);
    expect(first.received[2]).toEqual({ type: "unsubscribe", channels: ["jobs-1"] });

    first.ws.close(CloseCode.SERVICE_RESTART);
    await recorder.next("open");
    const second = await server.connection(1);
    await second.receivedCount(2);
    expect(second.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["articles-42"] },
      { type: "subscribe", ref: "s2", token: "signed.token" },
    ]);
  });

  it("subscribes at once while open; releasing sends the request's ref (the server keeps what others hold)", async () => {
    const { controller, connection } = await openSocket();
    const releaseA = controller.subscribe({ channels: ["shared", "only-a"] });
    controller.subscribe({ channels: ["shared"] });
    await connection.receivedCount(2);
    releaseA();
    releaseA(); // idempotent
    await connection.receivedCount(3);
    expect(connection.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["shared", "only-a"] },
      { type: "subscribe", ref: "s2", channels: ["shared"] },
      { type: "unsubscribe", ref: "s1" },
    ]);
  });

  it("releases a token request by its ref, before or after its answer", async () => {
    const { controller, connection } = await openSocket();
    const release = controller.subscribe({ token: "tok" });
    const releaseEarly = controller.subscribe({ token: "tok2" });
    await connection.receivedCount(2);
    releaseEarly(); // not answered yet: nothing to wait for
    connection.send({ type: "subscribed", ref: "s1", channels: ["job-7"], granted: ["job-7"] });
    await recorder.frameCount(1);
    release();
    await connection.receivedCount(4);
    expect(connection.received.slice(2)).toEqual([
      { type: "unsubscribe", ref: "s2" },
      { type: "unsubscribe", ref: "s1" },
    ]);
  });

  it("drops invalid channel names before sending", async () => {
    const originalWarn = console.warn;
    console.warn = () => {};
    try {
      const { controller, connection } = await openSocket();
      controller.subscribe({ channels: ["user:1", "all", "ok-1", ""] });
      await connection.receivedCount(1);
      expect(connection.received).toEqual([{ type: "subscribe", ref: "s1", channels: ["ok-1"] }]);
    } finally {
      console.warn = originalWarn;
    }
  });
});

describe("page lifecycle", () => {
  it("pagehide closes the socket; a bfcache pageshow reconnects; a normal pageshow does not", async () => {
    const target = new EventTarget();
    const { connection, controller } = await openSocket({ lifecycle: { target } });
    controller.subscribe({ channels: ["articles-1"] });
    target.dispatchEvent(new Event("pagehide"));
    expect(controller.getState()).toEqual({ status: "closed", code: 1000, reason: "pagehide", intentional: false });
    expect(await connection.closed()).toBe(1000);

    target.dispatchEvent(pageShow(false));
    expect(controller.getState().status).toBe("closed");

    target.dispatchEvent(pageShow(true));
    expect(controller.getState().status).toBe("connecting");
    await recorder.next("open");
    const restored = await server.connection(1);
    await restored.receivedCount(1);
    expect(restored.received).toEqual([{ type: "subscribe", ref: "s1", channels: ["articles-1"] }]);
  });

  it("pagehide during a backoff wait cancels the retry, pageshow(persisted) resumes", async () => {
    server.refuse = true;
    const target = new EventTarget();
    const controller = create({ lifecycle: { target }, backoff: { initialMs: 60_000, jitter: 0 } });
    controller.connect();
    await recorder.next("reconnecting");
    target.dispatchEvent(new Event("pagehide"));
    expect(controller.getState()).toMatchObject({ status: "closed", intentional: false });
    server.refuse = false;
    target.dispatchEvent(pageShow(true));
    await recorder.next("open");
  });

  it("an online event while reconnecting retries at once", async () => {
    server.refuse = true;
    const target = new EventTarget();
    const controller = create({ lifecycle: { target }, backoff: { initialMs: 60_000, jitter: 0 } });
    controller.connect();
    await recorder.next("reconnecting");
    expect(controller.getState()).toEqual({ status: "reconnecting", attempt: 1, delayMs: 60_000 });
    server.refuse = false;
    target.dispatchEvent(new Event("online"));
    // A 60 s timer could not have fired within the test timeout; only the online event explains it.
    await recorder.next("open", 3_000);
  });

  it("online while open does nothing", async () => {
    const target = new EventTarget();
    const { controller } = await openSocket({ lifecycle: { target } });
    target.dispatchEvent(new Event("online"));
    expect(controller.getState()).toEqual({ status: "open" });
    expect(server.connections).toHaveLength(1);
  });

  it("removes its listeners on close and dispose", async () => {
    const target = new CountingTarget();
    const { controller } = await openSocket({ lifecycle: { target } });
    expect(target.listeners).toBe(3);
    controller.connect(); // re-entrant connect does not add a second set
    expect(target.listeners).toBe(3);
    controller.close();
    expect(target.listeners).toBe(0);
    controller.connect();
    expect(target.listeners).toBe(3);
    controller.dispose();
    expect(target.listeners).toBe(0);
    target.dispatchEvent(pageShow(true));
    expect(controller.getState()).toMatchObject({ status: "closed", intentional: true });
  });
});

describe("dead-connection watchdog", () => {
  it("a socket that goes silent after the server's pings is presumed dead and replaced", async () => {
    const { controller, connection } = await openSocket();
    // The server announces 40 ms heartbeats, pings once, then says nothing more while keeping
    // the TCP connection open — what a tab sees after a laptop slept through a network change.
    connection.send({ type: "hello", protocol: 1, userId: "u1", channels: [], heartbeatMs: 40 });
    connection.send({ type: "ping" });
    const reconnecting = await recorder.state((state) => state.status === "reconnecting");
    expect(await connection.closed()).toBe(CloseCode.HEARTBEAT_TIMEOUT);
    await server.connection(1);
    await recorder.state((state) => state.status === "open", reconnecting);
    expect(controller.getState()).toEqual({ status: "open" });
    expect(recorder.frames.map((frame) => frame.type)).toEqual(["hello"]); // pings never reach consumers
  });

  it("a socket that keeps hearing pings stays", async () => {
    const { connection } = await openSocket();
    connection.send({ type: "hello", protocol: 1, userId: "u1", channels: [], heartbeatMs: 40 });
    // Ten beats' worth of pings, each within the limit: the socket must survive all of them.
    for (let beat = 0; beat < 10; beat++) {
      connection.send({ type: "ping" });
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    expect(server.connections).toHaveLength(1);
    expect(recorder.states.map((state) => state.status)).toEqual(["connecting", "open"]);
  });

  it("a server that sends no pings is never mistaken for a dead one", async () => {
    const { connection } = await openSocket();
    connection.send({ type: "hello", protocol: 1, userId: "u1", channels: [], heartbeatMs: 20 });
    await recorder.frameCount(1);
    // Far past 2.5 beats of silence; without a first ping the watchdog is not armed.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.connections).toHaveLength(1);
    expect(recorder.states.map((state) => state.status)).toEqual(["connecting", "open"]);
  });
});

/**
 * The browser socket's half of "nothing lost, nothing shown twice", against a real `ws` server
 * scripted by the test (it speaks the protocol frame by frame, so refusals, out-of-order ids and
 * hung handshakes can be produced on demand): the position reported on reconnect and subscribe,
 * token refresh, retries of an unavailable channel layer, progress versions, the open timeout.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createNotificationSocket } from "../../src/notifications/client/socket";
import type { NotificationSocket, NotificationSocketOptions } from "../../src/notifications/client/socket";
import type { SubscriptionState } from "../../src/notifications/client/subscription-state";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import { NodeWebSocket, pollUntil, Recorder, startServer } from "./helpers";
import type { ServerConnection, TestServer } from "./helpers";

const message = (id: number, fields: Record<string, unknown> = {}) => ({
  type: "message",
  id,
  text: `m${id}`,
  cssClass: "info",
  clickURL: null,
  closeURL: null,
  hideCloseOption: false,
  ...fields,
});

/** A token as the server issues it; the browser only reads its payload, so the signature is a stand-in. */
function token(channels: string[], expiresInSeconds: number, tag = "sig"): string {
  const payload = { v: 1, u: "u1", c: channels, exp: Math.floor(Date.now() / 1000) + expiresInSeconds };
  return `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${tag}`;
}

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

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

/** Closes the server side and waits for the client's next open socket. */
async function reconnect(connection: ServerConnection): Promise<ServerConnection> {
  const from = recorder.states.length;
  const count = server.connections.length;
  connection.ws.close(CloseCode.SERVICE_RESTART);
  await recorder.state((state) => state.status === "open", from);
  return server.connection(count);
}

const texts = () => recorder.frames.flatMap((frame) => (frame.type === "message" ? [frame.text] : []));

type Handle = { getState(): SubscriptionState; onStateChange(listener: (state: SubscriptionState) => void): () => void };

/** Resolves when the handle reaches `status` (at once if it is there already). */
function reaches(handle: Handle, status: SubscriptionState["status"]): Promise<void> {
  if (handle.getState().status === status) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`timed out waiting for ${status}, at ${JSON.stringify(handle.getState())}`)), 5_000);
    const stop = handle.onStateChange((state) => {
      if (state.status !== status) return;
      clearTimeout(timeout);
      stop();
      resolve();
    });
  });
}

/** Records every state a handle goes through. */
function follow(handle: Handle) {
  const seen: SubscriptionState[] = [handle.getState()];
  handle.onStateChange((state) => seen.push(state));
  return seen;
}

describe("the position reported on reconnect", () => {
  it("counts an id only once it has settled; an unsettled one is re-sent by the server and shown once", async () => {
    const { controller, connection } = await openSocket({ settleMs: 150 });
    connection.send(message(5));
    await recorder.frameCount(1);
    expect(controller.getLastSeenId()).toBe(5);
    expect(controller.getPosition()).toBeNull(); // received, not settled

    const second = await reconnect(connection);
    expect(second.url).toBe("/ws/notifications"); // 5 was not reported…
    second.send(message(5)); // …so the server sends it again: a duplicate, dropped
    second.send(message(6));
    await recorder.until(() => texts().includes("m6"), "m6");
    expect(texts()).toEqual(["m5", "m6"]);

    await pollUntil(() => controller.getPosition() === 6, "6 settled on the open socket");
    const third = await reconnect(second);
    expect(third.url).toBe("/ws/notifications?lastId=6");
  });

  it("two processes publishing out of order: a close right after 100 resumes from the settled 98, and 99 arrives", async () => {
    const { controller, connection } = await openSocket({ settleMs: 200, lastId: 90 });
    expect(connection.url).toBe("/ws/notifications?lastId=90");
    connection.send(message(98));
    await pollUntil(() => controller.getPosition() === 98, "98 settled");
    connection.send(message(100)); // process A; process B's 99 is still on its way when the tab drops
    await recorder.until(() => texts().includes("m100"), "m100");

    const second = await reconnect(connection);
    expect(second.url).toBe("/ws/notifications?lastId=98");
    second.send(message(99));
    second.send(message(100));
    await recorder.until(() => texts().includes("m99"), "m99");
    second.send(message(101));
    await recorder.until(() => texts().includes("m101"), "m101");
    expect(texts()).toEqual(["m98", "m100", "m99", "m101"]);
  });

  it("a watermark below the settled position is ignored; a higher one raises it at once", async () => {
    const { controller, connection } = await openSocket({ settleMs: 60_000, lastId: 40 });
    connection.send(message(45));
    await recorder.frameCount(1);
    controller.noteLastId(30);
    expect(controller.getPosition()).toBe(40);
    controller.noteLastId(50); // a page rendered later, while open: everything up to 50 already arrived
    expect(controller.getPosition()).toBe(50);
    const second = await reconnect(connection);
    expect(second.url).toBe("/ws/notifications?lastId=50");
  });
});

describe("the position reported with subscribe", () => {
  it("re-sent subscriptions carry the connection's resume position; a fresh one the settled position or its since", async () => {
    const controller = create({ settleMs: 60_000, lastId: 42 });
    controller.subscribe({ channels: ["articles-1"] });
    controller.subscribe({ channels: ["articles-2"], since: 12 });
    controller.connect();
    await recorder.next("open");
    const first = await server.connection(0);
    await first.receivedCount(2);
    expect(first.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["articles-1"], lastId: 42 },
      { type: "subscribe", ref: "s2", channels: ["articles-2"], lastId: 12 },
    ]);
    first.send({ type: "subscribed", ref: "s1", channels: ["articles-1"], granted: ["articles-1"] });
    first.send({ type: "subscribed", ref: "s2", channels: ["articles-1", "articles-2"], granted: ["articles-2"] });
    first.send(message(57)); // received, not settled (60 s)
    await recorder.until(() => texts().includes("m57"), "m57");

    controller.subscribe({ channels: ["articles-3"] });
    controller.subscribe({ channels: ["articles-4"], since: 55 });
    await first.receivedCount(4);
    expect(first.received.slice(2)).toEqual([
      { type: "subscribe", ref: "s3", channels: ["articles-3"], lastId: 42 },
      { type: "subscribe", ref: "s4", channels: ["articles-4"], lastId: 55 },
    ]);

    // s3 and s4 were never answered: their own replay may be incomplete, so they keep their positions.
    const second = await reconnect(first);
    expect(second.url).toBe("/ws/notifications?lastId=42");
    await second.receivedCount(4);
    expect(second.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["articles-1"], lastId: 42 },
      { type: "subscribe", ref: "s2", channels: ["articles-2"], lastId: 42 },
      { type: "subscribe", ref: "s3", channels: ["articles-3"], lastId: 42 },
      { type: "subscribe", ref: "s4", channels: ["articles-4"], lastId: 55 },
    ]);
  });

  it("a subscription sent late on a new socket (waiting for a fresh token) still reports the resume position, not one raised meanwhile", async () => {
    const fresh = deferred<string>();
    const controller = create({ settleMs: 0 });
    controller.subscribe({ channels: ["articles-1"] });
    controller.subscribe({ token: token(["jobs-1"], -10), getToken: () => fresh.promise });
    controller.connect();
    await recorder.next("open");
    const first = await server.connection(0);
    first.send(message(8));
    await pollUntil(() => controller.getPosition() === 8, "8 settled (settleMs 0)");

    const second = await reconnect(first);
    expect(second.url).toBe("/ws/notifications?lastId=8");
    await second.receivedCount(1);
    second.send(message(20)); // a broadcast lands before the token page's subscribe
    await pollUntil(() => controller.getPosition() === 20, "20 settled");
    const refreshed = token(["jobs-1"], 300, "fresh");
    fresh.resolve(refreshed);
    await second.receivedCount(2);
    expect(second.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["articles-1"], lastId: 8 },
      { type: "subscribe", ref: "s3", token: refreshed, lastId: 8 },
    ]);
  });
});

describe("refreshable tokens", () => {
  it("refused as expired → getToken → the new request is subscribed first, then the old one released", async () => {
    const fresh = deferred<string>();
    let calls = 0;
    const { controller, connection } = await openSocket({ lastId: 30, settleMs: 60_000 });
    const old = token(["jobs-1"], 300, "old");
    const handle = controller.subscribe({ channels: ["articles-1"], token: old, getToken: () => ((calls += 1), fresh.promise) });
    const states = follow(handle);
    await connection.receivedCount(1);
    expect(connection.received[0]).toEqual({ type: "subscribe", ref: "s1", channels: ["articles-1"], token: old, lastId: 30 });

    connection.send({ type: "subscribed", ref: "s1", channels: ["articles-1"], granted: ["articles-1"], refused: [{ reason: "expired" }] });
    await pollUntil(() => calls === 1, "getToken called");
    const refreshed = token(["jobs-1"], 300, "new");
    fresh.resolve(refreshed);
    await connection.receivedCount(3);
    expect(connection.received.slice(1)).toEqual([
      { type: "subscribe", ref: "s2", channels: ["articles-1"], token: refreshed, lastId: 30 },
      { type: "unsubscribe", ref: "s1" },
    ]);
    connection.send({ type: "subscribed", ref: "s2", channels: ["articles-1", "jobs-1"], granted: ["articles-1", "jobs-1"] });
    await reaches(handle, "subscribed");
    expect(handle.getState()).toEqual({ status: "subscribed", granted: ["articles-1", "jobs-1"], refused: [] });
    expect(states.map((state) => state.status)).toEqual(["subscribing", "subscribed"]);
    expect(calls).toBe(1);
  });

  it("a fresh token refused again ends in refused/expired: one refresh per refusal", async () => {
    let calls = 0;
    const { controller, connection } = await openSocket();
    const handle = controller.subscribe({ token: token(["jobs-1"], 300, "a"), getToken: async () => token(["jobs-1"], 300, `r${(calls += 1)}`) });
    await connection.receivedCount(1);
    connection.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "expired" }] });
    await connection.receivedCount(3); // s2, then the release of s1
    connection.send({ type: "subscribed", ref: "s2", channels: [], granted: [], refused: [{ reason: "expired" }] });
    await reaches(handle, "refused");
    expect(handle.getState()).toEqual({ status: "refused", reason: "expired", refused: [{ reason: "expired" }] });
    expect(calls).toBe(1);
    // A round trip: no third subscribe was sent.
    connection.send(message(1, { ack: true }));
    await connection.receivedCount(4);
    expect(connection.received[3]).toEqual({ type: "ack", ids: [1] });
  });

  it("a getToken that fails ends in refused/expired", async () => {
    const { controller, connection } = await openSocket();
    const warn = console.warn;
    console.warn = () => {};
    try {
      const handle = controller.subscribe({ token: token(["jobs-1"], 300), getToken: () => Promise.reject(new Error("signed out")) });
      await connection.receivedCount(1);
      connection.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "expired" }] });
      await reaches(handle, "refused");
      expect(handle.getState()).toMatchObject({ status: "refused", reason: "expired" });
    } finally {
      console.warn = warn;
    }
  });

  it("a refresh still pending when the socket drops, then failing, sends the old request on the new socket: its named channels survive", async () => {
    const pending = deferred<string>();
    const { controller, connection } = await openSocket({ lastId: 3, settleMs: 60_000 });
    const old = token(["jobs-1"], 300, "old");
    const handle = controller.subscribe({ channels: ["articles-1"], token: old, getToken: () => pending.promise });
    await connection.receivedCount(1);
    connection.send({ type: "subscribed", ref: "s1", channels: ["articles-1"], granted: ["articles-1"], refused: [{ reason: "expired" }] });
    await recorder.frameCount(1);
    const second = await reconnect(connection);
    const warn = console.warn;
    console.warn = () => {};
    try {
      pending.reject(new Error("offline"));
      await second.receivedCount(1);
    } finally {
      console.warn = warn;
    }
    expect(second.received).toEqual([{ type: "subscribe", ref: "s1", channels: ["articles-1"], token: old, lastId: 3 }]);
    second.send({ type: "subscribed", ref: "s1", channels: ["articles-1"], granted: ["articles-1"], refused: [{ reason: "expired" }] });
    await reaches(handle, "subscribed");
    expect(handle.getState()).toEqual({ status: "subscribed", granted: ["articles-1"], refused: [{ reason: "expired" }] });
  });

  it("without getToken an expired refusal is final at once; other reasons are reported as they come", async () => {
    const { controller, connection } = await openSocket();
    const expired = controller.subscribe({ token: token(["jobs-1"], 300) });
    const denied = controller.subscribe({ channels: ["articles-1", "articles-2"] });
    await connection.receivedCount(2);
    connection.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "expired" }] });
    connection.send({ type: "subscribed", ref: "s2", channels: ["articles-2"], granted: ["articles-2"], refused: [{ reason: "denied", channel: "articles-1" }] });
    await reaches(denied, "subscribed");
    expect(expired.getState()).toEqual({ status: "refused", reason: "expired", refused: [{ reason: "expired" }] });
    expect(denied.getState()).toEqual({ status: "subscribed", granted: ["articles-2"], refused: [{ reason: "denied", channel: "articles-1" }] });
  });

  it("before re-sending a token whose expiry passed, a reconnect asks getToken and sends only the fresh token", async () => {
    let calls = 0;
    const { controller, connection } = await openSocket();
    const stale = token(["jobs-1"], 1);
    const refreshed = token(["jobs-1"], 300, "fresh");
    controller.subscribe({ token: stale, getToken: async () => ((calls += 1), refreshed) });
    await connection.receivedCount(1);
    expect(connection.received[0]).toMatchObject({ token: stale });
    connection.send({ type: "subscribed", ref: "s1", channels: ["jobs-1"], granted: ["jobs-1"] });
    await pollUntil(() => Date.now() >= JSON.parse(Buffer.from(stale.split(".")[0]!, "base64url").toString()).exp * 1000, "the token expired");

    const second = await reconnect(connection);
    await second.receivedCount(1);
    expect(second.received).toEqual([{ type: "subscribe", ref: "s2", token: refreshed }]);
    expect(calls).toBe(1);
  });
});

describe("a channel layer that could not be joined", () => {
  it("unavailable → error with a retry delay → re-sent with the same ref and position → subscribed", async () => {
    const { controller, connection } = await openSocket({ lastId: 7, backoff: { initialMs: 30, jitter: 0 } });
    const handle = controller.subscribe({ channels: ["articles-1"] });
    const states = follow(handle);
    await connection.receivedCount(1);
    connection.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "unavailable", channel: "articles-1" }] });
    await reaches(handle, "error");
    expect(handle.getState()).toEqual({ status: "error", reason: "unavailable", retryInMs: 30 });
    await connection.receivedCount(2);
    expect(connection.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["articles-1"], lastId: 7 },
      { type: "subscribe", ref: "s1", channels: ["articles-1"], lastId: 7 },
    ]);
    connection.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "unavailable", channel: "articles-1" }] });
    await connection.receivedCount(3); // the second retry waits twice as long
    connection.send({ type: "subscribed", ref: "s1", channels: ["articles-1"], granted: ["articles-1"] });
    await reaches(handle, "subscribed");
    expect(states).toEqual([
      { status: "subscribing" },
      { status: "error", reason: "unavailable", retryInMs: 30 },
      { status: "subscribing" },
      { status: "error", reason: "unavailable", retryInMs: 60 },
      { status: "subscribing" },
      { status: "subscribed", granted: ["articles-1"], refused: [] },
    ]);
  });

  it("a release during the wait cancels the retry", async () => {
    const { controller, connection } = await openSocket({ backoff: { initialMs: 50, jitter: 0 } });
    const handle = controller.subscribe({ channels: ["articles-1"] });
    await connection.receivedCount(1);
    connection.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "unavailable" }] });
    await reaches(handle, "error");
    handle();
    await connection.receivedCount(2);
    expect(connection.received[1]).toEqual({ type: "unsubscribe", ref: "s1" });
    // Past the retry time, a round trip shows no re-subscribe was sent.
    await new Promise((resolve) => setTimeout(resolve, 120));
    connection.send(message(1, { ack: true }));
    await connection.receivedCount(3);
    expect(connection.received[2]).toEqual({ type: "ack", ids: [1] });
    expect(handle.getState()).toEqual({ status: "idle" });
  });
});

describe("progress versions", () => {
  const progress = (channel: string, percent: string, v?: number) => ({ type: "progress", progress: true, percent, channel, ...(v === undefined ? {} : { v }) });

  it("a replayed value older than the one shown is dropped; channels are independent; frames without v always pass", async () => {
    const { connection } = await openSocket();
    connection.send(progress("jobs-1", "60%", 6));
    connection.send(progress("jobs-1", "40%", 4)); // replayed value crossing the live one
    connection.send(progress("jobs-2", "10%", 1));
    connection.send(progress("jobs-1", "60%", 6)); // the same version again: harmless
    connection.send(progress("jobs-1", "70%", 7));
    connection.send(progress("jobs-3", "5%"));
    connection.send(progress("jobs-3", "3%"));
    await recorder.frameCount(6);
    expect(recorder.frames.map((frame) => (frame.type === "progress" ? `${frame.channel} ${frame.percent}` : frame.type))).toEqual([
      "jobs-1 60%",
      "jobs-2 10%",
      "jobs-1 60%",
      "jobs-1 70%",
      "jobs-3 5%",
      "jobs-3 3%",
    ]);
  });
});

describe("open timeout", () => {
  it("a handshake that never completes is dropped after openTimeoutMs and retried with backoff", async () => {
    server.stall = true;
    const controller = create({ openTimeoutMs: 80, backoff: { initialMs: 10, factor: 2, jitter: 0 } });
    controller.connect();
    await recorder.state((state) => state.status === "reconnecting" && state.attempt === 2, 0, 3_000);
    expect(recorder.states.slice(0, 4)).toEqual([
      { status: "connecting" },
      { status: "reconnecting", attempt: 1, delayMs: 10 },
      { status: "connecting" },
      { status: "reconnecting", attempt: 2, delayMs: 20 },
    ]);
    expect(server.upgrades).toBeGreaterThanOrEqual(2);
    server.stall = false;
    await recorder.next("open", 3_000);
    expect(server.openCount()).toBe(1);
    expect(controller.getState()).toEqual({ status: "open" });
  });

  it("a socket that opens in time is not touched by the timer", async () => {
    const { connection } = await openSocket({ openTimeoutMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    connection.send(message(1));
    await recorder.frameCount(1);
    expect(recorder.states.map((state) => state.status)).toEqual(["connecting", "open"]);
  });
});
